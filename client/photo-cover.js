/*
 * Photos, in forms and on pages.
 *
 * A form[data-photos] with an input[data-photo-input] gets, for each photo
 * chosen (at most four): a preview, its own alt text field (name="alt",
 * filled with data-alt-default, else with what the page's first alt field
 * holds, and as long as that field allows) and sensitive checkbox
 * (name="sensitive", value = its place), and a cover tool: drag a rectangle
 * over a face or a number plate to
 * cover it with an opaque box, or with a blur that keeps nothing but a few
 * average colours (a light blur or a fine mosaic can be undone; this cannot).
 * Every photo is first scaled down to at most 2,048 pixels a side, so that a
 * cheap phone (and iOS's canvas limits) copes. On submit each photo is drawn
 * out as a JPEG and put in the file input in place of what was chosen, so the
 * original file (with its location and camera data, and what was covered)
 * never leaves the phone; where the browser cannot set a file input, the form
 * is sent with fetch instead. The server's own alt and sensitive fields (in
 * [data-photo-fields] or [data-photo-slots], for browsers without JavaScript)
 * are set aside.
 *
 * On pages, img[data-sensitive] is shown blurred (parasol.css) until tapped;
 * the first tap shows it, the next follows its link to the large version.
 *
 * Texts come from the form: data-photo-texts, a JSON object the server
 * renders from the catalogues (server/views/photos.ts); a form without it is
 * left as it is.
 */
