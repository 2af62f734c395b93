/*
 * The socket.io connections of a page, one per namespace, for live.js,
 * buddy-alarm.js and message-list.js (rooms, conversations). Needs /assets/vendor/socket.io.min.js before it,
 * and offline.js (loaded earlier on every page) for window.parasolNetwork.
 * A connection that cannot be made tells offline.js the network is failing,
 * one that is made tells it the network works. While the network is down the
 * sockets stop retrying (retries only drain the battery and log errors) and
 * connect again once it is back.
 */
(function () {
  'use strict';
  if (typeof io !== 'function') return;
  var sockets = {};

  window.parasolSocket = function (namespace) {
    if (sockets[namespace]) return sockets[namespace];
    // tryAllTransports: without it a failed WebSocket is retried forever and polling never tried.
    var socket = io(namespace, { transports: ['websocket', 'polling'], tryAllTransports: true });
    sockets[namespace] = socket;
    var network = window.parasolNetwork;
    if (!network) return socket;
    socket.on('connect', network.succeeded);
    socket.on('connect_error', function (error) {
      // A refusal the server sent (no session, say) carries data: the network itself worked.
      if (error && error.data) network.succeeded();
      else network.failed();
    });
    // Only a socket this stopped is started again: one its page ended (a room closed) stays ended.
    var stopped = false;
    network.onChange(function (up) {
      if (!up && socket.active) {
        stopped = true;
        socket.disconnect();
      } else if (up && stopped) {
        stopped = false;
        socket.connect();
      }
    });
    return socket;
  };
})();
