/* The tracking page, live: listens on the page's event stream (data-stream)
 * and, on an update, fetches the page again and swaps #tracking's content.
 * Without JavaScript the server-rendered page is complete; this only saves
 * the reload. */
(function () {
  'use strict';
  var root = document.getElementById('tracking');
  if (!root || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var busy = false;
  var again = false;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById('tracking');
    var cur = document.getElementById('tracking');
    if (!fresh || !cur) {
      return;
    }
    cur.innerHTML = fresh.innerHTML;
    cur.setAttribute('data-order-status', fresh.getAttribute('data-order-status') || '');
    cur.setAttribute('data-updated-at', fresh.getAttribute('data-updated-at') || '');
    var note = document.getElementById('live-note');
    var label = cur.querySelector('.status-label');
    if (note && label) {
      note.textContent = 'Updated: ' + label.textContent;
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { cache: 'no-store', credentials: 'same-origin',
                                  headers: { 'Accept': 'text/html' } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error('status ' + r.status);
        }
        return r.text();
      })
      .then(swap)
      .catch(function () { /* keep what is shown; the next event retries */ })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var es = new EventSource(root.getAttribute('data-stream'));
  es.addEventListener('update', refresh);
  es.onmessage = refresh;
})();
