/*
 * Live messages in a private conversation. Progressive enhancement: the page reads and posts without it.
 * The conversation page provides, scripts last and in this order (no inline script: CSP):
 *   <script src="/assets/vendor/socket.io.min.js" defer></script>
 *   <script src="/assets/socket.js" defer></script>
 *   <script src="/assets/conversation.js" defer></script>
 *   <ol id="messages" data-conversation="ID" data-me="PLACE" data-cursor="LAST" data-names='{"0":"handle",…}' …> … </ol>
 *   <template id="message-template"> one message, MID in place of its id </template>
 *   <form id="send-form">…<textarea name="body">…</form>, #conversation-status
 *   #conversation-people with a [data-place] per other person (its .tag says waiting or left),
 *   #conversation-retention with data-notes='{"<days>": note, …}', #shorten-form with its radio buttons
 * Every user-facing string comes from data attributes rendered from the locale catalogues. A message is shown
 * as sent only once the server acknowledged it as stored; bodies are set as text, never as HTML. A message with
 * photos is posted by the form (photo-cover.js prepares them), never over the socket. Someone joining or leaving
 * and a shorter retention arrive as places and numbers; the names and texts come from the page.
 */
(function () {
  'use strict';
  var list = document.getElementById('messages');
  var conversationId = list && list.getAttribute('data-conversation');
  var template = document.getElementById('message-template');
  if (!conversationId || !template || typeof window.parasolSocket !== 'function') return;
  var form = document.getElementById('send-form');
  var status = document.getElementById('conversation-status');
  var people = document.getElementById('conversation-people');
  var retention = document.getElementById('conversation-retention');
  var notes = {};
  try {
    notes = JSON.parse((retention && retention.getAttribute('data-notes')) || '{}');
  } catch {
    notes = {};
  }
  var validId = /^[A-Za-z0-9_-]{1,64}$/;
  var validCursor = /^\d{1,15}$/;
  var me = Number(list.getAttribute('data-me'));
  var names = {};
  try {
    names = JSON.parse(list.getAttribute('data-names') || '{}');
  } catch {
    names = {};
  }
  var cursor = Number(list.getAttribute('data-cursor')) || 0;
  var ended = false;
  var readTimer = null;
  var lang = document.documentElement.lang || undefined;
  var socket = window.parasolSocket('/conversations');

  function text(name) {
    return list.getAttribute('data-' + name) || '';
  }

  function setStatus(message) {
    if (!status) return;
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
      return new Date(ms).toLocaleString();
    }
  }

  var validPhoto = /^\/media\/[A-Za-z0-9_-]{16}$/;

  function size(n) {
    return typeof n === 'number' && n > 0 && n < 10000 ? String(Math.round(n)) : null;
  }

  /* The thumbnails as the server's page shows them (server/media/media.views.ts); a sensitive one stays blurred until tapped. */
  function renderPhotos(ul, photos) {
    if (!ul || !Array.isArray(photos)) return;
    photos.forEach(function (photo) {
      if (!photo || typeof photo.url !== 'string' || !validPhoto.test(photo.url) || photo.thumbUrl !== photo.url + '/thumb') return;
      var width = size(photo.thumbWidth);
      var height = size(photo.thumbHeight);
      if (!width || !height) return;
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.className = 'photo';
      a.href = photo.url;
      var img = document.createElement('img');
      img.width = Number(width);
      img.height = Number(height);
      img.alt = typeof photo.alt === 'string' ? photo.alt : '';
      if (photo.sensitive) {
        a.setAttribute('data-label', text('sensitive-label'));
        var preview = typeof photo.preview === 'string' && /^data:image\/webp;base64,[A-Za-z0-9+/=]+$/.test(photo.preview) ? photo.preview : null;
        img.src = preview || photo.thumbUrl;
        img.setAttribute('data-thumb', photo.thumbUrl);
        img.setAttribute('data-sensitive', '');
      } else {
        img.src = photo.thumbUrl;
        img.loading = 'lazy';
        img.decoding = 'async';
      }
      a.appendChild(img);
      li.appendChild(a);
      ul.appendChild(li);
    });
    ul.hidden = ul.children.length === 0;
  }

  function render(m) {
    if (!m || typeof m.id !== 'string' || !validId.test(m.id) || typeof m.cursor !== 'string' || !validCursor.test(m.cursor)) return null;
    var mine = m.place === me;
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
    var name = names[String(m.place)];
    li.querySelector('header .author').textContent = typeof name === 'string' ? name : text('someone');
    var time = li.querySelector('header time');
    if (typeof m.createdAt === 'number') {
      time.setAttribute('datetime', new Date(m.createdAt).toISOString());
      time.textContent = formatTime(m.createdAt);
    }
    li.querySelector('.body').textContent = typeof m.body === 'string' ? m.body : '';
    renderPhotos(li.querySelector('ul.photos'), m.photos);
    return li;
  }

  /* In cursor order; unsent (pending) items stay last. */
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
    list.insertBefore(li, before);
    if (c > cursor) cursor = c;
    li.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function markRead() {
    if (readTimer !== null || document.visibilityState !== 'visible') return;
    readTimer = window.setTimeout(function () {
      readTimer = null;
      if (socket.connected) socket.emit('read', { conversationId: conversationId, cursor: String(cursor) }, function () {});
    }, 3000);
  }

  function catchUp() {
    socket.timeout(10000).emit('catch-up', { conversationId: conversationId, after: String(cursor) }, function (err, answer) {
      if (err || !answer || !answer.ok || !Array.isArray(answer.messages)) return;
      answer.messages.forEach(function (m) {
        var li = render(m);
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

  function newClientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  }

  function send(pending, payload) {
    var state = pending.querySelector('.state');
    state.textContent = '';
    socket.timeout(10000).emit('send', payload, function (err, answer) {
      if (!err && answer && answer.ok) {
        var li = render(answer.message);
        if (li) {
          pending.remove();
          insert(li);
          markRead();
          return;
        }
      }
      pending.classList.add('failed');
      state.textContent = answer && answer.error && typeof answer.error.message === 'string' ? answer.error.message : text('failed');
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
      var pending = document.createElement('li');
      pending.className = 'message pending';
      var p = document.createElement('p');
      p.className = 'body keep-lines';
      p.textContent = body;
      var state = document.createElement('p');
      state.className = 'state';
      state.setAttribute('role', 'status');
      pending.appendChild(p);
      pending.appendChild(state);
      list.appendChild(pending);
      box.value = '';
      send(pending, { conversationId: conversationId, body: body, clientId: newClientId() });
    });
  }

  socket.on('connect', function () {
    socket.emit('subscribe', { channel: 'conversation:' + conversationId }, function (reply) {
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
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('message', function (m) {
    var li = render(m);
    if (li && !document.getElementById(li.id) && insert(li)) markRead();
  });
  socket.on('message-deleted', function (payload) {
    var li = payload && typeof payload.id === 'string' && validId.test(payload.id) ? document.getElementById('m-' + payload.id) : null;
    if (li) li.remove();
  });
  /* Someone's place in the heading: its tag says waiting or left, and nothing once they are here. */
  function showPerson(place, state) {
    var person = people && people.querySelector('[data-place="' + place + '"]');
    var tag = person && person.querySelector('.tag');
    if (!tag) return;
    tag.textContent = state ? text(state) : '';
    tag.hidden = !state;
  }

  function placeOf(payload) {
    return payload && typeof payload.place === 'number' && payload.place >= 0 && payload.place < 100 ? String(payload.place) : null;
  }

  function notice(key, place) {
    var name = names[place];
    if (typeof name === 'string') setStatus(text(key).replace('{handle}', name));
  }

  socket.on('joined', function (payload) {
    var place = placeOf(payload);
    if (place === null) return;
    showPerson(place, null);
    notice('joined-note', place);
  });
  socket.on('left', function (payload) {
    var place = placeOf(payload);
    if (place === null) return;
    showPerson(place, 'left');
    notice('left-note', place);
  });
  socket.on('retention', function (payload) {
    var days = payload && typeof payload.retentionDays === 'number' ? payload.retentionDays : null;
    var note = days !== null && Object.prototype.hasOwnProperty.call(notes, String(days)) ? notes[String(days)] : null;
    if (typeof note !== 'string') return;
    var small = retention && retention.querySelector('small');
    if (small) small.textContent = note;
    // Only a shorter retention can be chosen after this one.
    var shorten = document.getElementById('shorten-form');
    if (shorten) {
      shorten.querySelectorAll('input[name="retentionDays"]').forEach(function (input) {
        if (Number(input.value) >= days && input.parentNode) input.parentNode.remove();
      });
      var left = shorten.querySelectorAll('input[name="retentionDays"]');
      if (left.length === 0) shorten.remove();
      else if (!shorten.querySelector('input[name="retentionDays"]:checked')) left[0].checked = true;
    }
    setStatus(note);
  });
  socket.on('removed', function () {
    end(text('removed'));
  });

  document.addEventListener('visibilitychange', markRead);
})();
