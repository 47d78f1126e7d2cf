/* The console's goods pages: selection and bulk changes on the goods table (through
   /console/api/goods/bulk, the same domain edits as one by one), no build step. */
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function selected() {
    return Array.prototype.slice
      .call(document.querySelectorAll('[data-testid="goods-select"]:checked'))
      .map(function (box) { return parseInt(box.value, 10); });
  }

  function showCount() {
    var label = document.querySelector('[data-testid="goods-selected"]');
    if (label) label.textContent = fill(label.getAttribute("data-template"), { count: selected().length });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var all = document.querySelector('[data-testid="goods-select-all"]');
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('[data-testid="goods-select"]').forEach(function (box) {
          box.checked = all.checked;
        });
        showCount();
      });
    }
    document.querySelectorAll('[data-testid="goods-select"]').forEach(function (box) {
      box.addEventListener("change", showCount);
    });
    var bulk = document.querySelector('[data-testid="goods-bulk"]');
    if (!bulk) return;
    bulk.addEventListener("submit", function (event) {
      event.preventDefault();
      var ids = selected();
      if (!ids.length) { window.Kiosk.toast(bulk.getAttribute("data-none"), true); return; }
      var button = bulk.querySelector("button");
      button.disabled = true;
      window.Kiosk.api("POST", bulk.getAttribute("data-bulk-url"), {
        ids: ids,
        action: bulk.elements.action.value,
        value: bulk.elements.value.value
      }).then(function (data) {
        window.Kiosk.toast(fill(bulk.getAttribute("data-done"), {
          changed: data.changed.length, skipped: data.skipped.length
        }));
        setTimeout(function () { location.reload(); }, 700);
      }).catch(function (error) {
        button.disabled = false;
        window.Kiosk.toast(error.message, true);
      });
    });
  });
})();
