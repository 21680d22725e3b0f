// The intake form during a call: show only what the chosen kind and category need, keep the
// keyboard in charge (Enter moves on, Ctrl+Enter / Alt+S saves), and save a draft as the
// operator types so a closed or crashed browser loses nothing.
(() => {
  const form = document.getElementById("intake-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const kind = $("kind");
  const group = $("category_group");
  const category = $("category");
  const anonymous = $("anonymous");
  const online = $("online");
  const status = $("draft-status");
  const ONLINE_CATEGORIES = ["S03"];

  function shown(el, yes) {
    el.hidden = !yes;
  }

  function refresh() {
    const k = kind.value;
    form.querySelectorAll("[data-kinds]").forEach((el) => shown(el, el.dataset.kinds.split(" ").includes(k)));
    // A report names the business the reported party, any other kind the respondent.
    form.querySelectorAll("[data-party-label]").forEach((el) => shown(el, (el.dataset.partyLabel === "report") === (k === "report")));
    const named = !(k === "report" && anonymous && anonymous.checked);
    form.querySelectorAll("[data-named]").forEach((el) => shown(el, named));
    const code = category.value;
    form.querySelectorAll("[data-category]").forEach((el) => shown(el, el.dataset.category === code));
    const buyOnline = (online && online.checked) || ONLINE_CATEGORIES.includes(code);
    form.querySelectorAll("[data-online]").forEach((el) => shown(el, buyOnline));
  }

  function filterCategories() {
    const g = group.value;
    for (const option of category.options) {
      if (option.value) option.hidden = Boolean(g) && option.dataset.group !== g;
    }
    const chosen = category.selectedOptions[0];
    if (chosen && chosen.hidden) category.value = "";
  }

  group.addEventListener("change", () => { filterCategories(); refresh(); });
  category.addEventListener("change", () => {
    const chosen = category.selectedOptions[0];
    // A category picked directly (or by the suggestion) sets its group, so the two agree.
    if (chosen && chosen.dataset.group && group.value !== chosen.dataset.group) {
      group.value = chosen.dataset.group;
      filterCategories();
    }
    refresh();
  });
  form.addEventListener("change", refresh);

  // Keyboard: Enter in a one-line field moves to the next field instead of submitting.
  function focusables() {
    return [...form.querySelectorAll("input, select, textarea, button")].filter(
      (el) => el.type !== "hidden" && !el.disabled && el.offsetParent !== null,
    );
  }
  // Alt+S is handled here rather than by accesskey, whose modifier differs between browsers.
  // Alt+R sends what is typed to the referral page ("Out of scope: refer the caller").
  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyR") {
      event.preventDefault();
      submit($("refer-case"));
      return;
    }
    const saveKey = event.altKey && event.code === "KeyS";
    // Ctrl+Enter saves from anywhere on the page (the cursor need not be in the form yet),
    // except inside another form on it (the identity check's code), which keeps its own keys.
    const elsewhere = event.target.form && event.target.form !== form;
    if (saveKey || (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !elsewhere)) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const el = event.target;
    // Controls of other forms nested here (the identity check's code) keep their own Enter.
    if (event.key !== "Enter" || el.form !== form || el.tagName === "TEXTAREA" || el.tagName === "BUTTON") return;
    if (el.tagName === "INPUT" && (el.type === "submit" || el.type === "button")) return;
    event.preventDefault();
    const all = focusables();
    const next = all[all.indexOf(el) + 1];
    if (next) next.focus();
  });

  let submitting = false;
  function submit(submitter) {
    const confirm = $("confirm-save");
    const button = submitter || confirm || $("save-case");
    submitting = true;
    clearTimeout(timer);
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }
  form.addEventListener("submit", () => { submitting = true; clearTimeout(timer); });

  // Draft: a debounced POST of everything typed (the server never keeps the ID number).
  let timer = null;
  async function saveDraft() {
    if (submitting) return;
    const body = new FormData(form);
    try {
      const response = await fetch(form.dataset.draftUrl, { method: "POST", body, credentials: "same-origin" });
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.saved_at) {
        status.textContent = (status.dataset.savedText || "Draft saved") + " " + data.saved_at;
        status.classList.remove("warn");
      } else {
        status.textContent = status.dataset.failedText || "Draft not saved";
        status.classList.add("warn");
      }
    } catch (err) {
      status.textContent = status.dataset.failedText || "Draft not saved";
      status.classList.add("warn");
    }
  }
  let pending = false;  // typed since the last draft was sent
  function later() {
    pending = true;
    clearTimeout(timer);
    timer = setTimeout(flush, Number(form.dataset.draftDelay || 1200));
  }
  function flush() {
    pending = false;
    clearTimeout(timer);
    return saveDraft();
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // Another form on this page (the call bar's hang-up or wrap-up, the availability switch) posts
  // and comes back here: the words typed in the last second go into the draft first, so the page
  // that comes back shows them. Bounded: the draft POST either answers or fails, then we go on.
  document.addEventListener("submit", async (event) => {
    const other = event.target;
    if (other === form || !pending || submitting || other.dataset.draftFlushed) return;
    event.preventDefault();
    await flush();
    other.dataset.draftFlushed = "1";
    if (other.requestSubmit) other.requestSubmit(event.submitter || undefined);
    else other.submit();
  }, true);
  // Leaving by a link or closing the tab: the last words still reach the draft.
  window.addEventListener("pagehide", () => {
    if (pending && !submitting && navigator.sendBeacon) navigator.sendBeacon(form.dataset.draftUrl, new FormData(form));
  });

  // The first field with an error gets the cursor, so the operator fixes it straight away.
  const firstError = form.querySelector(".has-error input, .has-error select, .has-error textarea");
  filterCategories();
  refresh();
  if (firstError) {
    firstError.focus();
  } else if (!form.contains(document.activeElement)) {
    // Otherwise the cursor starts in the first field acceptance still needs (a case kept
    // incomplete: data-needed), else the first empty one, so typing begins at once.
    const fields = focusables().filter((el) => el.tagName !== "BUTTON" && el.type !== "submit" && el.type !== "checkbox");
    const needed = (form.dataset.needed || "").split(" ").filter(Boolean);
    const next = fields.find((el) => needed.includes(el.name)) || fields.find((el) => !el.value) || fields[0];
    if (next) next.focus();
  }
})();