(function () {
  'use strict';
  var MAX_SIDE = 2048;
  var MAX_PHOTOS = 4;
  var QUALITY = 0.86;
  /* A strong blur keeps at most this many average colours along each side of the region. */
  var BLUR_CELLS = 3;
  /* Smaller drags (in image pixels) are taken for taps, not covers. */
  var MIN_COVER = 6;
  var each = function (list, fn) {
    Array.prototype.forEach.call(list, fn);
  };

  function hiddenSensitive(target) {
    if (!target || !target.closest) return null;
    var img = target.closest('img[data-sensitive]');
    if (!img) {
      var link = target.closest('a');
      img = link && link.querySelector('img[data-sensitive]');
    }
    return img && !img.hasAttribute('data-revealed') ? img : null;
  }

  document.addEventListener('click', function (event) {
    var img = hiddenSensitive(event.target);
    if (!img) return;
    event.preventDefault();
    img.setAttribute('data-revealed', '');
    var thumb = img.getAttribute('data-thumb');
    if (thumb && /^\/media\/[A-Za-z0-9_-]+\/thumb$/.test(thumb)) img.src = thumb;
  });

  function canvasOf(width, height) {
    var canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }

  function viaImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        resolve({ source: img, width: img.naturalWidth, height: img.naturalHeight });
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error('unreadable'));
      };
      img.src = url;
    });
  }

  /* Decoded upright (as the camera meant it): createImageBitmap where it knows the option, else an <img>. */
  function decode(file) {
    if (typeof window.createImageBitmap !== 'function') return viaImage(file);
    return window.createImageBitmap(file, { imageOrientation: 'from-image' }).then(
      function (bitmap) {
        return { source: bitmap, width: bitmap.width, height: bitmap.height };
      },
      function () {
        return viaImage(file);
      },
    );
  }

  /* The decoded image scaled to fit MAX_SIDE, on white (a transparent PNG becomes a JPEG). */
  function scaled(decoded) {
    var scale = Math.min(1, MAX_SIDE / Math.max(decoded.width, decoded.height));
    var canvas = canvasOf(Math.max(1, Math.round(decoded.width * scale)), Math.max(1, Math.round(decoded.height * scale)));
    var ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(decoded.source, 0, 0, canvas.width, canvas.height);
    if (decoded.source.close) decoded.source.close();
    return canvas;
  }

  /*
   * The strong blur: the region becomes its average colour, then a BLUR_CELLS x BLUR_CELLS grid of the averages of
   * every pixel under each cell, stretched smoothly over it. Nine colours are all that is left of what was there.
   */
  function blurRegion(ctx, r) {
    var pixels = ctx.getImageData(r.x, r.y, r.w, r.h).data;
    var cols = Math.min(BLUR_CELLS, r.w);
    var rows = Math.min(BLUR_CELLS, r.h);
    var tiny = canvasOf(cols, rows);
    var tctx = tiny.getContext('2d');
    var cells = tctx.createImageData(cols, rows);
    var total = [0, 0, 0];
    for (var cy = 0; cy < rows; cy++) {
      for (var cx = 0; cx < cols; cx++) {
        var sum = [0, 0, 0];
        var n = 0;
        for (var y = Math.floor((cy * r.h) / rows); y < Math.floor(((cy + 1) * r.h) / rows); y++) {
          for (var x = Math.floor((cx * r.w) / cols); x < Math.floor(((cx + 1) * r.w) / cols); x++) {
            var i = (y * r.w + x) * 4;
            sum[0] += pixels[i];
            sum[1] += pixels[i + 1];
            sum[2] += pixels[i + 2];
            n++;
          }
        }
        var o = (cy * cols + cx) * 4;
        for (var c = 0; c < 3; c++) {
          cells.data[o + c] = Math.round(sum[c] / Math.max(n, 1));
          total[c] += sum[c];
        }
        cells.data[o + 3] = 255;
      }
    }
    tctx.putImageData(cells, 0, 0);
    var area = r.w * r.h;
    ctx.fillStyle = 'rgb(' + total.map(function (v) { return Math.round(v / area); }).join(',') + ')';
    ctx.fillRect(r.x, r.y, r.w, r.h);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tiny, 0, 0, cols, rows, r.x, r.y, r.w, r.h);
  }

  function render(photo) {
    var ctx = photo.work.getContext('2d');
    ctx.drawImage(photo.base, 0, 0);
    photo.covers.forEach(function (r) {
      if (r.kind === 'blur') {
        blurRegion(ctx, r);
      } else {
        ctx.fillStyle = '#000';
        ctx.fillRect(r.x, r.y, r.w, r.h);
      }
    });
  }

  /*
   * Encoded with toDataURL, in a task of its own: toBlob leaves the encoding to the browser's idle time, and
   * Chromium kept "Preparing" waiting seconds for it, on a page with nothing else to do. The task comes after the
   * submit event (a form being submitted ignores requestSubmit) and after "Preparing" is painted.
   */
  function toJpeg(canvas, index) {
    return new Promise(function (resolve) {
      setTimeout(function () {
        var url = canvas.toDataURL('image/jpeg', QUALITY);
        var raw = atob(url.slice(url.indexOf(',') + 1));
        var bytes = new Uint8Array(raw.length);
        for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        resolve(new File([bytes], 'photo-' + (index + 1) + '.jpg', { type: 'image/jpeg' }));
      }, 0);
    });
  }

  function enhance(form) {
    var input = form.querySelector('input[type="file"][data-photo-input]');
    // Without its texts the tool would show unlabelled buttons: the form then posts as it does without JavaScript.
    if (!input || !form.hasAttribute('data-photo-texts') || !HTMLCanvasElement.prototype.toDataURL || typeof Promise !== 'function') return;
    var texts = {};
    try {
      texts = JSON.parse(form.getAttribute('data-photo-texts') || '{}');
    } catch {
      texts = {};
    }
    var text = function (key) {
      return typeof texts[key] === 'string' ? texts[key] : '';
    };
    var photos = [];
    var pending = 0;
    var waiting = [];
    var busy = false;
    var resubmitting = false;

    var plainAlt = form.querySelector('[data-photo-fields] input[name="alt"], [data-photo-slots] input[name="alt"]');
    var altDefault = form.getAttribute('data-alt-default') || (plainAlt ? plainAlt.defaultValue : '');
    var altMax = plainAlt && plainAlt.maxLength > 0 ? plainAlt.maxLength : 1500;
    each(form.querySelectorAll('[data-photo-fields], [data-photo-slots]'), function (box) {
      box.hidden = true;
      each(box.querySelectorAll('input, textarea, select'), function (el) {
        el.disabled = true;
      });
    });
    var list = document.createElement('ol');
    list.className = 'photo-list';
    var status = document.createElement('p');
    status.className = 'photo-status';
    status.setAttribute('role', 'status');
    input.insertAdjacentElement('afterend', status);
    input.insertAdjacentElement('afterend', list);
    var say = function (message) {
      status.textContent = message;
    };

    function renumber() {
      photos.forEach(function (photo, i) {
        if (photo.sensitive) photo.sensitive.value = String(i);
      });
      input.disabled = photos.length >= MAX_PHOTOS;
    }

    function settled() {
      if (pending > 0) return;
      waiting.splice(0).forEach(function (done) {
        done();
      });
    }

    function button(label, className) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = className;
      b.textContent = label;
      return b;
    }

    function stage(photo) {
      var box = document.createElement('div');
      box.className = 'photo-stage';
      var mark = document.createElement('div');
      mark.className = 'photo-mark';
      mark.hidden = true;
      box.appendChild(photo.work);
      box.appendChild(mark);
      var start = null;
      var at = function (event) {
        var rect = photo.work.getBoundingClientRect();
        var left = Math.min(Math.max(event.clientX - rect.left, 0), rect.width);
        var top = Math.min(Math.max(event.clientY - rect.top, 0), rect.height);
        return { left: left, top: top, x: (left * photo.work.width) / rect.width, y: (top * photo.work.height) / rect.height };
      };
      var show = function (a, b) {
        mark.style.left = Math.min(a.left, b.left) + 'px';
        mark.style.top = Math.min(a.top, b.top) + 'px';
        mark.style.width = Math.abs(a.left - b.left) + 'px';
        mark.style.height = Math.abs(a.top - b.top) + 'px';
      };
      photo.work.addEventListener('pointerdown', function (event) {
        if (!photo.kind || (event.pointerType === 'mouse' && event.button !== 0)) return;
        event.preventDefault();
        if (photo.work.setPointerCapture) photo.work.setPointerCapture(event.pointerId);
        start = at(event);
        show(start, start);
        mark.hidden = false;
      });
      photo.work.addEventListener('pointermove', function (event) {
        if (start) show(start, at(event));
      });
      photo.work.addEventListener('pointerup', function (event) {
        if (!start) return;
        var end = at(event);
        var r = {
          kind: photo.kind,
          x: Math.floor(Math.min(start.x, end.x)),
          y: Math.floor(Math.min(start.y, end.y)),
          w: Math.ceil(Math.abs(start.x - end.x)),
          h: Math.ceil(Math.abs(start.y - end.y)),
        };
        start = null;
        mark.hidden = true;
        r.w = Math.min(r.w, photo.work.width - r.x);
        r.h = Math.min(r.h, photo.work.height - r.y);
        if (r.w < MIN_COVER || r.h < MIN_COVER) return;
        photo.covers.push(r);
        render(photo);
        photo.undo.disabled = false;
      });
      photo.work.addEventListener('pointercancel', function () {
        start = null;
        mark.hidden = true;
      });
      return box;
    }

    function tools(photo) {
      var bar = document.createElement('div');
      bar.className = 'photo-tools';
      var hint = document.createElement('p');
      hint.className = 'photo-hint';
      hint.textContent = text('cover_hint');
      hint.hidden = true;
      var kinds = { box: button(text('cover_box'), 'cover-box'), blur: button(text('cover_blur'), 'cover-blur') };
      var choose = function (kind) {
        photo.kind = photo.kind === kind ? null : kind;
        Object.keys(kinds).forEach(function (k) {
          kinds[k].setAttribute('aria-pressed', String(photo.kind === k));
        });
        photo.work.parentNode.classList.toggle('drawing', !!photo.kind);
        hint.hidden = !photo.kind;
      };
      Object.keys(kinds).forEach(function (k) {
        kinds[k].setAttribute('aria-pressed', 'false');
        kinds[k].addEventListener('click', function () {
          choose(k);
        });
        bar.appendChild(kinds[k]);
      });
      photo.undo = button(text('undo'), 'cover-undo');
      photo.undo.disabled = true;
      photo.undo.addEventListener('click', function () {
        photo.covers.pop();
        render(photo);
        photo.undo.disabled = photo.covers.length === 0;
      });
      var remove = button(text('remove'), 'photo-remove');
      remove.addEventListener('click', function () {
        photos.splice(photos.indexOf(photo), 1);
        photo.item.remove();
        photo.base.width = photo.work.width = 0;
        renumber();
        input.focus();
      });
      bar.appendChild(photo.undo);
      bar.appendChild(remove);
      return [hint, bar];
    }

    function fields(photo) {
      var id = 'photo-alt-' + Math.random().toString(36).slice(2);
      var alt = document.createElement('div');
      alt.className = 'field';
      var label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = text('alt_label');
      photo.alt = document.createElement('input');
      photo.alt.id = id;
      photo.alt.name = 'alt';
      photo.alt.maxLength = altMax;
      photo.alt.value = altDefault;
      photo.work.setAttribute('aria-label', photo.alt.value);
      photo.alt.addEventListener('input', function () {
        photo.work.setAttribute('aria-label', photo.alt.value);
      });
      alt.appendChild(label);
      alt.appendChild(photo.alt);
      var check = document.createElement('label');
      check.className = 'check';
      photo.sensitive = document.createElement('input');
      photo.sensitive.type = 'checkbox';
      photo.sensitive.name = 'sensitive';
      check.appendChild(photo.sensitive);
      check.appendChild(document.createTextNode(' ' + text('sensitive')));
      return [alt, check];
    }

    function add(file) {
      var photo = { base: null, work: null, covers: [], kind: null, item: document.createElement('li') };
      photo.item.className = 'photo-item';
      photo.item.setAttribute('aria-busy', 'true');
      list.appendChild(photo.item);
      photos.push(photo);
      pending++;
      decode(file)
        .then(function (decoded) {
          photo.base = scaled(decoded);
          photo.work = canvasOf(photo.base.width, photo.base.height);
          photo.work.setAttribute('role', 'img');
          render(photo);
          var parts = [stage(photo)].concat(tools(photo), fields(photo));
          parts.forEach(function (part) {
            photo.item.appendChild(part);
          });
          photo.item.removeAttribute('aria-busy');
        })
        .catch(function () {
          photos.splice(photos.indexOf(photo), 1);
          photo.item.remove();
          say(text('unreadable'));
        })
        .then(function () {
          pending--;
          renumber();
          settled();
        });
    }

    input.addEventListener('change', function () {
      var chosen = Array.prototype.slice.call(input.files || []);
      // The photos now live in the canvases; emptied, the input can take the same file again.
      input.value = '';
      say('');
      var room = MAX_PHOTOS - photos.length;
      if (chosen.length > room) say(text('too_many'));
      chosen.slice(0, Math.max(room, 0)).forEach(add);
    });

    /* Where a file input cannot be set (older iOS), the form goes with fetch, and the answer replaces the page. */
    function sendWithFetch(files, submitter) {
      var data = new FormData(form);
      data.delete(input.name);
      files.forEach(function (file) {
        data.append(input.name, file, file.name);
      });
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      // Read as attributes: a control named "action" (a submit button, say) hides form.action.
      var target = new URL(form.getAttribute('action') || '', location.href).href;
      return fetch(target, { method: 'POST', body: data, credentials: 'same-origin' }).then(function (response) {
        return response.text().then(function (page) {
          if (response.redirected) {
            location.assign(response.url);
            return;
          }
          document.open();
          document.write(page);
          document.close();
        });
      });
    }

    function send(files, submitter) {
      var set;
      try {
        var transfer = new DataTransfer();
        files.forEach(function (file) {
          transfer.items.add(file);
        });
        input.disabled = false;
        input.files = transfer.files;
        set = input.files.length === files.length;
      } catch {
        set = false;
      }
      if (!set) return sendWithFetch(files, submitter);
      // Sent again with a submit event that this script lets through, so that the page's other scripts see it.
      resubmitting = true;
      try {
        if (typeof form.requestSubmit === 'function') form.requestSubmit(submitter || undefined);
        else form.submit();
      } finally {
        resubmitting = false;
      }
      return Promise.resolve();
    }

    // Capturing, so that this runs before any other submit handler of the form, which see only the second event.
    form.addEventListener(
      'submit',
      function (event) {
        if (resubmitting || (photos.length === 0 && pending === 0)) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        if (busy) return;
        busy = true;
        var submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
        say(text('preparing'));
        new Promise(function (done) {
          waiting.push(done);
          settled();
        })
          .then(function () {
            return Promise.all(
              photos.map(function (photo, i) {
                return toJpeg(photo.work, i);
              }),
            );
          })
          .then(function (files) {
            say('');
            return send(files, submitter);
          })
          .catch(function () {
            say(text('failed'));
          })
          .then(function () {
            busy = false;
          });
      },
      true,
    );
  }

  each(document.querySelectorAll('form[data-photos]'), enhance);
})();
