/* The merchants' console: small helpers every page shares, no build step.
   - every same-origin fetch carries the session's CSRF token (X-CSRF-Token);
   - Kiosk.api(method, url, body) -> JSON (throws an Error with the translated message);
   - Kiosk.toast(text, isError);
   - inside Telegram: the theme's colours, and /console/tma signs in with initData. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var nativeFetch = window.fetch.bind(window);

  function sameOrigin(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }

  window.fetch = function (input, init) {
    init = init || {};
    var url = typeof input === "string" ? input : input.url;
    if (csrf && sameOrigin(url)) {
      var headers = new Headers(init.headers || (typeof input === "string" ? {} : input.headers));
      if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrf);
      init.headers = headers;
    }
    if (!init.credentials) init.credentials = "same-origin";
    return nativeFetch(input, init);
  };

  function toast(text, isError) {
    var el = document.querySelector('[data-testid="console-toast"]');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, isError ? 6000 : 3000);
  }

  function api(method, url, body) {
    var init = { method: method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var error = new Error((data && data.message) || response.statusText);
          error.status = response.status;
          error.code = data && data.error;
          throw error;
        }
        return data;
      });
    });
  }

  window.Kiosk = { csrf: csrf, api: api, toast: toast };

  function telegram() {
    return window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  }

  function applyTheme() {
    var tg = telegram();
    if (!tg) return false;
    if (tg.colorScheme === "dark") document.documentElement.setAttribute("data-scheme", "dark");
    if (tg.ready) tg.ready();
    if (tg.expand) tg.expand();
    return true;
  }

  function tmaSignIn(section) {
    var status = section.querySelector('[data-testid="tma-status"]');
    var tg = telegram();
    var initData = tg ? tg.initData : "";
    if (!initData) {
      status.textContent = section.getAttribute("data-no-telegram") || "Open this page from Telegram.";
      status.hidden = false;
      return;
    }
    api("POST", section.getAttribute("data-tma-signin"), { init_data: initData })
      .then(function (data) { location.replace(data.redirect); })
      .catch(function (error) { status.textContent = error.message; status.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!applyTheme()) {  // telegram-web-app.js loads async on most pages
      var tries = 0;
      var timer = setInterval(function () {
        if (applyTheme() || ++tries > 20) clearInterval(timer);
      }, 100);
    }
    var tma = document.querySelector("[data-tma-signin]");
    if (tma) tmaSignIn(tma);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
