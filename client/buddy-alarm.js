/*
 * Live buddy alerts on every page of a signed-in member: an SOS or an overdue
 * check-in of a buddy, and new notifications (the area danger alerts are
 * something else: server/safety). Needs /assets/vendor/socket.io.min.js and
 * /assets/socket.js before it. Texts come from data attributes the server renders from the catalogues.
 */
(function () {
  'use strict';
  var body = document.body;
  var account = body.getAttribute('data-account');
  var banner = document.getElementById('live-alert');
  if (!account || !banner || typeof window.parasolSocket !== 'function') return;

  function show(text, href) {
    banner.textContent = '';
    var link = document.createElement('a');
    link.href = href;
    link.textContent = text;
    banner.appendChild(link);
    banner.hidden = false;
  }

  // One connection to /live per page, shared with the thread page's live replies (live.js).
  var socket = window.parasolSocket('/live');
  function subscribe() {
    socket.emit('subscribe', { channel: 'account:' + account }, function (reply) {
      // Marks the page as listening: lets a test (or a curious member) see alerts are live.
      if (reply && reply.ok) body.setAttribute('data-live', 'on');
    });
  }
  socket.on('connect', subscribe);
  socket.on('buddy-alert', function (payload) {
    if (!payload || typeof payload.checkinId !== 'string') return;
    show(body.getAttribute(payload.sos ? 'data-alert-sos' : 'data-alert-overdue') || '!', '/safety/checkins/' + encodeURIComponent(payload.checkinId));
  });
  socket.on('notification', function () {
    if (banner.hidden) show(body.getAttribute('data-alert-notification') || '!', '/notifications');
  });
})();
