/*
 * Offline use, on every page (with JavaScript; without it the site simply
 * needs the network):
 *  - registers the service worker, which keeps the app shell and the last
 *    forum pages read, and shows them when the network is gone;
 *  - shows the "offline" notice while the phone has no connection: when the
 *    browser says so, and also when requests fail (real phones report
 *    "online" while the network fails), until a request succeeds again;
 *  - keeps what is typed into a form marked data-draft on this phone, so a
 *    post is never lost: a form sent while offline waits and is sent when the
 *    connection returns, and an unsent text is put back when the page opens.
 * Texts come from the page (data-* on #offline-notice). Log-out forgets the
 * drafts and the saved pages; quick exit (safety.js) forgets everything.
 */
(function () {
  'use strict';
  var notice = document.getElementById('offline-notice');
  if (!notice) return;
  var PREFIX = 'parasol-draft:';

  function forget() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) localStorage.removeItem(key);
      }
    } catch {
      /* storage may be disabled: nothing was kept then */
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage('forget');
  }
  window.parasolForget = forget;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
    // The offline page kept on the phone follows the language of the pages read (see sw.js).
    if (navigator.serviceWorker.controller && navigator.onLine) navigator.serviceWorker.controller.postMessage('lang:' + document.documentElement.lang);
  }

  function show(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  /*
   * Whether the network works. Page scripts report their requests here
   * (window.parasolNetwork, used by socket.js and live.js): a failure marks the
   * page offline until one succeeds; meanwhile a small request to /healthz
   * checks now and then, less often the longer it lasts.
   */
  var PROBE_FIRST_MS = 5000;
  var PROBE_MAX_MS = 60000;
  var failing = false;
  var probeTimer = null;
  var probeDelay = PROBE_FIRST_MS;
  var listeners = [];
  var wasUp = navigator.onLine;

  function up() {
    return navigator.onLine && !failing;
  }
  function connection() {
    if (up()) notice.hidden = true;
    else show(notice.getAttribute('data-offline'));
    var now = up();
    if (now === wasUp) return;
    wasUp = now;
    listeners.forEach(function (listener) {
      listener(now);
    });
  }
  function probe() {
    probeTimer = null;
    // While the browser itself says offline, its 'online' event says when to look again.
    if (!failing || !navigator.onLine) return;
    fetch('/healthz', { cache: 'no-store', credentials: 'omit' }).then(succeeded, function () {
      probeDelay = Math.min(probeDelay * 2, PROBE_MAX_MS);
      probeTimer = window.setTimeout(probe, probeDelay);
    });
  }
  function failed() {
    if (failing) return;
    failing = true;
    probeDelay = PROBE_FIRST_MS;
    probeTimer = window.setTimeout(probe, probeDelay);
    connection();
  }
  function succeeded() {
    if (probeTimer !== null) window.clearTimeout(probeTimer);
    probeTimer = null;
    if (!failing) return;
    failing = false;
    connection();
  }
  window.parasolNetwork = {
    failed: failed,
    succeeded: succeeded,
    up: up,
    onChange: function (listener) {
      listeners.push(listener);
    },
  };
  window.addEventListener('online', function () {
    // The browser found a network again: trust it until a request says otherwise.
    succeeded();
    connection();
  });
  window.addEventListener('offline', connection);
  connection();

  var logout = document.querySelector('form[action="/logout"]');
  if (logout) logout.addEventListener('submit', forget);

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== '_csrf' && (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && (el.type === 'text' || el.type === '')));
    });
  }

  /* Forms sent while offline go, each once, when the network is back. */
  var queued = [];

  Array.prototype.forEach.call(document.querySelectorAll('form[data-draft]'), function (form) {
    var key = PREFIX + form.getAttribute('action');
    var saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(key) || 'null');
    } catch {
      saved = null;
    }
    var own = fields(form);
    if (saved && own.every(function (el) { return !el.value; })) {
      own.forEach(function (el) {
        if (typeof saved[el.name] === 'string') el.value = saved[el.name];
      });
      show(notice.getAttribute('data-restored'));
    }
    function keep() {
      var values = {};
      var any = false;
      own.forEach(function (el) {
        values[el.name] = el.value;
        any = any || el.value !== '';
      });
      try {
        if (any) localStorage.setItem(key, JSON.stringify(values));
        else localStorage.removeItem(key);
      } catch {
        /* full or disabled storage: the text stays in the form */
      }
    }
    form.addEventListener('input', keep);
    form.addEventListener('submit', function (event) {
      keep();
      if (up()) {
        // The server answers with the form and its values again if it refuses, so the copy is no longer needed.
        try {
          localStorage.removeItem(key);
        } catch {
          /* nothing kept */
        }
        return;
      }
      event.preventDefault();
      show(notice.getAttribute('data-queued'));
      if (queued.indexOf(form) < 0) queued.push(form);
    });
  });

  window.parasolNetwork.onChange(function (now) {
    if (!now) return;
    queued.splice(0).forEach(function (form) {
      form.requestSubmit();
    });
  });
})();
