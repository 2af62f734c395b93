/*
 * SOS without a question: one tap sends it, after a countdown the worker
 * sees and can cancel (a mistaken tap would alarm every buddy). Without
 * JavaScript the form sends at once. The texts, one per second left, come
 * from the page: data-countdown (a JSON list, the first for one second left),
 * data-cancel and data-cancelled on the form.
 */
(function () {
  'use strict';
  Array.prototype.forEach.call(document.querySelectorAll('form[data-sos]'), function (form) {
    var status = form.querySelector('.sos-status');
    var texts = JSON.parse(form.getAttribute('data-countdown') || '[]');
    var send = form.querySelector('button[type="submit"]');
    var timer = null;
    var cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'big';
    cancel.textContent = form.getAttribute('data-cancel');
    cancel.hidden = true;
    form.appendChild(cancel);

    function stop(text) {
      window.clearInterval(timer);
      timer = null;
      cancel.hidden = true;
      send.hidden = false;
      status.textContent = text;
      send.focus();
    }

    form.addEventListener('submit', function (event) {
      if (texts.length === 0) return;
      event.preventDefault();
      if (timer !== null) return;
      var left = texts.length;
      send.hidden = true;
      cancel.hidden = false;
      cancel.focus();
      status.textContent = texts[left - 1];
      timer = window.setInterval(function () {
        left -= 1;
        if (left > 0) {
          status.textContent = texts[left - 1];
          return;
        }
        window.clearInterval(timer);
        cancel.hidden = true;
        // submit() sends without a submit event: the countdown is not started again.
        form.submit();
      }, 1000);
    });
    cancel.addEventListener('click', function () {
      stop(form.getAttribute('data-cancelled'));
    });
  });
})();
