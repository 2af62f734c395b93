/*
 * Live messages in a room. Progressive enhancement: the page reads and posts without it.
 * The room page provides, scripts last and in this order (no inline script: CSP):
 *   <script src="/assets/vendor/socket.io.min.js" defer></script>
 *   <script src="/assets/socket.js" defer></script>
 *   <script src="/assets/room.js" defer></script>
 *   <ol id="messages" data-room="ROOM_ID" data-cursor="LAST_CURSOR" data-sending="…" …> <li id="m-ID" data-cursor="N">…</li> … </ol>
 *   <template id="message-template"> one message, MID in place of its id </template>
 *   <form id="send-form">…<textarea name="body">…</form>, #room-status, #room-online, #pins / #pin-list
 * Every user-facing string comes from data attributes rendered from the locale catalogues.
 * A message is shown as sent only once the server acknowledged it as stored.
 */
(function () {
  'use strict';
  var list = document.getElementById('messages');
  var roomId = list && list.getAttribute('data-room');
  var template = document.getElementById('message-template');
  if (!roomId || !template || typeof window.parasolSocket !== 'function') return;
  var form = document.getElementById('send-form');
  var status = document.getElementById('room-status');
  var online = document.getElementById('room-online');
  var pinSection = document.getElementById('pins');
  var pinList = document.getElementById('pin-list');
  var validId = /^[A-Za-z0-9_-]{1,64}$/;
  var validCursor = /^\d{1,15}$/;
  /* The highest message cursor on the page: catching up asks for everything after it. */
  var cursor = Number(list.getAttribute('data-cursor')) || 0;
  var ended = false;
  var readTimer = null;
  var lang = document.documentElement.lang || undefined;

  var socket = window.parasolSocket('/rooms');

  function text(name) {
    return list.getAttribute('data-' + name) || '';
  }

  function setStatus(message) {
    if (!status) return;
    // Clearing first lets screen readers announce the same words again.
    status.textContent = '';
    if (message) {
      window.setTimeout(function () {
        status.textContent = message;
      }, 50);
    }
  }

  function authorText(author) {
    if (!author || author.kind === 'deleted' || typeof author.label !== 'string') return text('deleted-member');
    return author.kind === 'pseudonym' ? '@' + author.label : author.label;
  }

  function formatTime(ms) {
    try {
      return new Date(ms).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
    } catch {
      // An unusual page language tag: the browser's default format will do.
      return new Date(ms).toLocaleString();
    }
  }

  function setCounts(li, reactions) {
    if (!reactions || typeof reactions !== 'object') return;
    li.querySelectorAll('.reaction[data-kind]').forEach(function (button) {
      var n = reactions[button.getAttribute('data-kind')];
      var count = button.querySelector('.count');
      if (count && typeof n === 'number') count.textContent = n > 0 ? String(n) : '';
    });
  }

  /* Builds a message from the template; the HTML body was cleaned by the server's one Markdown pipeline. */
  function render(m, mine) {
    if (!m || typeof m.id !== 'string' || !validId.test(m.id) || typeof m.cursor !== 'string' || !validCursor.test(m.cursor)) return null;
    var li = template.content.firstElementChild.cloneNode(true);
    li.id = 'm-' + m.id;
    li.setAttribute('data-cursor', m.cursor);
    if (mine) li.classList.add('mine');
    li.querySelectorAll('[href],[action]').forEach(function (el) {
      var attr = el.hasAttribute('href') ? 'href' : 'action';
      el.setAttribute(attr, el.getAttribute(attr).replace(/MID/g, m.id));
    });
    li.querySelectorAll(mine ? '.only-others' : '.only-mine').forEach(function (el) {
      el.remove();
    });
    li.querySelector('header .author').textContent = authorText(m.author);
    var time = li.querySelector('header time');
    if (typeof m.createdAt === 'number') {
      time.setAttribute('datetime', new Date(m.createdAt).toISOString());
      time.textContent = formatTime(m.createdAt);
    }
    var quote = li.querySelector('.quote');
    if (m.replyTo && typeof m.replyTo.id === 'string' && validId.test(m.replyTo.id)) {
      quote.querySelector('a').setAttribute('href', '#m-' + m.replyTo.id);
      quote.querySelector('.author').textContent = m.replyTo.author ? authorText(m.replyTo.author) : text('deleted-member');
      quote.querySelector('.excerpt').textContent = typeof m.replyTo.excerpt === 'string' ? m.replyTo.excerpt : text('gone');
    } else {
      quote.remove();
    }
    li.querySelector('.body').innerHTML = typeof m.html === 'string' ? m.html : '';
    setCounts(li, m.reactions);
    return li;
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  /* In cursor order: two messages sent at once may arrive in either order. Unsent (pending) items stay last. */
  function insert(li) {
    var c = Number(li.getAttribute('data-cursor'));
    var existing = document.getElementById(li.id);
    if (existing) {
      existing.replaceWith(li);
      return false;
    }
    var items = list.children;
    var before = null;
    for (var i = items.length - 1; i >= 0; i--) {
      var at = items[i].getAttribute('data-cursor');
      if (at === null) {
        before = items[i];
        continue;
      }
      if (Number(at) < c) break;
      before = items[i];
    }
    var follow = nearBottom();
    list.insertBefore(li, before);
    if (c > cursor) cursor = c;
    var empty = document.getElementById('room-empty');
    if (empty) empty.remove();
    if (follow) li.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function markRead() {
    if (readTimer !== null || document.visibilityState !== 'visible') return;
    readTimer = window.setTimeout(function () {
      readTimer = null;
      if (socket.connected) socket.emit('read', { roomId: roomId, cursor: String(cursor) }, function () {});
    }, 3000);
  }

  function catchUp() {
    socket.timeout(10000).emit('catch-up', { roomId: roomId, after: String(cursor) }, function (err, answer) {
      if (err || !answer || !answer.ok || !Array.isArray(answer.messages)) return;
      answer.messages.forEach(function (m) {
        var li = render(m, false);
        if (li && !document.getElementById(li.id)) insert(li);
      });
      if (answer.newer) catchUp();
      else markRead();
    });
  }

  function end(message) {
    ended = true;
    setStatus(message);
    if (form) form.hidden = true;
    list.removeAttribute('data-live');
    socket.disconnect();
  }

  // ---- sending -------------------------------------------------------------

  function newClientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  }

  function pendingItem(body) {
    var li = document.createElement('li');
    li.className = 'message pending';
    var p = document.createElement('p');
    p.className = 'body';
    p.textContent = body;
    var state = document.createElement('p');
    state.className = 'state';
    state.setAttribute('role', 'status');
    li.appendChild(p);
    li.appendChild(state);
    return li;
  }

  function send(pending, payload) {
    var state = pending.querySelector('.state');
    state.textContent = text('sending');
    var old = pending.querySelector('button');
    if (old) old.remove();
    socket.timeout(10000).emit('send', payload, function (err, answer) {
      if (!err && answer && answer.ok) {
        var li = render(answer.message, true);
        if (li) {
          pending.remove();
          insert(li);
          markRead();
          return;
        }
      }
      pending.classList.add('failed');
      state.textContent = (answer && answer.error && typeof answer.error.message === 'string' ? answer.error.message : text('failed')) + ' ';
      var retry = document.createElement('button');
      retry.type = 'button';
      retry.textContent = text('retry');
      retry.addEventListener('click', function () {
        pending.classList.remove('failed');
        // The same clientId: if the first try was stored after all, the server answers that message.
        send(pending, payload);
      });
      pending.appendChild(retry);
    });
  }

  if (form) {
    form.addEventListener('submit', function (event) {
      // Without a live connection the form posts as it would without JavaScript; so does a message with photos.
      var photos = form.querySelector('[data-photo-input]');
      if (!socket.connected || ended || (photos && photos.files && photos.files.length > 0)) return;
      event.preventDefault();
      var box = form.elements.namedItem('body');
      var body = box ? box.value : '';
      if (!body.trim()) return;
      var reply = form.elements.namedItem('replyTo');
      var payload = { roomId: roomId, body: body, replyTo: reply && validId.test(reply.value) ? reply.value : null, clientId: newClientId() };
      var pending = pendingItem(body);
      list.appendChild(pending);
      box.value = '';
      if (reply) {
        reply.remove();
        form.querySelectorAll('.quote').forEach(function (q) {
          q.remove();
        });
      }
      send(pending, payload);
    });
  }

  // ---- live events -----------------------------------------------------------

  socket.on('connect', function () {
    socket.emit('subscribe', { channel: 'room:' + roomId }, function (reply) {
      if (reply && reply.ok) {
        list.setAttribute('data-live', 'on');
        setStatus('');
        catchUp();
      } else if (reply && reply.error && reply.error.code === 'forbidden') {
        end(text('removed'));
      }
    });
  });
  socket.on('disconnect', function (reason) {
    list.removeAttribute('data-live');
    if (ended) return;
    setStatus(text('offline'));
    // The server ends a connection whose session ended; reconnect as whoever the cookie now says.
    if (reason === 'io server disconnect') socket.connect();
  });

  socket.on('message', function (m) {
    var li = render(m, false);
    if (li && !document.getElementById(li.id) && insert(li)) {
      setStatus(text('new'));
      markRead();
    }
  });
  socket.on('message-edited', function (payload) {
    var li = payload && typeof payload.id === 'string' && validId.test(payload.id) ? document.getElementById('m-' + payload.id) : null;
    if (!li || typeof payload.html !== 'string') return;
    li.querySelector('.body').innerHTML = payload.html;
    var header = li.querySelector('header');
    if (header && !header.querySelector('.edited')) {
      var small = document.createElement('small');
      small.className = 'edited';
      small.textContent = ' · ' + text('edited');
      header.appendChild(small);
    }
  });
  socket.on('message-deleted', function (payload) {
    var li = payload && typeof payload.id === 'string' && validId.test(payload.id) ? document.getElementById('m-' + payload.id) : null;
    if (li) li.remove();
  });
  socket.on('reaction', function (payload) {
    var li = payload && typeof payload.id === 'string' && validId.test(payload.id) ? document.getElementById('m-' + payload.id) : null;
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
    end(text('removed'));
  });
  socket.on('room-closed', function () {
    end(text('closed'));
  });

  document.addEventListener('visibilitychange', markRead);
})();
