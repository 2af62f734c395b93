/*
 * Quick exit, on every page. The Exit link works as a plain link without
 * JavaScript; here it (and Escape pressed three times within 1.5 s) blanks
 * the page first, so a glance over the shoulder shows nothing while the
 * neutral site loads, then uses location.replace so that Back does not
 * lead here again. The address comes from the server, in data-exit-url.
 */
(function () {
  'use strict';
  var link = document.getElementById('quick-exit');
  var url = link && link.getAttribute('data-exit-url');
  if (!url) return;

  function leave(event) {
    event.preventDefault();
    document.title = '';
    document.body.textContent = '';
    location.replace(url);
  }

  link.addEventListener('click', leave);

  var presses = [];
  // Capturing, so that no field or widget on the page can swallow the key first.
  window.addEventListener(
    'keydown',
    function (event) {
      if (event.key !== 'Escape') return;
      var now = Date.now();
      presses = presses.filter(function (t) {
        return now - t < 1500;
      });
      presses.push(now);
      if (presses.length >= 3) leave(event);
    },
    true,
  );
})();
