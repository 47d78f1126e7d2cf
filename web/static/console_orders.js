/* Console forms of orders, reviews, coupons and loyalty: a form with data-api posts its fields
   as JSON through Kiosk.api (console.js adds the CSRF token), then reloads the page with
   ?done=<data-done> (or goes to data-next) so the server draws the new state and says what
   happened. A refusal is shown under the form, in the staff member's language; nothing is
   lost from the form. Checkboxes are sent as true/false. No build step. */
(function () {
  "use strict";

  function fields(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.type === "checkbox") body[el.name] = el.checked;
      else if (el.type === "radio") { if (el.checked) body[el.name] = el.value; }
      else body[el.name] = el.value;
    });
    return body;
  }

  function after(form, data) {
    var next = form.getAttribute("data-next");
    if (next === "reply" && data && data.redirect) next = data.redirect;
    if (next) { location.assign(next); return; }
    var url = new URL(location.href);
    url.searchParams.set("done", form.getAttribute("data-done") || "ok");
    location.assign(url.toString());
  }

  function submit(form, event) {
    event.preventDefault();
    var error = form.querySelector('[data-testid="form-error"]');
    var buttons = form.querySelectorAll("button");
    var question = form.getAttribute("data-ask");
    if (question && !window.confirm(question)) return;
    if (error) { error.hidden = true; error.textContent = ""; }
    buttons.forEach(function (b) { b.disabled = true; });
    window.Kiosk.api(form.getAttribute("data-method") || "POST", form.getAttribute("data-api"), fields(form))
      .then(function (data) { after(form, data); })
      .catch(function (err) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (error) { error.textContent = err.message; error.hidden = false; }
        window.Kiosk.toast(err.message, true);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      form.addEventListener("submit", function (event) { submit(form, event); });
    });
  });
})();