// "Reveal number" beside the form: the server records the reveal and answers with the number,
// which replaces the masked one in place, so nothing typed into the form is lost.
(function () {
  const reveal = document.querySelector("form[data-reveal-phone]");
  if (!reveal) return;
  reveal.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(reveal.action, {
        method: "POST", body: new FormData(reveal), credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok || !data.phone) throw new Error("refused");
      const shown = document.querySelector('#caller [data-testid="caller-phone"]');
      shown.textContent = data.phone;
      shown.classList.add("revealed");
      reveal.querySelector("button").hidden = true;
      reveal.querySelector("[data-revealed-note]").hidden = false;
    } catch (err) {
      reveal.submit();  // the page itself then shows the number, or why not
    }
  });
})();

// The suggestion follows the facts as they are typed (debounced), from the same service as
// POST /api/v1/suggest; Alt+A applies it. The refer button carries the suggested agency along.
(function () {
  const box = document.getElementById("live-suggestion");
  const form = document.getElementById("intake-form");
  const facts = document.getElementById("facts");
  if (!box || !form || !facts) return;
  let timer = null;
  let asked = facts.value.trim();
  async function refresh() {
    const text = facts.value.trim();
    if (text === asked || text.length < 4) return;
    asked = text;
    const body = new FormData();
    body.append("csrf_token", form.querySelector('[name="csrf_token"]').value);
    body.append("facts", text);
    try {
      const response = await fetch(box.dataset.url, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok || facts.value.trim() !== text) return;  // a newer text is on its way
      box.innerHTML = await response.text();
      const chosen = document.getElementById("article_id");  // the article already chosen stays marked
      box.querySelectorAll("[data-article-id]").forEach((el) => {
        el.classList.toggle("chosen", Boolean(chosen && chosen.value) && el.dataset.articleId === chosen.value);
      });
      const refer = document.getElementById("refer-case");
      const apply = box.querySelector(".suggestion-apply");
      if (refer && apply) {
        const url = new URL(refer.formAction, window.location.href);
        if (apply.dataset.referral) url.searchParams.set("suggested", apply.dataset.referral);
        else url.searchParams.delete("suggested");
        refer.setAttribute("formaction", url.pathname + url.search);
      }
    } catch (err) {
      /* the next keystroke asks again */
    }
  }
  facts.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey && event.code === "KeyA") {
      const apply = box.querySelector(".suggestion-apply");
      if (apply) {
        event.preventDefault();
        apply.click();
      }
    }
  });
})();

