/*
 * Live messages in a room, on message-list.js (see there); the page works without it. Adds a room's own: authors,
 * quotes, reactions, edits, pins, who is online, a closed room. Words come from the list's data attributes.
 */
(function () {
  'use strict';
  var list = document.getElementById('messages');
  var roomId = list && list.getAttribute('data-room');
  if (!roomId || typeof window.parasolMessageList !== 'function') return;
  var online = document.getElementById('room-online');
  var pinSection = document.getElementById('pins');
  var pinList = document.getElementById('pin-list');

  function authorText(author) {
    if (!author || author.kind === 'deleted' || typeof author.label !== 'string') return live.text('deleted-member');
    return author.kind === 'pseudonym' ? '@' + author.label : author.label;
  }

  function setCounts(li, reactions) {
    if (!reactions || typeof reactions !== 'object') return;
    li.querySelectorAll('.reaction[data-kind]').forEach(function (button) {
      var n = reactions[button.getAttribute('data-kind')];
      var count = button.querySelector('.count');
      if (count && typeof n === 'number') count.textContent = n > 0 ? String(n) : '';
    });
  }

  /* A message's own parts; the HTML body was cleaned by the server's one Markdown pipeline. */
  function fill(li, m) {
    li.querySelector('header .author').textContent = authorText(m.author);
    var quote = li.querySelector('.quote');
    if (m.replyTo && typeof m.replyTo.id === 'string' && live.validId.test(m.replyTo.id)) {
      quote.querySelector('a').setAttribute('href', '#m-' + m.replyTo.id);
      quote.querySelector('.author').textContent = m.replyTo.author ? authorText(m.replyTo.author) : live.text('deleted-member');
      quote.querySelector('.excerpt').textContent = typeof m.replyTo.excerpt === 'string' ? m.replyTo.excerpt : live.text('gone');
    } else {
      quote.remove();
    }
    li.querySelector('.body').innerHTML = typeof m.html === 'string' ? m.html : '';
    setCounts(li, m.reactions);
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  var live = window.parasolMessageList({
    list: list,
    namespace: '/rooms',
    key: 'roomId',
    id: roomId,
    channel: 'room:' + roomId,
    status: document.getElementById('room-status'),
    empty: document.getElementById('room-empty'),
    // Only a reader at the end of the list is moved along with it.
    follow: nearBottom,
    mine: function (m, sent) {
      return sent;
    },
    fill: fill,
    extra: function (form) {
      var reply = form.elements.namedItem('replyTo');
      var replyTo = reply && live.validId.test(reply.value) ? reply.value : null;
      if (reply) {
        reply.remove();
        form.querySelectorAll('.quote').forEach(function (q) {
          q.remove();
        });
      }
      return { replyTo: replyTo };
    },
  });
  if (!live) return;
  var socket = live.socket;

  socket.on('message-edited', function (payload) {
    var li = live.itemOf(payload);
    if (!li || typeof payload.html !== 'string') return;
    li.querySelector('.body').innerHTML = payload.html;
    var header = li.querySelector('header');
    if (header && !header.querySelector('.edited')) {
      var small = document.createElement('small');
      small.className = 'edited';
      small.textContent = ' · ' + live.text('edited');
      header.appendChild(small);
    }
  });
  socket.on('reaction', function (payload) {
    var li = live.itemOf(payload);
    if (li) setCounts(li, payload.reactions);
  });
  socket.on('pin', function (payload) {
    if (!pinList || !payload || !Array.isArray(payload.pins)) return;
    pinList.textContent = '';
    payload.pins.forEach(function (pin) {
      var li = document.createElement('li');
      var head = document.createElement(pin.title ? 'strong' : 'span');
      head.className = pin.title ? '' : 'author';
      head.textContent = pin.title ? String(pin.title) : authorText(pin.author);
      var body = document.createElement('div');
      body.className = 'body';
      body.innerHTML = typeof pin.html === 'string' ? pin.html : '';
      li.appendChild(head);
      li.appendChild(body);
      pinList.appendChild(li);
    });
    pinSection.hidden = payload.pins.length === 0;
  });
  socket.on('presence', function (payload) {
    if (online && payload && typeof payload.online === 'number') online.textContent = String(payload.online);
  });
  socket.on('member-removed', function () {
    live.end(live.text('removed'));
  });
  socket.on('room-closed', function () {
    live.end(live.text('closed'));
  });
})();
