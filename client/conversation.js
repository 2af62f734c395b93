/*
 * Live messages in a private conversation, on message-list.js (see there); the page works without it. Adds names by
 * place and who left; bodies are set as text, never as HTML. Words come from the list's data attributes.
 */
(function () {
  'use strict';
  var list = document.getElementById('messages');
  var conversationId = list && list.getAttribute('data-conversation');
  if (!conversationId || typeof window.parasolMessageList !== 'function') return;
  var me = Number(list.getAttribute('data-me'));
  var names = {};
  try {
    names = JSON.parse(list.getAttribute('data-names') || '{}');
  } catch {
    names = {};
  }

  var live = window.parasolMessageList({
    list: list,
    namespace: '/conversations',
    key: 'conversationId',
    id: conversationId,
    channel: 'conversation:' + conversationId,
    status: document.getElementById('conversation-status'),
    keepLines: true,
    mine: function (m) {
      return m.place === me;
    },
    fill: function (li, m) {
      var name = names[String(m.place)];
      li.querySelector('header .author').textContent = typeof name === 'string' ? name : live.text('someone');
      li.querySelector('.body').textContent = typeof m.body === 'string' ? m.body : '';
    },
  });
  if (!live) return;

  live.socket.on('left', function (payload) {
    var name = payload && names[String(payload.place)];
    if (typeof name === 'string') live.setStatus(name + ': ' + live.text('left'));
  });
  live.socket.on('removed', function () {
    live.end(live.text('removed'));
  });
})();
