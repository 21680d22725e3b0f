// Forms cannot nest, and the one-time-code controls sit inside the intake form. So their own
// <form>s travel inert in a <template> and are moved to the end of the page here; the controls
// reach them through their form="..." attribute, which also keeps them from ever submitting
// (or being the Enter-key default of) the intake form around them.
document.querySelectorAll("template[data-detached-forms]").forEach(function (holder) {
  document.body.appendChild(holder.content.cloneNode(true));
  holder.remove();
});
