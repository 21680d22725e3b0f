// Hotline console: live queue refresh, call pop, small form conveniences. Loaded by base.html
// (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var POLL_MS = 3000;

  function get(url, accept, etag, wait) {
    var headers = { "Accept": accept, "X-Requested-With": "fetch" };
    if (etag) { headers["If-None-Match"] = etag; }
    if (wait) { headers["Prefer"] = "wait=" + wait; }
    return fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" });
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

  // Which control an element is, in a way that survives the panel being rebuilt: the same
  // button or link (test id, target) in the same call's row.
  function placeOf(el) {
    var row = el.closest("[data-contact-id]");
    return [el.tagName, el.getAttribute("data-testid") || "", el.getAttribute("href") || "",
            row ? row.getAttribute("data-contact-id") : ""].join("|");
  }

  // A refresh replaces the panel's HTML, which would drop the keyboard's cursor to the top of the
  // page: an operator who tabbed to "Answer next" or a case would press Enter on nothing. The
  // same control in the new panel gets the cursor back (if it is still there and enabled).
  function replaceKeepingFocus(panel, html) {
    var el = document.activeElement;
    var place = el && el !== panel && panel.contains(el) ? placeOf(el) : null;
    panel.innerHTML = html;
    if (!place) { return; }
    var controls = panel.querySelectorAll("a, button");
    for (var i = 0; i < controls.length; i++) {
      if (placeOf(controls[i]) === place) { controls[i].focus({ preventScroll: true }); return; }
    }
  }

  // The server answers 304 while the queue is as this panel shows it (its waits are timers that
  // count on here), so most polls move no HTML and rebuild nothing. A server that can hold a
  // poll (data-poll-wait) keeps it open until the queue changes: the next poll starts `every` ms
  // after the last one started, or at once when the server held it that long, so a change shows
  // at once and polls never come more often than before.
  function pollQueue(panel) {
    var url = panel.getAttribute("data-poll-url");
    var every = parseInt(panel.getAttribute("data-poll-ms"), 10) || POLL_MS;
    var wait = parseInt(panel.getAttribute("data-poll-wait"), 10) || 0;
    var etag = null;
    function tick() {
      if (typingIn(panel)) { setTimeout(tick, every); return; }
      var started = Date.now();
      get(url, "text/html", etag, etag ? wait : 0)
        .then(function (r) {
          var news = r.headers.get("X-Call-News");
          if (news) { callNews(JSON.parse(news)); }
          if (r.status === 304) { return null; }
          if (!usable(r)) { return null; }
          etag = r.headers.get("ETag");
          return r.text();
        })
        .then(function (html) {
          if (html === null) { return; }
          replaceKeepingFocus(panel, html);
          startTimers(panel);
        })
        .catch(function () { /* a missed refresh is retried on the next tick */ })
        .then(function () { setTimeout(tick, Math.max(0, every - (Date.now() - started))); });
    }
    setTimeout(tick, every);
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
        .then(function (data) { if (data) { callNews(data); } })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    check();
    setInterval(check, POLL_MS);
  }

  // What /queue/current-call answers (or, on the queue page, the panel's X-Call-News header).
  function callNews(data) {
    showWaiting(data.waiting);
    refreshCallBar(data.state);
    var call = data.call;
    if (!call) { return; }
    // One tab pops per call: the one the operator is looking at (a hidden tab waits, and
    // pops only if no other tab has). localStorage is shared by the session's tabs.
    var key = "hotline.popped-call";
    if (window.localStorage.getItem(key) === String(call.id)) { return; }
    if (document.visibilityState === "hidden") { return; }
    window.localStorage.setItem(key, String(call.id));
    if (window.location.pathname !== call.url) { window.location.assign(call.url); }
  }

  // Callers waiting, on every page: the top bar's badge and a "(n) " prefix on the title, so a
  // call shows even in a background tab. Absent from the reply (other roles): left alone.
  function showWaiting(count) {
    if (typeof count !== "number") { return; }
    var badge = document.getElementById("waiting-badge");
    if (badge) {
      badge.hidden = count === 0;
      var number = badge.querySelector("b");
      if (number) { number.textContent = String(count); }
    }
    var title = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + title : title;
  }

  // The call bar is re-fetched only when the operator's own call changes state (connected, ended,
  // wrapped up), so a reason being picked is not swept away by every poll.
  var barBusy = false;
  function refreshCallBar(state) {
    var bar = document.getElementById("call-bar");
    if (!bar || typeof state !== "string" || barBusy) { return; }
    if (bar.getAttribute("data-state") === state) { return; }
    barBusy = true;
    get(bar.getAttribute("data-url"), "text/html")
      .then(function (r) { return usable(r) ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (!fresh) { return; }
        // Its forms come back to this page, not to the bar's own URL.
        fresh.querySelectorAll('input[name="next"]').forEach(function (input) {
          input.value = window.location.pathname + window.location.search;
        });
        bar.replaceWith(fresh);
        startTimers(fresh);
      })
      .catch(function () {})
      .then(function () { barBusy = false; });
  }

  // Running timers (talk time, after-call work): the server says how many seconds had passed
  // when it rendered them; the browser counts on from there (its own clock may be off).
  // The same format as the server's `duration` filter: m:ss, h:mm:ss, and from a day on days and
  // hours in the page's language (the body carries the translated pattern).
  function format(seconds) {
    var days = document.body.getAttribute("data-days-format");
    if (seconds >= 86400 && days) {
      return days.replace("%(days)d", Math.floor(seconds / 86400))
        .replace("%(hours)d", Math.floor(seconds % 86400 / 3600));
    }
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function startTimers(root) {
    root.querySelectorAll("[data-timer-base]").forEach(function (el) {
      var base = parseInt(el.getAttribute("data-timer-base"), 10) || 0;
      var started = Date.now();
      var tick = function () {
        if (!el.isConnected) { clearInterval(id); return; }
        el.textContent = format(base + Math.floor((Date.now() - started) / 1000));
      };
      var id = setInterval(tick, 1000);
    });
  }

  // The top bar's menus (<details class="nav-group">) open and close by themselves; this adds
  // what a drop-down menu is expected to do: one open at a time, Escape closes it (focus back on
  // its title), and so do a click elsewhere or tabbing out of it. On a narrow screen the Menu
  // button shows or hides the whole bar, Escape closing it too.
  function topbarMenus() {
    var groups = Array.prototype.slice.call(document.querySelectorAll("details.nav-group"));
    var toggle = document.getElementById("menu-toggle");
    var panel = document.getElementById("topbar-menu");

    function closeGroups(except) {
      groups.forEach(function (group) { if (group !== except) { group.open = false; } });
    }
    function setPanel(open) {
      if (!toggle || !panel) { return; }
      panel.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }

    groups.forEach(function (group) {
      group.addEventListener("toggle", function () { if (group.open) { closeGroups(group); } });
      group.addEventListener("focusout", function (event) {
        var to = event.relatedTarget;
        if (to && !group.contains(to)) { group.open = false; }
      });
    });
    if (toggle && panel) {
      toggle.addEventListener("click", function () {
        setPanel(toggle.getAttribute("aria-expanded") !== "true");
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") { return; }
      var open = groups.filter(function (group) { return group.open; })[0];
      if (open) {
        open.open = false;
        open.querySelector("summary").focus();
        return;
      }
      if (toggle && toggle.getAttribute("aria-expanded") === "true") {
        setPanel(false);
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) {
        if (group.open && !group.contains(event.target)) { group.open = false; }
      });
    });
  }

  // Alt+N answers the longest-waiting call wherever "Answer next" is on the page (the queue, which
  // says so beside the button): the shift's commonest act, without tabbing through the top bar.
  function answerNextKey(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.code !== "KeyN") { return; }
    var button = document.querySelector('[data-testid="answer-next"]');
    if (button) {
      if (button.disabled) { return; }
      event.preventDefault();
      button.click();
      return;
    }
    // Any other console page: the top bar's badge says a call waits. Not while this operator's
    // own call is live or in after-call work (the call bar shows it), nor when away.
    var badge = document.getElementById("waiting-badge");
    var form = document.getElementById("answer-next-anywhere");
    var bar = document.querySelector('[data-testid="call-bar"]');
    var availability = document.getElementById("availability");
    if (!badge || badge.hidden || !form) { return; }
    if (bar && !bar.hidden && bar.getAttribute("data-state")) { return; }
    if (availability && availability.value === "away") { return; }
    event.preventDefault();
    form.submit();
  }

  function autosubmit() {
    document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
      // requestSubmit, not submit(): it fires "submit", which other scripts on the page may need
      // first (the intake form saves its draft before the page goes).
      function send() {
        if (select.value === select.getAttribute("data-sent")) { return; }
        select.setAttribute("data-sent", select.value);
        if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
      }
      select.setAttribute("data-sent", select.value);
      // A pick with the mouse goes at once. Arrow keys on a closed select change its value one
      // step at a time: going from 离开 to 空闲 must not post 忙碌 on the way, so a keyboard
      // choice goes with Enter, or when focus leaves the select.
      var keyed = false;
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); keyed = false; send(); return; }
        if (event.key !== "Tab") { keyed = true; }
      });
      select.addEventListener("pointerdown", function () { keyed = false; });
      select.addEventListener("change", function () { if (!keyed) { send(); } });
      select.addEventListener("blur", function () { if (keyed) { keyed = false; send(); } });
    });
  }

  // Alt+H ends the operator's own live call from any console page, as the call bar's button
  // (which shows the key): the form stays where it is, as when the button is clicked.
  function hangUpKey(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.code !== "KeyH") { return; }
    var bar = document.querySelector('[data-testid="call-bar"]');
    var button = document.querySelector('[data-testid="hang-up"]');
    if (!bar || bar.hidden || !button) { return; }
    event.preventDefault();
    button.click();
  }

  document.addEventListener("keydown", answerNextKey);
  document.addEventListener("keydown", hangUpKey);

  // A control's shortcut (Alt+N, Alt+S...) works only with this script, so the page gives it as
  // data-shortcut-title and the tooltip is added here; panels refreshed later (the queue, the live
  // suggestion, the articles) get theirs as they arrive.
  function shortcutTitles(root) {
    root.querySelectorAll("[data-shortcut-title]").forEach(function (el) {
      if (el.title !== el.getAttribute("data-shortcut-title")) { el.title = el.getAttribute("data-shortcut-title"); }
    });
  }

  // An action that comes back to a page with a fragment (/tickets/<number>#evidence,
  // /routing/rules#rule-3...) scrolls there, but the keyboard's cursor would stay at the top of the
  // page: an operator would tab through the whole top bar to carry on. The cursor goes to the
  // element the fragment names (made focusable if it is not), and the fragment leaves the address
  // so a reload does not jump there again. (The browser skips autofocus on a page with a target.)
  function focusFragment() {
    var hash = window.location.hash;
    if (!hash || hash.length < 2) { return; }
    var id;
    try { id = decodeURIComponent(hash.slice(1)); } catch (e) { return; }
    var target = document.getElementById(id);
    if (!target) { return; }
    if (!target.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    }
  }

  // A file input hidden behind a label in the page's language (intake/_evidence.html) says what
  // was chosen, as the browser's own button would have.
  function filePickers(root) {
    root.querySelectorAll("input[type=file][data-chosen]").forEach(function (input) {
      input.addEventListener("change", function () {
        var out = document.getElementById(input.getAttribute("data-chosen"));
        if (!out || !input.files.length) { return; }
        var names = Array.prototype.map.call(input.files, function (f) { return f.name; })
          .join(input.getAttribute("data-chosen-between") || ", ");
        out.textContent = input.getAttribute("data-chosen-words")
          .replace("{n}", input.files.length).replace("{names}", names);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFragment();
    filePickers(document);
    shortcutTitles(document);
    new MutationObserver(function () { shortcutTitles(document); })
      .observe(document.body, { childList: true, subtree: true });
    topbarMenus();
    autosubmit();
    startTimers(document);
    var panel = document.getElementById("queue-panel");
    var popUrl = document.body.getAttribute("data-call-pop-url");
    // On the queue page the panel's poll brings the call pop too (one request, not two).
    if (panel) { pollQueue(panel); } else if (popUrl) { pollCallPop(popUrl); }
  });
})();
