/*
 * The copy button of the recovery codes (the download link works without JavaScript): shown only where the browser
 * can copy, and it says so when done. The texts come from the page.
 */
(function () {
  'use strict';
  var button = document.getElementById('codes-copy');
  var list = document.getElementById('recovery-codes');
  var status = document.getElementById('codes-copy-status');
  if (!button || !list || !status || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    var codes = Array.prototype.map.call(list.querySelectorAll('code'), function (code) {
      return code.textContent;
    });
    navigator.clipboard.writeText(codes.join('\n')).then(function () {
      status.textContent = button.getAttribute('data-copied');
    });
  });
})();
