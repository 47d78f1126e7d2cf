// The emulator's Telegram client around a Mini App: /miniapp/client#<launch URL, encoded>.
// It frames the Mini App like Telegram Web does and speaks Telegram's postMessage protocol with
// its telegram-web-app.js (the real one or the sandbox's stand-in): it draws the header with the
// Back/Close button, the Main button, popups and the payment form, and runs openInvoice through
// the emulator (/miniapp/invoice, /miniapp/pay), which sends the bot pre_checkout_query and
// successful_payment. Everything on screen has a data-testid for browser tests; the events the
// Mini App sent are in window.TelegramClient.log.
(function () {
  'use strict';
  var launch = '';
  try { launch = decodeURIComponent(location.hash.replace(/^#/, '')); } catch (e) {}
  var phone = document.getElementById('phone');
  var header = document.getElementById('header');
  var back = document.getElementById('back');
  var close = document.getElementById('close');
  var title = document.getElementById('title');
  var bottom = document.getElementById('bottom');
  var main = document.getElementById('main');
  var log = [];
  window.TelegramClient = {log: log, launch: launch};
  if (!/^https?:\/\//.test(launch)) {
    document.getElementById('nothing').hidden = false;
    return;
  }

  function decode(s) {
    try { return decodeURIComponent(String(s).replace(/\+/g, '%20')); } catch (e) { return s; }
  }
  var params = {};
  launch.split('#').slice(1).join('#').split('&').forEach(function (part) {
    var at = part.indexOf('=');
    if (at > 0) params[decode(part.slice(0, at))] = decode(part.slice(at + 1));
  });
  var initData = params.tgWebAppData || '';
  var theme = {};
  try { theme = JSON.parse(params.tgWebAppThemeParams || '{}'); } catch (e) {}
  var vars = {
    '--bg': theme.bg_color, '--text': theme.text_color, '--hint': theme.hint_color,
    '--link': theme.link_color, '--button': theme.button_color,
    '--button-text': theme.button_text_color, '--secondary-bg': theme.secondary_bg_color,
    '--header-bg': theme.header_bg_color || theme.bg_color,
    '--bottom-bg': theme.bottom_bar_bg_color || theme.bg_color,
    '--separator': theme.section_separator_color
  };
  for (var v in vars) if (vars[v]) phone.style.setProperty(v, vars[v]);

  var frame = document.createElement('iframe');
  frame.id = 'webview';
  frame.setAttribute('data-testid', 'tg-webview');
  frame.setAttribute('allow', 'clipboard-write');
  frame.src = launch;
  phone.insertBefore(frame, bottom);

  function send(type, data) {
    if (frame.contentWindow) {
      frame.contentWindow.postMessage(JSON.stringify({eventType: type, eventData: data || {}}), '*');
    }
  }
  function call(action, body) {
    body.init_data = initData;
    return fetch('/miniapp/' + action, {method: 'POST', body: JSON.stringify(body),
      headers: {'Content-Type': 'application/json'}}).then(function (r) { return r.json(); });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function shade(testid, centre) {
    var s = el('div', 'shade' + (centre ? ' centre' : ''));
    s.setAttribute('data-testid', testid);
    var sheet = el('div', 'sheet');
    s.appendChild(sheet);
    phone.appendChild(s);
    return {shade: s, sheet: sheet};
  }
  function button(testid, label, primary) {
    var b = el('button', primary ? 'primary' : '', label);
    b.type = 'button';
    b.setAttribute('data-testid', testid);
    return b;
  }
  var noticeTimer = null;
  function notice(text) {
    var n = phone.querySelector('.notice') || el('div', 'notice');
    n.setAttribute('data-testid', 'tg-notice');
    n.textContent = text;
    phone.appendChild(n);
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { n.remove(); }, 3000);
  }
  function viewport() {
    send('viewport_changed', {height: frame.clientHeight, is_expanded: true, is_state_stable: true});
  }

  // ------------------------------------------------------------------ the payment form
  var invoices = {};
  function openInvoice(slug) {
    if (invoices[slug]) return;
    invoices[slug] = true;
    function done(status) {
      delete invoices[slug];
      send('invoice_closed', {slug: slug, status: status});
    }
    call('invoice', {slug: slug}).then(function (form) {
      if (!form.ok) { notice('Invoice: ' + form.error); return done('failed'); }
      var o = shade('tg-invoice');
      o.sheet.appendChild(el('h2', '', form.title)).setAttribute('data-testid', 'tg-invoice-title');
      o.sheet.appendChild(el('p', 'muted', form.description));
      form.prices.forEach(function (p) {
        var row = el('div', 'line');
        row.setAttribute('data-testid', 'tg-invoice-line');
        row.appendChild(el('span', '', p.label));
        row.appendChild(el('span', '', p.text));
        o.sheet.appendChild(row);
      });
      var total = el('div', 'total');
      total.setAttribute('data-testid', 'tg-invoice-total');
      total.appendChild(el('span', '', 'Total'));
      total.appendChild(el('span', '', form.total_text));
      o.sheet.appendChild(total);
      var pay = button('tg-invoice-pay', 'Pay ' + form.total_text, true);
      var cancel = button('tg-invoice-cancel', 'Cancel', false);
      pay.addEventListener('click', function () {
        pay.disabled = cancel.disabled = true;
        pay.textContent = 'Processing…';
        call('pay', {form_id: form.form_id}).then(function (r) {
          o.shade.remove();
          if (r.status !== 'paid' && r.error) notice('Payment failed: ' + r.error);
          done(r.status || 'failed');
        }, function () { o.shade.remove(); done('failed'); });
      });
      cancel.addEventListener('click', function () {
        cancel.disabled = pay.disabled = true;
        call('cancel', {form_id: form.form_id}).then(function () {}, function () {})
          .then(function () { o.shade.remove(); done('cancelled'); });
      });
      o.sheet.appendChild(pay);
      o.sheet.appendChild(cancel);
    }, function () { done('failed'); });
  }

  // ------------------------------------------------------------------ popups
  function openPopup(data) {
    var o = shade('tg-popup', true);
    if (data.title) o.sheet.appendChild(el('h2', '', data.title));
    o.sheet.appendChild(el('p', '', data.message)).setAttribute('data-testid', 'tg-popup-message');
    (data.buttons || []).forEach(function (b) {
      var labels = {ok: 'OK', close: 'Close', cancel: 'Cancel'};
      var label = b.text || labels[b.type] || b.id;
      var node = button('tg-popup-button-' + b.id, label, b.type === 'ok' || b.type === 'default');
      node.addEventListener('click', function () {
        o.shade.remove();
        send('popup_closed', {button_id: b.id});
      });
      o.sheet.appendChild(node);
    });
  }

  // ------------------------------------------------------------------ events from the Mini App
  var events = {
    web_app_setup_main_button: function (d) {
      bottom.hidden = !d.is_visible;
      main.textContent = d.is_progress_visible ? '…' : (d.text || 'Continue');
      main.disabled = !d.is_active;
      if (d.color) main.style.setProperty('background', d.color);
      if (d.text_color) main.style.setProperty('color', d.text_color);
      viewport();
    },
    web_app_setup_back_button: function (d) {
      back.hidden = !d.is_visible;
      close.hidden = !!d.is_visible;
    },
    web_app_request_viewport: viewport,
    web_app_request_theme: function () { send('theme_changed', {theme_params: theme}); },
    web_app_open_invoice: function (d) { openInvoice(String(d.slug || '')); },
    web_app_open_popup: openPopup,
    web_app_set_header_color: function (d) {
      if (d.color) header.style.setProperty('background', d.color);
    },
    web_app_set_bottom_bar_color: function (d) {
      if (d.color) bottom.style.setProperty('background', d.color);
    },
    web_app_open_link: function (d) { window.open(d.url, '_blank', 'noopener'); },
    web_app_open_tg_link: function (d) { notice('Telegram opens t.me' + d.path_full); },
    web_app_close: closeApp
  };
  function closeApp() {
    frame.remove();
    bottom.hidden = true;
    var o = shade('tg-closed', true);
    o.sheet.appendChild(el('p', '', 'The Mini App was closed.'));
  }
  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow) return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || !message.eventType) return;
    log.push({event: message.eventType, data: message.eventData || null});
    var handle = events[message.eventType];
    if (handle) handle(message.eventData || {});
  });
  main.addEventListener('click', function () {
    if (!bottom.hidden && !main.disabled) send('main_button_pressed');
  });
  back.addEventListener('click', function () { send('back_button_pressed'); });
  close.addEventListener('click', closeApp);
  window.addEventListener('resize', viewport);

  call('session', {}).then(function (s) {
    if (s.ok) { title.textContent = s.bot_name; document.title = s.bot_name; }
    else notice('This launch is not signed by the emulator: ' + s.error);
  }, function () {});
})();
