/* Kiosk storefront: a small script over server-rendered views (no build step).
   Every API call carries Telegram's initData: "Authorization: tma <initData>". */
(function () {
  "use strict";
  var tg = (window.Telegram && window.Telegram.WebApp) || null;
  var initData = tg ? tg.initData || "" : "";
  var root = document.getElementById("view");
  var errorBox = document.getElementById("error");
  var toastBox = document.getElementById("toast");
  var stack = [];
  var toastTimer = null;
  var mainHandler = null;

  function theme() {
    if (!tg) return;
    var p = tg.themeParams || {};
    var s = document.documentElement.style;
    Object.keys(p).forEach(function (k) {
      s.setProperty("--tg-theme-" + k.replace(/_/g, "-"), p[k]);
    });
    document.documentElement.setAttribute("data-scheme", tg.colorScheme || "light");
  }

  function key() {
    var a = new Uint8Array(12);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function api(method, path, body) {
    var headers = { Authorization: "tma " + initData };
    var options = { method: method, headers: headers, credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") headers["Idempotency-Key"] = key();
    return fetch("api/" + path, options).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("json") >= 0;
      var read = json ? r.json() : r.text();
      return read.then(function (data) {
        if (!r.ok) throw data && data.message ? data : { message: String(r.status) };
        return data;
      });
    });
  }

  function showError(e) {
    errorBox.textContent = (e && e.message) || String(e);
    errorBox.hidden = false;
  }

  function hideToast() {
    clearTimeout(toastTimer);
    toastTimer = null;
    toastBox.hidden = true;
    toastBox.classList.remove("top");
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // The view's main action: the button its MainButton presses, else its first primary one.
  function mainAction() {
    var section = root.querySelector("section.view");
    var act = section && section.getAttribute("data-main-act");
    return (act && root.querySelector('[data-act="' + act + '"]')) ||
      root.querySelector("button.primary");
  }

  // A short note over the page: above the tab bar, or at the top when it would cover the
  // view's main action there; it never takes clicks and goes when the view changes.
  function toast(text) {
    if (!text) return;
    hideToast();
    toastBox.textContent = text;
    toastBox.hidden = false;
    var button = mainAction();
    if (button && overlaps(toastBox.getBoundingClientRect(), button.getBoundingClientRect())) {
      toastBox.classList.add("top");
    }
    toastTimer = setTimeout(hideToast, 2500);
  }

  function setMain(section) {
    if (!tg || !tg.MainButton) return;
    var mb = tg.MainButton;
    if (mainHandler) { mb.offClick(mainHandler); mainHandler = null; }
    var text = section && section.getAttribute("data-main-text");
    if (!text) { mb.hide(); return; }
    var go = section.getAttribute("data-main-go");
    var act = section.getAttribute("data-main-act");
    mainHandler = function () {
      if (go) navigate(go);
      else if (act) {
        var button = root.querySelector('[data-act="' + act + '"]');
        if (button) button.click();
      }
    };
    mb.setText(text);
    mb.onClick(mainHandler);
    mb.show();
  }

  function setBack() {
    if (!tg || !tg.BackButton) return;
    if (stack.length > 1) tg.BackButton.show(); else tg.BackButton.hide();
  }

  function render(html) {
    hideToast();
    root.innerHTML = html;
    errorBox.hidden = true;
    var section = root.querySelector("section.view");
    if (section) document.title = section.getAttribute("data-title") || document.title;
    setMain(section);
    setBack();
    observeMore();
    root.querySelectorAll("[data-lazy]").forEach(function (box) {
      api("GET", "view/" + box.getAttribute("data-lazy")).then(function (html) {
        box.innerHTML = html;
      }, function () { /* optional extras: the view works without them */ });
    });
    window.scrollTo(0, 0);
  }

  function load(path) {
    root.setAttribute("aria-busy", "true");
    return api("GET", "view/" + path).then(render, showError).then(function () {
      root.removeAttribute("aria-busy");
    });
  }

  function navigate(path) { stack.push(path); return load(path); }
  function replace(path) { stack[stack.length - 1] = path; return load(path); }
  function reload() { return load(stack[stack.length - 1]); }
  function back() {
    if (stack.length > 1) { stack.pop(); reload(); }
  }

  function more(button) {
    var path = button.getAttribute("data-more");
    button.disabled = true;
    api("GET", "view/" + path).then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      var grid = button.parentNode.querySelector(".grid");
      var next = tpl.content.querySelector(".grid");
      if (grid && next) while (next.firstChild) grid.appendChild(next.firstChild);
      var again = tpl.content.querySelector("[data-more]");
      if (again) button.setAttribute("data-more", again.getAttribute("data-more"));
      else button.remove();
      button.disabled = false;
      observeMore();
    }, showError);
  }

  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting && !e.target.disabled) more(e.target); });
  }) : null;

  function observeMore() {
    if (!observer) return;
    observer.disconnect();
    root.querySelectorAll("[data-more]").forEach(function (b) { observer.observe(b); });
  }

  function formPath(form, base) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || (el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.closest(".address-form")) return;
      if (el.value) params.set(el.name, el.value);
    });
    var q = params.toString();
    return q ? base + "?" + q : base;
  }

  function selectedVariant() {
    var v = root.querySelector('input[name="variant"]:checked');
    return v ? Number(v.value) : null;
  }

  function pay(result) {
    var orderPath = "order/" + result.order_id;
    if (!tg || !tg.openInvoice) { navigate(orderPath); return; }
    tg.openInvoice(result.invoice_link, function (status) {
      // A cart of goods that ship and digital goods is two orders: the second invoice next.
      if (result.then) { pay(result.then); return; }
      // The order view tells what the server knows; after "paid" the bot may still be
      // recording the payment, so look again for a few seconds.
      stack = ["home", orderPath];
      showOrder(orderPath, status === "paid" ? 10 : 0, status === "paid");
    });
  }

  // After "paid", the order view tells it in words (its data-paid, the chat's receipt text)
  // once the server has recorded the payment.
  function showOrder(path, tries, paid) {
    load(path).then(function () {
      var order = root.querySelector('[data-testid="order"]');
      if (!order || stack[stack.length - 1] !== path) return;
      if (tries > 0 && order.getAttribute("data-status") === "pending_payment") {
        setTimeout(function () {
          if (stack[stack.length - 1] === path) showOrder(path, tries - 1, paid);
        }, 1000);
      } else if (paid) {
        toast(order.getAttribute("data-paid"));
      }
    });
  }

  function checkoutBody() {
    var form = root.querySelector('[data-form="checkout"]');
    var value = function (name) {
      var el = form.querySelector('input[name="' + name + '"]:checked');
      return el ? el.value : "";
    };
    return {
      address_id: Number(value("address")) || null,
      shipping_option: value("option"),
      method: value("method"),
      use_points: !!form.querySelector('input[name="points"]:checked')
    };
  }

  var actions = {
    add: function (el) {
      var variant = selectedVariant();
      if (el.getAttribute("data-needs-variant") === "1" && !variant) {
        var box = root.querySelector('[data-testid="variants"]');
        if (box) box.classList.add("attention");
      }
      return api("POST", "cart/items", {
        product_id: Number(el.getAttribute("data-product-id")), variant_id: variant, quantity: 1
      }).then(function () {
        toast(el.getAttribute("data-added"));
        if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("success");
      });
    },
    fav: function (el) {
      var on = el.getAttribute("aria-pressed") === "true";
      return api(on ? "DELETE" : "PUT", "favourites/" + el.getAttribute("data-product-id"))
        .then(function (r) {
          el.setAttribute("aria-pressed", r.favourite ? "true" : "false");
          el.textContent = r.favourite ? "♥" : "♡";
        });
    },
    share: function (el) {
      var link = el.getAttribute("data-link");
      if (tg && tg.openTelegramLink) {
        tg.openTelegramLink("https://t.me/share/url?url=" + encodeURIComponent(link));
      } else if (navigator.clipboard) navigator.clipboard.writeText(link);
      return Promise.resolve();
    },
    inc: function (el) { return api("PATCH", "cart/items/" + el.getAttribute("data-line-id"), { delta: 1 }).then(reload); },
    dec: function (el) { return api("PATCH", "cart/items/" + el.getAttribute("data-line-id"), { delta: -1 }).then(reload); },
    remove: function (el) { return api("DELETE", "cart/items/" + el.getAttribute("data-line-id")).then(reload); },
    clear: function () { return api("DELETE", "cart").then(reload); },
    accept: function () { return api("POST", "cart/accept", {}).then(reload); },
    nocoupon: function () { return api("DELETE", "cart/coupon").then(reload); },
    address: function () {
      var box = root.querySelector(".address-form");
      var body = {};
      box.querySelectorAll("input").forEach(function (i) { body[i.name] = i.value; });
      return api("POST", "addresses", body).then(function (r) {
        var path = formPath(root.querySelector('[data-form="checkout"]'), "checkout");
        var params = new URLSearchParams(path.split("?")[1] || "");
        params.set("address", r.address_id);
        replace("checkout?" + params.toString());
      });
    },
    pay: function (el) {
      el.disabled = true;
      return api("POST", "checkout", checkoutBody()).then(pay, function (e) {
        if (!e || e.error !== "cart_changed") throw e;
        // Refused for a reason in the cart: say it there, the cart redrawn as it is now.
        if (stack.length > 1 && stack[stack.length - 2] === "cart") stack.pop();
        else stack[stack.length - 1] = "cart";
        return reload().then(function () { showError(e); });
      }).finally(function () { el.disabled = false; });
    },
    repay: function (el) {
      var id = el.getAttribute("data-order-id") || (root.querySelector("[data-order-id]") || el).getAttribute("data-order-id");
      return api("POST", "orders/" + id + "/invoice", {}).then(pay);
    }
  };

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-go],[data-act],[data-more]");
    if (!el || !root.parentNode.contains(el)) return;
    ev.preventDefault();
    if (el.hasAttribute("data-more")) { more(el); return; }
    if (el.hasAttribute("data-go")) { navigate(el.getAttribute("data-go")); return; }
    var act = actions[el.getAttribute("data-act")];
    if (act) act(el).catch(showError);
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    ev.preventDefault();
    var kind = form.getAttribute("data-form");
    if (kind === "search") {
      var path = formPath(form, "search");
      if (stack[stack.length - 1].indexOf("search") === 0) replace(path); else navigate(path);
    } else if (kind === "coupon") {
      api("POST", "cart/coupon", { code: form.elements.code.value }).then(reload, showError);
    }
  });

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el.hasAttribute("data-autosubmit")) return;
    var form = el.form;
    var kind = form.getAttribute("data-form");
    replace(formPath(form, kind === "checkout" ? "checkout" : "search"));
  });

  var suggestTimer = null;
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.hasAttribute("data-suggest")) return;
    var list = input.form.querySelector(".suggest");
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2) { list.hidden = true; return; }
      api("GET", "suggest?q=" + encodeURIComponent(q)).then(function (r) {
        list.innerHTML = "";
        r.items.forEach(function (item) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = item.title;
          b.setAttribute("data-go", "product/" + item.id);
          b.setAttribute("data-testid", "search-suggestion");
          li.appendChild(b);
          list.appendChild(li);
        });
        list.hidden = r.items.length === 0;
      }, function () { list.hidden = true; });
    }, 200);
  });

  if (tg) {
    theme();
    if (tg.onEvent) tg.onEvent("themeChanged", theme);
    if (tg.BackButton) tg.BackButton.onClick(back);
    tg.ready();
    tg.expand();
  }
  api("GET", "me").then(function (me) {
    document.documentElement.lang = me.locale;
    stack = ["home"];
    if (me.open_product) { stack.push("product/" + me.open_product); }
    reload();
  }, function (e) {
    // Not served (session expired, shop closed, shopper blocked): the reason, not "loading".
    root.innerHTML = "";
    showError(e);
  });
})();
