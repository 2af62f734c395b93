/*
 * Live messages in a private conversation, on message-list.js (see there); the page works without it. Adds names by
 * place, photos, who joined or left and a shorter retention; bodies are set as text, never as HTML. Words come from
 * the list's data attributes. The page also has #conversation-people with a [data-place] per other person (its
 * .tag says waiting or left), #conversation-retention with data-notes='{"<days>": note, …}' and #shorten-form. A
 * message with photos is posted by the form (photo-cover.js prepares them), never over the socket. Someone joining
 * or leaving and a shorter retention arrive as places and numbers; the names and texts come from the page.
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
  var people = document.getElementById('conversation-people');
  var retention = document.getElementById('conversation-retention');
  var notes = {};
  try {
    notes = JSON.parse((retention && retention.getAttribute('data-notes')) || '{}');
  } catch {
    notes = {};
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
        a.setAttribute('data-label', list.getAttribute('data-sensitive-label') || '');
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
      renderPhotos(li.querySelector('ul.photos'), m.photos);
    },
  });
  if (!live) return;

  /* Someone's place in the heading: its tag says waiting or left, and nothing once they are here. */
  function showPerson(place, state) {
    var person = people && people.querySelector('[data-place="' + place + '"]');
    var tag = person && person.querySelector('.tag');
    if (!tag) return;
    tag.textContent = state ? live.text(state) : '';
    tag.hidden = !state;
  }

  function placeOf(payload) {
    return payload && typeof payload.place === 'number' && payload.place >= 0 && payload.place < 100 ? String(payload.place) : null;
  }

  function notice(key, place) {
    var name = names[place];
    if (typeof name === 'string') live.setStatus(live.text(key).replace('{handle}', name));
  }

  live.socket.on('joined', function (payload) {
    var place = placeOf(payload);
    if (place === null) return;
    showPerson(place, null);
    notice('joined-note', place);
  });
  live.socket.on('left', function (payload) {
    var place = placeOf(payload);
    if (place === null) return;
    showPerson(place, 'left');
    notice('left-note', place);
  });
  live.socket.on('retention', function (payload) {
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
    live.setStatus(note);
  });
  live.socket.on('removed', function () {
    live.end(live.text('removed'));
  });
})();
