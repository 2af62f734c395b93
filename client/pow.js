/*
 * The log-in challenge: after too many failed log-ins on a handle, a browser
 * without that account's device cookie proves some work before its next try.
 * Finds x with SHA-256(nonce ":" handle ":" x) starting with `bits` zero bits
 * and puts it in the form. Without JavaScript the form still works: the page
 * says how long to wait instead. Texts come from data attributes the server
 * renders from the catalogues.
 */
(function () {
  'use strict';
  var form = document.querySelector('form[data-pow-nonce]');
  var subtle = window.crypto && window.crypto.subtle;
  if (!form || !subtle || typeof TextEncoder !== 'function') return;
  var field = form.querySelector('input[name="challenge_solution"]');
  var status = form.querySelector('[data-pow-status]');
  var prefix = form.getAttribute('data-pow-nonce') + ':' + form.getAttribute('data-pow-handle') + ':';
  var bits = Number(form.getAttribute('data-pow-bits'));
  var encoder = new TextEncoder();
  /* Digests in batches: one at a time, the promise round trips cost more than the hashing. */
  var BATCH = 256;
  var waitingToSubmit = false;
  if (!field || !status || !(bits > 0)) return;

  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) {
        count += 8;
        continue;
      }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }

  function digest(x) {
    return subtle.digest('SHA-256', encoder.encode(prefix + x)).then(function (buffer) {
      return zeroBits(new Uint8Array(buffer)) >= bits ? x : -1;
    });
  }

  function search(from) {
    var batch = [];
    for (var x = from; x < from + BATCH; x++) batch.push(digest(x));
    return Promise.all(batch).then(function (results) {
      for (var i = 0; i < results.length; i++) if (results[i] >= 0) return String(results[i]);
      return search(from + BATCH);
    });
  }

  status.textContent = status.getAttribute('data-pow-working');
  form.addEventListener('submit', function (event) {
    if (field.value) return;
    /* Submitted before the puzzle is solved: send the form as soon as it is. */
    event.preventDefault();
    waitingToSubmit = true;
  });
  search(0).then(function (solution) {
    field.value = solution;
    status.textContent = status.getAttribute('data-pow-ready');
    if (waitingToSubmit) form.submit();
  });
})();
