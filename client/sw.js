/*
 * Parasol's service worker. Web Push: a push carries only a path to open; the
 * notification text is neutral (from the install-time data), so a lock screen
 * shows nothing about safety, sex work or health.
 */
'use strict';

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
