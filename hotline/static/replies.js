// Canned-reply pickers (templates/knowledge/_reply_picker.html): "Insert" puts the chosen
// reply's text, filled on the server for this case, at the cursor of the form's textarea
// instead of sending the form back. No templating here: the page already holds the text.
(function () {
  "use strict";

  function insertAt(area, text, touched) {
    var value = area.value;
    // A textarea never entered has no cursor of its own: add after what is there.
    var start = touched ? area.selectionStart : value.length;
    var end = touched ? area.selectionEnd : value.length;
    area.value = value.slice(0, start) + text + value.slice(end);
    var caret = start + text.length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setUp(picker) {
    var select = picker.querySelector("select");
    var button = picker.querySelector("button");
    var area = document.getElementById(picker.getAttribute("data-target"));
    if (!select || !button || !area || picker.hasAttribute("data-ready")) {
      return;
    }
    picker.setAttribute("data-ready", "");
    var touched = false;
    area.addEventListener("focus", function () { touched = true; });
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) {
        select.focus();
        return;
      }
      insertAt(area, option.getAttribute("data-text") || "", touched);
      select.value = "";
    });
  }

  document.querySelectorAll("[data-reply-picker]").forEach(setUp);
})();
