// Kiosk sandbox: a local stand-in for Telegram's telegram-web-app.js.
//
// It reads the launch parameters from location.hash exactly as Telegram passes them
// (tgWebAppData, tgWebAppVersion, tgWebAppPlatform, tgWebAppThemeParams, tgWebAppStartParam),
// keeps them in sessionStorage for the Mini App's later pages (as the real script does), sets
// the --tg-theme-* and --tg-color-scheme CSS variables and exposes window.Telegram.WebApp.
//
// Like the real script inside Telegram Web, it talks to the client around it with postMessage
// ({eventType, eventData} as JSON): web_app_setup_main_button, web_app_open_invoice... out;
// main_button_pressed, invoice_closed, theme_changed... in. The client is the emulator's page
// /miniapp/client (sandbox/static/client.js), which draws what Telegram draws outside the web
// view: the header with Back/Close, the Main button, popups and the payment form. A Mini App
// launched straight in a browser tab moves itself into that client, so a person or a browser
// test always sees the whole Telegram frame. Only CSSOM and postMessage are used: a strict
// Content-Security-Policy on the page holds (frame-ancestors must allow the emulator).
(function () {
  'use strict';
  var script = document.currentScript;
  var EMULATOR = script && script.src ? new URL(script.src, location.href).origin : '';

  function decode(s) {
    try { return decodeURIComponent(String(s).replace(/\+/g, '%20')); } catch (e) { return s; }
  }
  function parseQuery(query) {
    var params = {};
    if (!query) return params;
    query.split('&').forEach(function (part) {
      if (!part) return;
      var at = part.indexOf('=');
      params[decode(at < 0 ? part : part.slice(0, at))] = at < 0 ? null : decode(part.slice(at + 1));
    });
    return params;
  }
  function parseHash(hash) {
    hash = hash.replace(/^#/, '');
    if (!hash) return {};
    if (hash.indexOf('=') < 0 && hash.indexOf('?') < 0) return {_path: decode(hash)};
    var q = hash.indexOf('?'), params = {};
    if (q >= 0) { params._path = decode(hash.slice(0, q)); hash = hash.slice(q + 1); }
    var parsed = parseQuery(hash);
    for (var k in parsed) params[k] = parsed[k];
    return params;
  }
  function storageGet(key) {
    try { return JSON.parse(sessionStorage.getItem('__telegram__' + key)); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { sessionStorage.setItem('__telegram__' + key, JSON.stringify(value)); } catch (e) {}
  }

  var isIframe = false;
  try { isIframe = window.parent != null && window !== window.parent; } catch (e) {}
  var launched = parseHash(location.hash || '');
  if (!isIframe && launched.tgWebAppData && EMULATOR) {
    // opened in a plain tab: continue inside the emulator's Telegram client
    location.replace(EMULATOR + '/miniapp/client#' + encodeURIComponent(location.href));
    return;
  }
  var initParams = launched;
  var stored = storageGet('initParams');
  if (stored) {
    for (var key in stored) if (initParams[key] === undefined) initParams[key] = stored[key];
  }
  if (initParams.tgWebAppStartParam === undefined) {
    var fromQuery = parseQuery(location.search.replace(/^\?/, '')).tgWebAppStartParam;
    if (fromQuery) initParams.tgWebAppStartParam = fromQuery;
  }
  storageSet('initParams', initParams);

  // ------------------------------------------------------------------ to and from the client
  var sandboxLog = [];  // what the page asked of Telegram, for tests: TelegramSandbox.log
  function postEvent(type, data) {
    sandboxLog.push({event: type, data: data === undefined ? null : data});
    if (!isIframe) return false;
    window.parent.postMessage(JSON.stringify({eventType: type, eventData: data || ''}), '*');
    return true;
  }
  var handlers = {};
  function onEvent(type, cb) {
    handlers[type] = handlers[type] || [];
    if (handlers[type].indexOf(cb) < 0) handlers[type].push(cb);
  }
  function offEvent(type, cb) {
    var list = handlers[type] || [], at = list.indexOf(cb);
    if (at >= 0) list.splice(at, 1);
  }
  function emit(type, data) {
    (handlers[type] || []).slice().forEach(function (cb) {
      try { cb.call(WebApp, data); } catch (e) { console.error('[Telegram.WebApp] handler', e); }
    });
  }
  var clientEvents = {
    main_button_pressed: function () { emit('mainButtonClicked'); },
    back_button_pressed: function () { emit('backButtonClicked'); },
    settings_button_pressed: function () { emit('settingsButtonClicked'); },
    invoice_closed: function (data) { invoiceClosed(data.slug, data.status); },
    popup_closed: function (data) { popupClosed(data.button_id); },
    theme_changed: function (data) {
      if (data.theme_params) { setThemeParams(data.theme_params); emit('themeChanged'); }
    },
    viewport_changed: function (data) {
      WebApp.viewportHeight = data.height;
      if (data.is_state_stable) WebApp.viewportStableHeight = data.height;
      WebApp.isExpanded = !!data.is_expanded;
      setCss('viewport-height', data.height + 'px');
      if (data.is_state_stable) setCss('viewport-stable-height', data.height + 'px');
      emit('viewportChanged', {isStateStable: !!data.is_state_stable});
    }
  };
  window.addEventListener('message', function (event) {
    if (!isIframe || event.source !== window.parent) return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    var handle = message && clientEvents[message.eventType];
    if (handle) handle(message.eventData || {});
  });

  // ------------------------------------------------------------------ theme
  var themeParams = {}, colorScheme = 'light';
  function parseColor(value) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || '').trim());
    if (!m) return null;
    var hex = m[1].toLowerCase();
    if (hex.length === 3) hex = hex.replace(/(.)/g, '$1$1');
    return '#' + hex;
  }
  function isDark(hex) {
    var r = parseInt(hex.substr(1, 2), 16), g = parseInt(hex.substr(3, 2), 16);
    var b = parseInt(hex.substr(5, 2), 16);
    return Math.sqrt(0.299 * r * r + 0.587 * g * g + 0.114 * b * b) < 120;
  }
  function setCss(name, value) { document.documentElement.style.setProperty('--tg-' + name, value); }
  function setThemeParams(params) {
    for (var k in params) {
      var color = parseColor(params[k]);
      if (!color) continue;
      themeParams[k] = color;
      if (k === 'bg_color') {
        colorScheme = isDark(color) ? 'dark' : 'light';
        setCss('color-scheme', colorScheme);
      }
      setCss('theme-' + k.split('_').join('-'), color);
    }
    storageSet('themeParams', themeParams);
  }
  if (initParams.tgWebAppThemeParams) {
    try { setThemeParams(JSON.parse(initParams.tgWebAppThemeParams)); } catch (e) {}
  }
  var storedTheme = storageGet('themeParams');
  if (storedTheme) setThemeParams(storedTheme);
  setCss('viewport-height', window.innerHeight + 'px');
  setCss('viewport-stable-height', window.innerHeight + 'px');

  var initData = initParams.tgWebAppData || '';
  var initDataUnsafe = parseQuery(initData);
  for (var field in initDataUnsafe) {
    var v = initDataUnsafe[field];
    if (v && /^[[{]/.test(v)) { try { initDataUnsafe[field] = JSON.parse(v); } catch (e) {} }
  }
  var version = initParams.tgWebAppVersion || '6.0';
  function versionAtLeast(ver) {
    var a = String(version).split('.'), b = String(ver).split('.');
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      var x = parseInt(a[i] || 0, 10), y = parseInt(b[i] || 0, 10);
      if (x !== y) return x > y;
    }
    return true;
  }

  // ------------------------------------------------------------------ buttons
  var MainButton = {
    text: 'Continue', color: themeParams.button_color || '#2481cc',
    textColor: themeParams.button_text_color || '#ffffff', isVisible: false, isActive: true,
    isProgressVisible: false, hasShineEffect: false,
    setText: function (text) { return MainButton.setParams({text: text}); },
    onClick: function (cb) { onEvent('mainButtonClicked', cb); return MainButton; },
    offClick: function (cb) { offEvent('mainButtonClicked', cb); return MainButton; },
    show: function () { return MainButton.setParams({is_visible: true}); },
    hide: function () { return MainButton.setParams({is_visible: false}); },
    enable: function () { return MainButton.setParams({is_active: true}); },
    disable: function () { return MainButton.setParams({is_active: false}); },
    showProgress: function () { MainButton.isProgressVisible = true; return setupMain(); },
    hideProgress: function () { MainButton.isProgressVisible = false; return setupMain(); },
    setParams: function (p) {
      p = p || {};
      if (p.text !== undefined) {
        var text = String(p.text).trim();
        if (!text.length || text.length > 64) throw Error('WebAppMainButtonParamInvalid');
        MainButton.text = text;
      }
      if (p.color !== undefined) MainButton.color = parseColor(p.color) || MainButton.color;
      if (p.text_color !== undefined) {
        MainButton.textColor = parseColor(p.text_color) || MainButton.textColor;
      }
      if (p.is_visible !== undefined) MainButton.isVisible = !!p.is_visible;
      if (p.is_active !== undefined) MainButton.isActive = !!p.is_active;
      if (p.has_shine_effect !== undefined) MainButton.hasShineEffect = !!p.has_shine_effect;
      return setupMain();
    }
  };
  function setupMain() {
    postEvent('web_app_setup_main_button', {
      is_visible: MainButton.isVisible, is_active: MainButton.isActive,
      is_progress_visible: MainButton.isProgressVisible, text: MainButton.text,
      color: MainButton.color, text_color: MainButton.textColor,
      has_shine_effect: MainButton.hasShineEffect
    });
    return MainButton;
  }
  var BackButton = {
    isVisible: false,
    onClick: function (cb) { onEvent('backButtonClicked', cb); return BackButton; },
    offClick: function (cb) { offEvent('backButtonClicked', cb); return BackButton; },
    show: function () { BackButton.isVisible = true; return setupBack(); },
    hide: function () { BackButton.isVisible = false; return setupBack(); }
  };
  function setupBack() {
    postEvent('web_app_setup_back_button', {is_visible: BackButton.isVisible});
    return BackButton;
  }
  function haptic(kind, key) {
    return function (value) {
      var data = {type: kind};
      if (key) data[key] = value;
      postEvent('web_app_trigger_haptic_feedback', data);
      return HapticFeedback;
    };
  }
  var HapticFeedback = {
    impactOccurred: haptic('impact', 'impact_style'),
    notificationOccurred: haptic('notification', 'notification_type'),
    selectionChanged: haptic('selection_change')
  };

  // ------------------------------------------------------------------ popups and invoices
  var popupCallback = null, popupOpen = false;
  function showPopup(params, callback) {
    if (popupOpen) throw Error('WebAppPopupOpened');
    var message = String((params && params.message) || '').trim();
    if (!message.length || message.length > 256) throw Error('WebAppPopupParamInvalid');
    var buttons = (params.buttons && params.buttons.length) ? params.buttons : [{type: 'close'}];
    if (buttons.length > 3) throw Error('WebAppPopupParamInvalid');
    popupOpen = true;
    popupCallback = callback || null;
    postEvent('web_app_open_popup', {title: String(params.title || ''), message: message,
      buttons: buttons.map(function (b, i) {
        return {id: b.id !== undefined ? String(b.id) : String(i), type: b.type || 'default',
                text: b.text || ''};
      })});
  }
  function popupClosed(buttonId) {
    if (!popupOpen) return;
    popupOpen = false;
    var cb = popupCallback;
    popupCallback = null;
    emit('popupClosed', {button_id: buttonId || null});
    if (cb) cb(buttonId || null);
  }
  var openInvoices = {};
  function openInvoice(url, callback) {
    var a = document.createElement('a'), match;
    a.href = url;
    if ((a.protocol !== 'http:' && a.protocol !== 'https:') ||
        (a.hostname !== 't.me' && a.hostname !== 'telegram.me') ||
        !(match = a.pathname.match(/^\/(\$|invoice\/)([A-Za-z0-9\-_=]+)$/))) {
      console.error('[Telegram.WebApp] Invoice url is invalid', url);
      throw Error('WebAppInvoiceUrlInvalid');
    }
    if (!versionAtLeast('6.1')) throw Error('WebAppMethodUnsupported');
    var slug = match[2];
    if (openInvoices[slug]) throw Error('WebAppInvoiceOpened');
    openInvoices[slug] = {url: url, callback: callback};
    if (!postEvent('web_app_open_invoice', {slug: slug})) {
      setTimeout(function () { invoiceClosed(slug, 'failed'); }, 0);  // no Telegram around
    }
  }
  function invoiceClosed(slug, status) {
    var entry = openInvoices[slug];
    if (!entry) return;
    delete openInvoices[slug];
    emit('invoiceClosed', {url: entry.url, status: status});
    if (entry.callback) entry.callback(status);
  }
  function colorOf(color, what) {
    var c = color === 'bg_color' || color === 'secondary_bg_color' ? themeParams[color] : parseColor(color);
    if (!c) throw Error('WebApp' + what + 'ColorInvalid');
    return c;
  }

  // ------------------------------------------------------------------ WebApp
  var WebApp = {
    initData: initData,
    initDataUnsafe: initDataUnsafe,
    version: version,
    platform: initParams.tgWebAppPlatform || 'unknown',
    themeParams: themeParams,
    isExpanded: true,
    isActive: true,
    isClosingConfirmationEnabled: false,
    isVerticalSwipesEnabled: true,
    headerColor: null,
    backgroundColor: null,
    bottomBarColor: null,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    MainButton: MainButton,
    BackButton: BackButton,
    HapticFeedback: HapticFeedback,
    isVersionAtLeast: versionAtLeast,
    onEvent: onEvent,
    offEvent: offEvent,
    openInvoice: openInvoice,
    showPopup: showPopup,
    showAlert: function (message, cb) {
      showPopup({message: message}, function () { if (cb) cb(); });
    },
    showConfirm: function (message, cb) {
      showPopup({message: message, buttons: [{id: 'ok', type: 'ok'}, {type: 'cancel'}]},
                function (id) { if (cb) cb(id === 'ok'); });
    },
    ready: function () { postEvent('web_app_ready'); },
    expand: function () { postEvent('web_app_expand'); },
    close: function () { postEvent('web_app_close', {}); },
    openLink: function (url) {
      if (!postEvent('web_app_open_link', {url: url})) window.open(url, '_blank');
    },
    openTelegramLink: function (url) {
      var a = document.createElement('a');
      a.href = url;
      if (a.hostname !== 't.me') throw Error('WebAppTgUrlInvalid');
      postEvent('web_app_open_tg_link', {path_full: a.pathname + a.search});
    },
    setHeaderColor: function (color) {
      WebApp.headerColor = colorOf(color, 'Header');
      postEvent('web_app_set_header_color', {color: WebApp.headerColor});
    },
    setBackgroundColor: function (color) {
      WebApp.backgroundColor = colorOf(color, 'Background');
      postEvent('web_app_set_background_color', {color: WebApp.backgroundColor});
    },
    setBottomBarColor: function (color) {
      WebApp.bottomBarColor = colorOf(color, 'BottomBar');
      postEvent('web_app_set_bottom_bar_color', {color: WebApp.bottomBarColor});
    },
    enableClosingConfirmation: function () {
      WebApp.isClosingConfirmationEnabled = true;
      postEvent('web_app_setup_closing_behavior', {need_confirmation: true});
    },
    disableClosingConfirmation: function () {
      WebApp.isClosingConfirmationEnabled = false;
      postEvent('web_app_setup_closing_behavior', {need_confirmation: false});
    },
    enableVerticalSwipes: function () { WebApp.isVerticalSwipesEnabled = true; },
    disableVerticalSwipes: function () { WebApp.isVerticalSwipesEnabled = false; }
  };
  Object.defineProperty(WebApp, 'colorScheme', {get: function () { return colorScheme; }});

  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = WebApp;
  window.Telegram.WebView = {initParams: initParams, isIframe: isIframe, onEvent: onEvent,
                             offEvent: offEvent, postEvent: postEvent};
  window.TelegramSandbox = {emulator: EMULATOR, log: sandboxLog};
  // a page starts with hidden buttons: tell the client, which may still show the last page's
  setupMain();
  setupBack();
  postEvent('web_app_request_viewport');
  postEvent('web_app_request_theme');
})();
