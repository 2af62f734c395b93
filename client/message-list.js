/*
 * The live list of messages a room (room.js) and a conversation (conversation.js) share: catching up after each
 * (re)connection, sending (shown as sent only once the server stored it), marking read, ending. After socket.js.
 * The words shown come from the list's data attributes; without data-sending, data-retry or data-new none is shown.
 */
(function () {
  'use strict';
  var validId = /^[A-Za-z0-9_-]{1,64}$/;
  var validCursor = /^\d{1,15}$/;

  function newClientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  }

  /*
   * options: list, namespace, key and id (the room's or conversation's, as sent), channel, status (the notices'
   * element), mine(m, sent), fill(li, m, mine) (a page's own parts of a message); optional: empty (removed at the
   * first message), follow() (scroll to a new message?), keepLines, extra(form) (more fields to send).
   */
  window.parasolMessageList = function (options) {
    var list = options.list;
    var template = document.getElementById('message-template');
    if (!template || typeof window.parasolSocket !== 'function') return null;
    var form = document.getElementById('send-form');
    var status = options.status;
    var cursor = Number(list.getAttribute('data-cursor')) || 0;
    var ended = false;
    var readTimer = null;
    var lang = document.documentElement.lang || undefined;
    var socket = window.parasolSocket(options.namespace);

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

    function formatTime(ms) {
      try {
        return new Date(ms).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
      } catch {
        // An unusual page language tag: the browser's default format will do.
        return new Date(ms).toLocaleString();
      }
    }

    /* The item of the message a payload names, if it is on the page. */
    function itemOf(payload) {
      return payload && typeof payload.id === 'string' && validId.test(payload.id) ? document.getElementById('m-' + payload.id) : null;
    }

    function render(m, sent) {
      if (!m || typeof m.id !== 'string' || !validId.test(m.id) || typeof m.cursor !== 'string' || !validCursor.test(m.cursor)) return null;
      var mine = options.mine(m, sent);
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
      var time = li.querySelector('header time');
      if (typeof m.createdAt === 'number') {
        time.setAttribute('datetime', new Date(m.createdAt).toISOString());
        time.textContent = formatTime(m.createdAt);
      }
      options.fill(li, m, mine);
      return li;
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
      var follow = options.follow ? options.follow() : true;
      list.insertBefore(li, before);
      if (c > cursor) cursor = c;
      if (options.empty) options.empty.remove();
      if (follow) li.scrollIntoView({ block: 'nearest' });
      return true;
    }

    function markRead() {
      if (readTimer !== null || document.visibilityState !== 'visible') return;
      readTimer = window.setTimeout(function () {
        readTimer = null;
        var read = { cursor: String(cursor) };
        read[options.key] = options.id;
        if (socket.connected) socket.emit('read', read, function () {});
      }, 3000);
    }

    function catchUp() {
      var ask = { after: String(cursor) };
      ask[options.key] = options.id;
      socket.timeout(10000).emit('catch-up', ask, function (err, answer) {
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

    function pendingItem(body) {
      var li = document.createElement('li');
      li.className = 'message pending';
      var p = document.createElement('p');
      p.className = 'body';
      if (options.keepLines) p.classList.add('keep-lines');
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
        state.textContent = answer && answer.error && typeof answer.error.message === 'string' ? answer.error.message : text('failed');
        var label = text('retry');
        if (!label) return;
        state.textContent += ' ';
        var retry = document.createElement('button');
        retry.type = 'button';
        retry.textContent = label;
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
        var payload = options.extra ? options.extra(form) : {};
        payload[options.key] = options.id;
        payload.body = body;
        payload.clientId = newClientId();
        var pending = pendingItem(body);
        list.appendChild(pending);
        box.value = '';
        send(pending, payload);
      });
    }

    socket.on('connect', function () {
      socket.emit('subscribe', { channel: options.channel }, function (reply) {
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
        if (text('new')) setStatus(text('new'));
        markRead();
      }
    });
    socket.on('message-deleted', function (payload) {
      var li = itemOf(payload);
      if (li) li.remove();
    });
    document.addEventListener('visibilitychange', markRead);

    return { socket: socket, text: text, setStatus: setStatus, itemOf: itemOf, end: end, validId: validId };
  };
})();
