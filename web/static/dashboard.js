/* The dashboard, live: listens on /v1/stream/dashboard (the session cookie
 * authenticates it) and, when orders change, fetches the current page again
 * and swaps the parts that show data (#queues, #kpis, #timeline, #answer,
 * #results, #exceptions, #tasks, #task-teams, #task-items), at most once a second.  Without JavaScript the pages are
 * complete; a reload shows the same. */
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var ids = ['queues', 'kpis', 'timeline', 'answer', 'results', 'packages', 'order-status', 'queue-items',
             'exceptions', 'tasks', 'task-teams', 'task-items'];
  if (!ids.some(function (id) { return document.getElementById(id); })) {
    return;
  }
  var timer = null;
  var busy = false;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    ids.forEach(function (id) {
      var cur = document.getElementById(id);
      var fresh = doc.getElementById(id);
      if (cur && fresh) {
        cur.innerHTML = fresh.innerHTML;
      }
    });
  }

  function refresh() {
    timer = null;
    if (busy) {
      schedule();
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
      .catch(function () { /* keep the page as it is */ })
      .then(function () { busy = false; });
  }

  function schedule() {
    if (!timer) {
      timer = window.setTimeout(refresh, 1000);
    }
  }

  var es = new EventSource('/v1/stream/dashboard');
  es.addEventListener('order', schedule);
  es.onmessage = schedule;
})();
