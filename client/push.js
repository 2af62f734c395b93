/*
 * "Alerts on this phone": registers the service worker and a Web Push
 * subscription with the instance's own VAPID key. Only on pages that have a
 * button with id="enable-push"; its data attributes carry the texts.
 */
(function () {
  'use strict';
  var button = document.getElementById('enable-push');
  var status = document.getElementById('push-status');
  if (!button || !status) return;
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    status.textContent = button.getAttribute('data-unsupported');
    return;
  }
  button.hidden = false;

  function keyBytes(base64url) {
    var padded = (base64url + '===').slice(0, base64url.length + ((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  button.addEventListener('click', function () {
    button.disabled = true;
    Promise.all([navigator.serviceWorker.register('/sw.js'), fetch('/api/v1/push/key', { credentials: 'same-origin' }).then(function (r) { return r.json(); })])
      .then(function (results) {
        return results[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(results[1].publicKey) });
      })
      .then(function (subscription) {
        var json = subscription.toJSON();
        return fetch('/api/v1/push/subscriptions', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } }),
        });
      })
      .then(function (response) {
        status.textContent = button.getAttribute(response.ok ? 'data-on' : 'data-failed');
      })
      .catch(function () {
        status.textContent = button.getAttribute('data-failed');
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
