/* Campaigns in the console: the composer's live preview and audience size, and a campaign's
   live delivery progress (polled every 1.5 s while it runs) with its controls.
   No build step, no inline code (the CSP forbids it); every change carries the CSRF token. */
(function () {
  "use strict";

  var POLL_MS = 1500;

  function $(root, testid) { return root.querySelector('[data-testid="' + testid + '"]'); }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } };
    if (body !== undefined) options.body = body;
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function show(el, on) { if (el) el.classList.toggle("hidden", !on); }

  function toast(text, isError) {
    var el = document.querySelector('[data-testid="console-toast"]');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 3500);
  }

  /* Inside Telegram a Mini App asks through the client's own dialog; a browser confirms. */
  function ask(question, done) {
    var app = window.Telegram && window.Telegram.WebApp;
    if (app && app.initData && app.showConfirm) { app.showConfirm(question, done); return; }
    done(window.confirm(question));
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  /* ---- composer ----------------------------------------------------------------------- */

  function composer(form) {
    var text = $(form, "compose-text");
    var photo = $(form, "compose-photo");
    var buttonKind = $(form, "compose-button-kind");
    var buttonValue = $(form, "compose-button-value");
    var audience = $(form, "compose-audience");
    var audienceValue = $(form, "compose-audience-value");
    var pane = document.querySelector(".preview-pane");
    var previewText = $(pane, "preview-text");
    var previewPhoto = $(pane, "preview-photo");
    var previewButton = $(pane, "preview-button");
    var previewError = $(pane, "preview-error");
    var photoUrl = null;
    var previewSeq = 0;
    var sizeSeq = 0;

    function hasPhoto() { return photo.files && photo.files.length > 0; }

    function refreshPreview() {
      var body = new FormData();
      body.append("text", text.value);
      body.append("has_photo", hasPhoto() ? "1" : "0");
      var seq = ++previewSeq;
      request("POST", "/console/api/campaigns/preview", body).then(function (r) {
        if (seq !== previewSeq) return; // an older answer arriving late
        var d = r.data || {};
        $(form, "compose-length").textContent = d.length != null ? d.length : "";
        $(form, "compose-limit").textContent = d.limit != null ? d.limit : "";
        if (d.html != null && !d.error) previewText.innerHTML = d.html; // server-made, escaped
        if (!d.html && !d.error) previewText.textContent = "";
        previewError.textContent = d.error || (r.ok ? "" : d.message || "");
        show(previewError, !!previewError.textContent);
        $(form, "compose-length").parentNode.classList.toggle("over", !!d.error && d.length > d.limit);
      });
    }

    function refreshButton() {
      var kind = buttonKind.value;
      show(buttonValue, kind !== "");
      if (kind) buttonValue.placeholder = buttonValue.getAttribute("data-placeholder-" + kind) || "";
      previewButton.textContent = kind ? form.getAttribute("data-label-" + kind) : "";
      show(previewButton, kind !== "");
    }

    function refreshAudience() {
      var option = audience.options[audience.selectedIndex];
      var needsValue = option && option.getAttribute("data-needs-value") === "1";
      show(audienceValue, needsValue);
      audienceValue.placeholder = needsValue ? option.getAttribute("data-prompt") : "";
      $(form, "audience-prompt").textContent = needsValue ? option.getAttribute("data-prompt") + " " : "";
      var size = $(form, "audience-size");
      if (needsValue && !audienceValue.value.trim()) { size.textContent = "…"; return; }
      var query = "kind=" + encodeURIComponent(audience.value) +
        "&value=" + encodeURIComponent(needsValue ? audienceValue.value : "");
      var seq = ++sizeSeq;
      request("GET", "/console/api/campaigns/audience?" + query).then(function (r) {
        if (seq !== sizeSeq) return;
        size.textContent = r.ok ? String(r.data.size) : "—";
        fieldError("audience", r.ok ? "" : r.data.message);
      });
    }

    function refreshPhoto() {
      if (photoUrl) URL.revokeObjectURL(photoUrl);
      photoUrl = hasPhoto() ? URL.createObjectURL(photo.files[0]) : null;
      if (photoUrl) previewPhoto.src = photoUrl; else previewPhoto.removeAttribute("src");
      show(previewPhoto, !!photoUrl);
      refreshPreview(); // a caption's limit is 1024
    }

    function fieldError(name, message) {
      var el = form.querySelector('[data-error-for="' + name + '"]');
      if (!el) return;
      el.textContent = message || "";
      show(el, !!message);
    }

    function wrapSelection(tag) {
      var start = text.selectionStart, end = text.selectionEnd, value = text.value;
      var open = "<" + tag + ">";
      if (tag === "a") {
        var href = window.prompt("https://", "https://");
        if (!href) return;
        open = '<a href="' + href.replace(/&/g, "&amp;").replace(/"/g, "&quot;") + '">';
      }
      var close = "</" + tag + ">";
      text.value = value.slice(0, start) + open + value.slice(start, end) + close + value.slice(end);
      text.focus();
      text.setSelectionRange(start + open.length, end + open.length);
      refreshPreview();
    }

    form.querySelectorAll("[data-wrap]").forEach(function (button) {
      button.addEventListener("click", function () { wrapSelection(button.getAttribute("data-wrap")); });
    });
    text.addEventListener("input", debounce(refreshPreview, 250));
    photo.addEventListener("change", refreshPhoto);
    buttonKind.addEventListener("change", refreshButton);
    audience.addEventListener("change", refreshAudience);
    audienceValue.addEventListener("input", debounce(refreshAudience, 300));
    form.querySelectorAll('input[name="when"]').forEach(function (radio) {
      radio.addEventListener("change", function () { fieldError("send_at", ""); });
    });
    $(form, "compose-send-at").addEventListener("focus", function () {
      form.querySelector('input[name="when"][value="later"]').checked = true;
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = $(form, "compose-submit");
      var general = $(form, "compose-error");
      ["text", "photo", "button", "audience", "send_at"].forEach(function (n) { fieldError(n, ""); });
      show(general, false);
      submit.disabled = true;
      request("POST", form.getAttribute("action"), new FormData(form)).then(function (r) {
        if (r.ok && r.data.url) { window.location.assign(r.data.url); return; }
        submit.disabled = false;
        var fields = (r.data && r.data.fields) || {};
        Object.keys(fields).forEach(function (name) { fieldError(name, fields[name]); });
        general.textContent = (r.data && r.data.message) || "";
        show(general, !!general.textContent);
      }, function () {
        submit.disabled = false;
        toast(general.getAttribute("data-offline"), true);
      });
    });

    refreshButton();
    refreshAudience();
    refreshPreview();
  }

  /* ---- a campaign's progress ---------------------------------------------------------- */

  function progressPanel(panel) {
    var api = panel.getAttribute("data-api");
    var timer = null;
    var stateBadge = document.querySelector('[data-testid="campaign-state"]');

    function draw(p) {
      $(panel, "campaign-progress").value = p.percent;
      $(panel, "campaign-progress").textContent = p.percent + "%";
      $(panel, "campaign-percent").textContent = p.percent + "%";
      panel.querySelectorAll("[data-count]").forEach(function (el) {
        var v = p[el.getAttribute("data-count")];
        if (v != null) el.textContent = String(v);
      });
      stateBadge.textContent = p.state_label;
      stateBadge.setAttribute("data-state", p.state);
      stateBadge.className = "badge state-" + p.state;
      var scheduled = $(panel, "campaign-scheduled");
      scheduled.querySelector('[data-field="scheduled_at"]').textContent = p.scheduled_at || "";
      show(scheduled, !!p.scheduled_at);
      panel.setAttribute("data-live", p.live ? "1" : "0");
      panel.setAttribute("data-controls", (p.controls || []).join(" "));
      controls();
    }

    function controls() {
      var allowed = (panel.getAttribute("data-controls") || "").split(" ");
      panel.querySelectorAll("[data-action]").forEach(function (el) {
        show(el, allowed.indexOf(el.getAttribute("data-action")) >= 0);
      });
    }

    function poll() {
      clearTimeout(timer);
      if (panel.getAttribute("data-live") !== "1") return;
      timer = setTimeout(function () {
        request("GET", api).then(function (r) {
          if (r.ok) draw(r.data);
          poll();
        }, poll);
      }, POLL_MS);
    }

    function act(action, body) {
      var error = $(panel, "control-error");
      show(error, false);
      request("POST", api + "/" + action, body).then(function (r) {
        if (r.ok) { draw(r.data); poll(); return; }
        error.textContent = r.data.message || "";
        show(error, true);
      });
    }

    panel.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var question = button.getAttribute("data-confirm");
        var action = button.getAttribute("data-action");
        if (!question) { act(action); return; }
        ask(question, function (yes) { if (yes) act(action); });
      });
    });
    var schedule = $(panel, "control-schedule");
    schedule.addEventListener("submit", function (event) {
      event.preventDefault();
      act("schedule", new FormData(schedule));
    });
    controls();
    poll();
  }

  /* ---- small forms that change something and reload the page (staff) ------------------- */

  var NOTICE = "kiosk-console-notice";

  function apiForm(form) {
    var error = document.createElement("p");
    error.className = "field-error hidden";
    error.setAttribute("data-testid", "form-error");
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var send = function () {
        show(error, false);
        request("POST", form.getAttribute("action"), new FormData(form)).then(function (r) {
          if (r.ok) {
            if (r.data.message) sessionStorage.setItem(NOTICE, r.data.message);
            window.location.reload();
            return;
          }
          error.textContent = r.data.message || "";
          show(error, true);
        });
      };
      var question = form.getAttribute("data-ask");
      if (!question) { send(); return; }
      ask(question, function (yes) { if (yes) send(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var notice = sessionStorage.getItem(NOTICE);
    if (notice) { sessionStorage.removeItem(NOTICE); toast(notice, false); }
    document.querySelectorAll("form[data-api-form]").forEach(apiForm);
    var form = document.querySelector('[data-testid="compose-form"]');
    if (form) composer(form);
    var panel = document.querySelector('[data-testid="campaign-progress-panel"]');
    if (panel) progressPanel(panel);
  });
})();
