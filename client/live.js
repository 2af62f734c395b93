/*
 * Live replies on a thread page. Progressive enhancement: the page works without it.
 * The page provides, scripts last and in this order (no inline script: CSP):
 *   <script src="/assets/vendor/socket.io.min.js" defer></script>
 *   <script src="/assets/socket.js" defer></script>
 *   <script src="/assets/live.js" defer></script>
 *   <ol id="posts" data-thread="THREAD_ID"> <li id="p-POST_ID" class="post">…</li> … </ol>
 *   <p id="live-status" role="status" aria-live="polite" data-new-reply="(localised text)"></p>
 * Every user-facing string comes from data attributes rendered from the locale catalogues.
 */
// The photo tool (photo-cover.js, 7 KB) loads only when a reader opens the reply form's photo picker, or when the
// thread shows a sensitive photo (which it keeps blurred until tapped): a text-only thread stays within its budget.
(function () {
  'use strict';
  function loadPhotoTool() {
    if (document.querySelector('script[data-photo-cover]')) return;
    const script = document.createElement('script');
    script.src = '/assets/photo-cover.js';
    script.setAttribute('data-photo-cover', '');
    document.head.appendChild(script);
  }
  if (document.querySelector('img[data-sensitive]')) loadPhotoTool();
  document.addEventListener(
    'toggle',
    function (event) {
      const picker = event.target;
      if (picker.matches && picker.matches('details[data-photo-picker]') && picker.open) loadPhotoTool();
    },
    true,
  );
})();

(function () {
  'use strict';
  const list = document.getElementById('posts');
  const thread = list && list.getAttribute('data-thread');
  if (!thread || typeof window.parasolSocket !== 'function' || !window.fetch) return;
  const status = document.getElementById('live-status');
  const channel = 'thread:' + thread;
  // One connection to /live per page, shared with the buddy alarm (buddy-alarm.js).
  const socket = window.parasolSocket('/live');
  const validId = /^[A-Za-z0-9_-]{1,64}$/;

  const network = window.parasolNetwork;

  function fragment(postId) {
    return fetch('/p/' + postId + '/fragment', { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (res) {
        if (network) network.succeeded();
        return res.ok ? res.text() : '';
      }, function (error) {
        if (network) network.failed();
        throw error;
      })
      .then(function (html) {
        const template = document.createElement('template');
        template.innerHTML = html;
        const el = template.content.firstElementChild;
        // Only ever insert the one post asked for, whatever else came back.
        return el && el.id === 'p-' + postId ? el : null;
      });
  }

  function announce() {
    const text = status && status.getAttribute('data-new-reply');
    if (!text) return;
    // Clearing first lets screen readers announce the same words again.
    status.textContent = '';
    window.setTimeout(function () {
      status.textContent = text;
    }, 100);
  }

  function on(event, handle) {
    socket.on(event, function (payload) {
      const postId = payload && payload.postId;
      if (typeof postId === 'string' && validId.test(postId)) handle(postId, document.getElementById('p-' + postId));
    });
  }

  on('post', function (postId, existing) {
    if (existing) return;
    fragment(postId).then(function (el) {
      // Checked again: the same post may have arrived twice while fetching.
      if (el && !document.getElementById(el.id)) {
        list.appendChild(el);
        announce();
      }
    }, function () {});
  });

  on('post-edited', function (postId, existing) {
    if (!existing) return;
    fragment(postId).then(function (el) {
      const now = document.getElementById('p-' + postId);
      if (el && now) now.replaceWith(el);
    }, function () {});
  });

  on('post-removed', function (postId, existing) {
    if (existing) existing.remove();
  });

  // Runs on every (re)connection: a new connection starts with no channels.
  socket.on('connect', function () {
    socket.emit('subscribe', { channel: channel }, function () {});
  });
  // The server ends a connection whose session ended; reconnect as whoever the cookie now says.
  socket.on('disconnect', function (reason) {
    if (reason === 'io server disconnect') socket.connect();
  });
})();
