/*
 * Quick exit, on every page. The Exit link works as a plain link without
 * JavaScript; here it (and Escape pressed three times within 1.5 s) blanks
 * the page, forgets what the site kept on the phone (drafts, saved pages,
 * databases), asks the server for Clear-Site-Data (script cannot empty the
 * HTTP cache), then leaves with location.replace so that Back does not lead
 * here again. A slow server never holds anyone here longer than WAIT_MS.
 */
(function () {
  'use strict';
  var link = document.getElementById('quick-exit');
  var url = link && link.getAttribute('data-exit-url');
  if (!url) return;
  var WAIT_MS = 1500;
  var gone = false;
  var each = function (list, fn) {
    return Promise.all(list.map(fn));
  };

  function forget() {
    [window.localStorage, window.sessionStorage].forEach(function (store) {
      try {
        store.clear();
      } catch {
        /* storage disabled: nothing kept */
      }
    });
    var idb = window.indexedDB;
    var sw = navigator.serviceWorker;
    return each(
      [
        window.caches && caches.keys().then(function (names) {
          return each(names, function (name) { return caches.delete(name); });
        }),
        idb && idb.databases && idb.databases().then(function (dbs) {
          return each(dbs, function (db) {
            return new Promise(function (done) {
              var r = idb.deleteDatabase(db.name);
              r.onsuccess = r.onerror = r.onblocked = done;
            });
          });
        }),
        sw && sw.getRegistrations().then(function (regs) {
          return each(regs, function (reg) { return reg.unregister(); });
        }),
        fetch('/exit', { method: 'POST', credentials: 'same-origin' }),
      ],
      function (work) {
        return Promise.resolve(work).catch(function () {});
      },
    );
  }

  function leave(event) {
    event.preventDefault();
    if (gone) return;
    gone = true;
    document.title = '';
    document.body.textContent = '';
    var go = function () {
      location.replace(url);
    };
    Promise.race([Promise.resolve().then(forget), new Promise(function (done) { setTimeout(done, WAIT_MS); })]).then(go, go);
  }

  link.addEventListener('click', leave);

  var presses = [];
  // Capturing, so that no field or widget on the page can swallow the key first.
  window.addEventListener(
    'keydown',
    function (event) {
      if (event.key !== 'Escape') return;
      var now = Date.now();
      presses = presses.filter(function (t) {
        return now - t < 1500;
      });
      presses.push(now);
      if (presses.length >= 3) leave(event);
    },
    true,
  );
})();
