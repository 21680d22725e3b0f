// The call/SMS simulator: plays Twilio's side of a call by asking the server to send
// signed webhooks (POST /dev/simulate) and acting on the TwiML summary it returns.
(function () {
  "use strict";
  var root = document.getElementById("simulator");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var t = function (key) { return root.getAttribute("data-t-" + key) || key; };
  var call = null;  // {sid, startedAt, gather, enqueue, queuedAt, record, keyed}

  function hex(n) {
    var bytes = new Uint8Array(n);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function from() { return $("sim-from").value.trim(); }

  function simulate(path, params) {
    return fetch(root.dataset.simulateUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ path: path, params: params })
    }).then(function (r) {
      if (!r.ok) { throw new Error(t("error") + " " + r.status); }
      return r.json();
    }).then(function (answer) {
      if (answer.status >= 300) { throw new Error(t("error") + " " + answer.status + " (" + path + ")"); }
      return answer.twiml || { says: [], verbs: [] };
    }).catch(function (err) { hear([err.message], "error"); throw err; });
  }

  function callParams(extra) {
    var params = { CallSid: call.sid, AccountSid: root.dataset.account, From: from(),
                   To: root.dataset.hotline, CallStatus: "in-progress", Direction: "inbound" };
    Object.keys(extra || {}).forEach(function (k) { params[k] = extra[k]; });
    return params;
  }

  function hear(lines, cls) {
    lines.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      if (cls) { li.className = cls; }
      $("sim-transcript").appendChild(li);
    });
  }

  function setState(key) { $("sim-state").textContent = t(key); }

  function refreshButtons() {
    var live = !!call;
    $("sim-dial").disabled = live;
    $("sim-hangup").disabled = !live;
    $("sim-nokey").disabled = !(live && call.gather);
    $("sim-wait").disabled = $("sim-wait-long").disabled = !(live && call.enqueue);
    $("sim-record").disabled = !(live && call.record);
    Array.prototype.forEach.call(document.querySelectorAll(".sim-key"), function (b) {
      b.disabled = !(live && call.gather);
    });
    $("sim-keyed").textContent = live ? call.keyed : "";
  }

  // Act on the TwiML the caller's call is now running.
  function play(twiml) {
    if (!call) { return Promise.resolve(); }
    hear(twiml.says);
    call.gather = twiml.gather || null;
    call.record = twiml.record || null;
    call.keyed = "";
    if (twiml.enqueue) {
      call.enqueue = twiml.enqueue;
      call.queuedAt = call.queuedAt || Date.now();
      setState("queued");
    } else if (twiml.gather) {
      call.enqueue = null;
      setState("menu");
    } else if (twiml.record) {
      setState("record");
    }
    refreshButtons();
    if (twiml.redirect) { return step(twiml.redirect.url, {}); }
    if (!twiml.gather && !twiml.enqueue && !twiml.record && !twiml.dial) { return end(); }
    return Promise.resolve();
  }

  function step(path, extra) {
    return simulate(path, callParams(extra)).then(play);
  }

  function queueTime() { return String(Math.round((Date.now() - call.queuedAt) / 1000)); }

  function end() {
    if (!call) { return Promise.resolve(); }
    var duration = String(Math.round((Date.now() - call.startedAt) / 1000));
    var finished = call;
    return simulate("/twilio/voice/status", callParams({ CallStatus: "completed", CallDuration: duration }))
      .finally(function () {
        if (call === finished) { call = null; }
        setState("ended");
        refreshButtons();
        poll();
      });
  }

  function dial() {
    $("sim-transcript").textContent = "";
    $("sim-case").textContent = "";
    call = { sid: "CA" + hex(16), startedAt: Date.now(), keyed: "", gather: null, enqueue: null };
    refreshButtons();
    step("/twilio/voice", { CallStatus: "ringing" }).then(poll);
  }

  function submitDigits(digits) {
    var gather = call.gather;
    call.gather = null;
    refreshButtons();
    hear(["[" + (digits || "—") + "]"], "keyed");
    step(gather.action, { Digits: digits }).then(poll);
  }

  function press(key) {
    var gather = call && call.gather;
    if (!gather) { return; }
    var finish = gather.finishOnKey;
    if (finish && key === finish) { submitDigits(call.keyed); return; }
    call.keyed += key;
    $("sim-keyed").textContent = call.keyed;
    if (gather.numDigits && call.keyed.length >= Number(gather.numDigits)) { submitDigits(call.keyed); }
  }

  function wait(seconds) {
    var enqueue = call.enqueue;
    simulate(enqueue.waitUrl, callParams({ QueuePosition: "1", QueueTime: seconds, QueueSid: "QU" + hex(16),
                                           CurrentQueueSize: "1" })).then(function (twiml) {
      hear(twiml.says);
      if (twiml.leave) { leaveQueue("leave", seconds); }
    });
  }

  function leaveQueue(result, seconds) {
    var enqueue = call.enqueue;
    call.enqueue = null;
    return step(enqueue.action, { QueueResult: result, QueueTime: seconds, QueueSid: "QU" + hex(16) });
  }

  function hangUp() {
    if (!call) { return; }
    if (call.enqueue && !call.answered) {
      var enqueue = call.enqueue;
      call.enqueue = null;
      simulate(enqueue.action, callParams({ QueueResult: "hangup", QueueTime: queueTime() })).finally(end);
    } else {
      end();
    }
  }

  function record() {
    var action = call.record.action;
    call.record = null;
    refreshButtons();
    step(action, { RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/" + root.dataset.account +
                   "/Recordings/RE" + hex(16), RecordingDuration: "10", RecordingSid: "RE" + hex(16) })
      .then(poll);
  }

  function sendSms() {
    var body = $("sim-sms-body").value;
    simulate("/twilio/sms", { MessageSid: "SM" + hex(16), AccountSid: root.dataset.account, From: from(),
                              To: root.dataset.hotline, Body: body, NumMedia: "0" })
      .then(function (twiml) {
        $("sim-sms-result").textContent = (twiml.messages || []).join(" / ") || "✓";
        $("sim-sms-body").value = "";
        poll();
      });
  }

  function renderInbox(messages) {
    var list = $("sim-inbox");
    list.textContent = "";
    if (!messages.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = t("empty");
      list.appendChild(empty);
    }
    messages.forEach(function (m) {
      var li = document.createElement("li");
      var meta = document.createElement("span");
      meta.className = "muted mono";
      meta.textContent = [m.at, m.status_label, m.purpose_label].filter(Boolean).join(" · ");
      var body = document.createElement("p");
      body.textContent = m.body;
      li.appendChild(meta);
      li.appendChild(body);
      list.appendChild(li);
    });
  }

  function renderCall(state) {
    if (!state) { return; }
    if (state.ticket) { $("sim-case").textContent = t("case") + " " + state.ticket; }
    if (call && state.answered_by && !state.ended) {
      call.answered = true;
      // On hold the caller hears the hold message, not the operator (hotline.telephony.voice.on_hold).
      $("sim-state").textContent = state.held ? t("held") : t("answered") + " " + state.answered_by;
    }
    // The call ended while the caller is still on it: the operator hung up from the console.
    // The line goes dead, and Twilio's final status callback (which end() plays) follows.
    if (call && state.ended) { end(); }
  }

  function poll() {
    var number = from();
    if (!number) { return; }
    var url = root.dataset.phoneUrl + "?number=" + encodeURIComponent(number) +
              (call ? "&call=" + encodeURIComponent(call.sid) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        renderInbox(data.messages);
        renderCall(data.call);
      })
      .catch(function () { /* the next poll tries again */ });
  }

  $("sim-dial").addEventListener("click", dial);
  $("sim-hangup").addEventListener("click", hangUp);
  $("sim-nokey").addEventListener("click", function () { submitDigits(""); });
  $("sim-wait").addEventListener("click", function () { wait(queueTime()); });
  $("sim-wait-long").addEventListener("click", function () {
    wait(String(Number(root.dataset.queueTimeout) + 1));
  });
  $("sim-record").addEventListener("click", record);
  $("sim-sms-send").addEventListener("click", sendSms);
  $("sim-from").addEventListener("change", poll);
  Array.prototype.forEach.call(document.querySelectorAll(".sim-key"), function (b) {
    b.addEventListener("click", function () { press(b.dataset.key); });
  });
  refreshButtons();
  poll();
  window.setInterval(poll, 3000);
}());
