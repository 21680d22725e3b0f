// Hotline console: live queue refresh, call pop, small form conveniences. Loaded by base.html
// (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var POLL_MS = 3000;

  function get(url, accept) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": accept, "X-Requested-With": "fetch" },
      cache: "no-store"
    });
  }

  // A signed-out session answers with the sign-in page: reload so the user sees it.
  function usable(response) {
    if (response.redirected || response.status === 401) {
      window.location.reload();
      return false;
    }
    return response.ok;
  }

  function typingIn(container) {
    var el = document.activeElement;
    return el && container.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }

  function pollQueue(panel) {
    var url = panel.getAttribute("data-poll-url");
    var every = parseInt(panel.getAttribute("data-poll-ms"), 10) || POLL_MS;
    var busy = false;
    setInterval(function () {
      if (busy || typingIn(panel)) { return; }
      busy = true;
      get(url, "text/html")
        .then(function (r) { return usable(r) ? r.text() : null; })
        .then(function (html) { if (html !== null) { panel.innerHTML = html; } })
        .catch(function () { /* a missed refresh is retried on the next tick */ })
        .then(function () { busy = false; });
    }, every);
  }

  // "The ticket opens on the operator's screen the moment the call connects": once per call,
  // so an operator who looks at another case during the call is not dragged back.
  function pollCallPop(url) {
    var busy = false;
    function check() {
      if (busy) { return; }
      busy = true;
      get(url, "application/json")
        .then(function (r) { return usable(r) ? r.json() : null; })
        .then(function (data) {
          var call = data && data.call;
          if (!call) { return; }
          // One tab pops per call: the one the operator is looking at (a hidden tab waits, and
          // pops only if no other tab has). localStorage is shared by the session's tabs.
          var key = "hotline.popped-call";
          if (window.localStorage.getItem(key) === String(call.id)) { return; }
          if (document.visibilityState === "hidden") { return; }
          window.localStorage.setItem(key, String(call.id));
          if (window.location.pathname !== call.url) { window.location.assign(call.url); }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    check();
    setInterval(check, POLL_MS);
  }

  function autosubmit() {
    document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    var panel = document.getElementById("queue-panel");
    if (panel) { pollQueue(panel); }
    var popUrl = document.body.getAttribute("data-call-pop-url");
    if (popUrl) { pollCallPop(popUrl); }
  });
})();