// Long texts: the browser would cut a paste at maxlength without a word. Instead the field
// takes it all and counts, saying the limit before saving (the server refuses what is over,
// keeping every character typed for the operator to shorten).
(function () {
  const form = document.getElementById("intake-form");
  if (!form) return;
  const template = form.dataset.countText || "{count} / {max}";
  const overTemplate = form.dataset.overText || "{over} over the limit of {max}: shorten it before saving";
  form.querySelectorAll("textarea[maxlength]").forEach((area) => {
    const max = Number(area.getAttribute("maxlength"));
    area.removeAttribute("maxlength");
    const counter = document.createElement("p");
    counter.className = "small muted char-count";
    counter.setAttribute("aria-live", "polite");
    counter.dataset.testid = "char-count";
    area.insertAdjacentElement("afterend", counter);
    function show() {
      const count = [...area.value].length;
      const over = count - max;
      counter.textContent = over > 0
        ? overTemplate.replace("{over}", over).replace("{max}", max)
        : template.replace("{count}", count).replace("{max}", max);
      counter.classList.toggle("warn", over > 0);
      area.setAttribute("aria-invalid", over > 0 ? "true" : "false");
    }
    area.addEventListener("input", show);
    show();
  });
})();

// Answers from the knowledge base, beside the suggestion: Alt+1..3 (or the article's button) put its
// short answer into the reply, choose the article (hidden article_id, recorded on save) and make
// the case a consultation. Without JavaScript the same button posts the form, which comes back
// filled. Alt+digit collides with none of the form's keys (Alt+S, Alt+A, Alt+R, Ctrl+Enter).
(function () {
  const form = document.getElementById("intake-form");
  const box = document.getElementById("live-suggestion");
  const answer = document.getElementById("answer");
  const chosenId = document.getElementById("article_id");
  if (!form || !box || !answer || !chosenId) return;
  const note = document.getElementById("kb-chosen-note");
  const kind = document.getElementById("kind");

  function use(button) {
    const item = button.closest("[data-article-id]");
    const short = item.querySelector("[data-short-answer]").textContent.trim();
    const typed = answer.value.trim();
    // Another article chosen instead: its short answer is replaced, not followed by the new one.
    const previous = answer.dataset.inserted || "";
    if (!typed) answer.value = short;
    else if (typed.includes(short)) { /* already there */ }
    else if (previous && typed.includes(previous)) answer.value = typed.replace(previous, short);
    else answer.value = typed + "\n" + short;
    answer.dataset.inserted = short;
    chosenId.value = item.dataset.articleId;
    box.querySelectorAll("[data-article-id]").forEach((el) => el.classList.toggle("chosen", el === item));
    // A tag the page was rendered with (a restored draft's article) must not mark a second one.
    box.querySelectorAll(".kb-chosen").forEach((tag) => { if (!item.contains(tag)) tag.remove(); });
    if (kind && kind.value !== "consultation") {
      kind.value = "consultation";
      kind.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (note) {
      const title = item.querySelector(".kb-title strong").textContent.trim();
      note.textContent = (note.dataset.template || "{title}").replace("{title}", title);
      note.hidden = false;
    }
    answer.dispatchEvent(new Event("input", { bubbles: true }));  // the draft and the counter follow
    answer.focus();
    answer.setSelectionRange(answer.value.length, answer.value.length);
  }

  box.addEventListener("click", (event) => {
    const button = event.target.closest("[data-use-article]");
    if (!button) return;
    event.preventDefault();
    use(button);
  });
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const digit = /^(?:Digit|Numpad)([1-3])$/.exec(event.code);
    if (!digit) return;
    const button = box.querySelector(`[data-use-article][data-key="${digit[1]}"]`);
    if (!button) return;
    event.preventDefault();
    use(button);
  });
})();
