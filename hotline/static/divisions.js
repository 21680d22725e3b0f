// The cascading province -> city -> district choice (templates/routing/_division_select.html):
// choosing a level loads the next from /routing/divisions; an address field, when named, fills
// the three from /routing/divisions/parse as the operator leaves it, unless they picked by hand.
(() => {
  const csrf = () => (document.querySelector("input[name=csrf_token]") || {}).value || "";

  async function children(url, parent) {
    const response = await fetch(parent ? `${url}?parent=${encodeURIComponent(parent)}` : url,
      { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? response.json() : [];
  }

  function fill(select, items, chosen) {
    const blank = select.options[0];
    select.replaceChildren(blank);
    for (const item of items) select.add(new Option(item.name, item.code, false, item.code === chosen));
    select.value = chosen || "";
  }

  function setUp(box) {
    const selects = [...box.querySelectorAll("select[data-level]")];
    const url = box.dataset.childrenUrl;
    const manual = box.dataset.manualField ? document.getElementById(box.dataset.manualField) : null;
    const status = box.querySelector(".division-status");

    async function setLevels(codes) {
      for (let i = 0; i < selects.length; i += 1) {
        if (i > 0) fill(selects[i], codes[i - 1] ? await children(url, codes[i - 1]) : [], codes[i]);
        else selects[0].value = codes[0] || "";
      }
    }

    selects.forEach((select, i) => {
      select.addEventListener("change", async () => {
        if (manual) manual.value = "1";
        if (status) status.textContent = "";
        const codes = selects.map((s, j) => (j <= i ? s.value : ""));
        await setLevels(codes);
      });
    });

    const address = box.dataset.addressField ? document.getElementById(box.dataset.addressField) : null;
    if (!address) return;
    address.addEventListener("change", async () => {
      if ((manual && manual.value === "1") || !address.value.trim()) return;
      const body = new URLSearchParams({ address: address.value, csrf_token: csrf() });
      const response = await fetch(box.dataset.parseUrl, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) return;
      const found = await response.json();
      if (!found.code) return;
      await setLevels(found.levels);
      if (status) status.textContent = status.dataset.derivedText;
    });
  }

  document.querySelectorAll("[data-division-select]").forEach(setUp);
})();
