/*
 * Parasol's service worker.
 *
 * Offline: the app shell (styles, scripts, icons, the offline page) is kept at
 * install; forum pages (home, boards, threads, rights pages) are kept as they
 * are read, the last PAGES_KEPT of them, and shown when the network is gone.
 * Nothing else is kept: no rooms, screening, safety, settings or admin page
 * ever lands on the phone. Pages say "forget" (quick exit, log-out) to drop
 * every kept page.
 *
 * Web Push: a push carries only a path to open; the notification text is
 * neutral, so a lock screen shows nothing about safety, sex work or health.
 */
'use strict';

var SHELL = 'parasol-shell-v2';
var PAGES = 'parasol-pages';
var PAGES_KEPT = 30;
var SHELL_FILES = ['/assets/parasol.css', '/assets/safety.js', '/assets/offline.js', '/assets/icons.svg', '/assets/umbrella.svg', '/assets/notes.svg', '/offline'];
var KEPT_PAGES = /^\/(?:$|b\/[^/]+$|t\/[^/]+$|rights(?:\/[^/]+)?$)/;

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches
      .open(SHELL)
      .then(function (cache) {
        return cache.addAll(SHELL_FILES);
      })
      .then(function () {
        return self.skipWaiting();
      }),
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf('parasol-shell-') === 0 && name !== SHELL;
            })
            .map(function (name) {
              return caches.delete(name);
            }),
        );
      })
      .then(function () {
        return self.clients.claim();
      }),
  );
});

function keepPage(request, response) {
  return caches.open(PAGES).then(function (cache) {
    return cache.put(request, response).then(function () {
      return cache.keys().then(function (keys) {
        // Oldest first: keys come back in insertion order.
        return Promise.all(
          keys.slice(0, Math.max(0, keys.length - PAGES_KEPT)).map(function (key) {
            return cache.delete(key);
          }),
        );
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Photos are checked on every request and may be private: never kept on the phone, not even when opened as a page.
  if (url.pathname.indexOf('/media/') === 0) return;

  if (url.pathname.indexOf('/assets/') === 0) {
    // Shown from the phone at once, refreshed from the network for next time.
    event.respondWith(
      caches.open(SHELL).then(function (cache) {
        return cache.match(request).then(function (kept) {
          var fresh = fetch(request)
            .then(function (response) {
              if (response.ok) cache.put(request, response.clone());
              return response;
            })
            .catch(function () {
              return kept;
            });
          return kept || fresh;
        });
      }),
    );
    return;
  }

  if (request.mode !== 'navigate') return;
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok && response.type === 'basic' && KEPT_PAGES.test(url.pathname) && !url.search) {
          event.waitUntil(keepPage(request, response.clone()));
        }
        return response;
      })
      .catch(function () {
        // Pages that may also answer as ActivityPub vary on Accept; only navigations (HTML) are kept here.
        return caches.match(request, { cacheName: PAGES, ignoreVary: true }).then(function (kept) {
          return kept || caches.match('/offline', { cacheName: SHELL });
        });
      }),
  );
});

/*
 * The offline page is kept at install, in the language of that first visit; a
 * person who then picks another language must not get it in the first one.
 * Pages say which language they are in ("lang:ar"); a kept copy in another
 * one is fetched again (only then: one small page when the language changes).
 */
function keepOfflinePage(lang) {
  return caches.open(SHELL).then(function (cache) {
    return cache
      .match('/offline')
      .then(function (kept) {
        return kept ? kept.text() : '';
      })
      .then(function (text) {
        if (text.indexOf('<html lang="' + lang + '"') !== -1) return undefined;
        return fetch('/offline').then(function (response) {
          return response.ok ? cache.put('/offline', response) : undefined;
        });
      });
  });
}

self.addEventListener('message', function (event) {
  if (event.data === 'forget') event.waitUntil(caches.delete(PAGES));
  else if (typeof event.data === 'string' && /^lang:[A-Za-z0-9-]{2,35}$/.test(event.data)) event.waitUntil(keepOfflinePage(event.data.slice(5)).catch(function () {}));
});

self.addEventListener('push', function (event) {
  var data;
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  var url = typeof data.url === 'string' && data.url.charAt(0) === '/' ? data.url : '/notifications';
  event.waitUntil(
    // A bell and nothing else: no site name, no words, whatever the language.
    self.registration.showNotification('🔔', {
      body: '',
      tag: 'parasol',
      renotify: true,
      data: { url: url },
    }),
  );
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(self.clients.openWindow(url));
});
