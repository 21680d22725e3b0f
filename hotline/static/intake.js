// Apply a suggested classification to the intake form: the form marks its fields with
// data-suggest-field="kind|category|problem_type|referral"; a <select> may carry the code in
// each option's data-code when its values are ids.
// The button also posts the form for browsers without JavaScript: here it fills in place instead.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".suggestion-apply");
  if (!button) return;
  event.preventDefault();
  const values = {
    kind: button.dataset.kind,
    category: button.dataset.category,
    problem_type: button.dataset.problemType,
    referral: button.dataset.referral,
  };
  for (const [field, code] of Object.entries(values)) {
    const input = document.querySelector(`[data-suggest-field="${field}"]`);
    if (!input || !code) continue;
    const option = input.tagName === "SELECT"
      ? [...input.options].find((o) => o.value === code || o.dataset.code === code)
      : null;
    input.value = option ? option.value : code;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
