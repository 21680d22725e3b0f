// The live wall refreshes its numbers from wall.json every few seconds, without reloading the page.
(function () {
  "use strict";
  var wall = document.getElementById("wall");
  if (!wall) { return; }
  var PERIOD_MS = 4000;

  function setFigures(data) {
    Object.keys(data.text).forEach(function (field) {
      var el = wall.querySelector('[data-field="' + field + '"]');
      if (!el) { return; }
      el.textContent = data.text[field];
      el.classList.toggle("alarm", !!data.alarms[field]);
    });
    var stamp = document.getElementById("wall-updated");
    if (stamp) { stamp.textContent = data.figures.at_local; }
    setDepartments(data.figures.departments);
  }

  function cell(row, text, href, cls, testid) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      a.className = "figure " + (cls || "");
      if (testid) { a.setAttribute("data-testid", testid); }
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function setDepartments(rows) {
    var body = document.querySelector("#wall-departments tbody");
    if (!body || !rows.length) { return; }
    var late = wall.getAttribute("data-late-url");
    var fresh = document.createDocumentFragment();
    rows.forEach(function (d) {
      var tr = document.createElement("tr");
      var dept = d.department_id === null ? "" : String(d.department_id);
      tr.setAttribute("data-testid", "department-row");
      tr.setAttribute("data-department", dept);
      var nameCell = body.querySelector('tr[data-department="' + dept + '"] td');
      cell(tr, d.name || (nameCell ? nameCell.textContent : ""), null);
      cell(tr, String(d.overdue), late + "?department=" + dept + "&which=overdue", d.overdue ? "alarm" : "", "overdue");
      cell(tr, String(d.due_today), late + "?department=" + dept + "&which=due_today", "", "due-today");
      fresh.appendChild(tr);
    });
    body.replaceChildren(fresh);
  }

  function refresh() {
    fetch(wall.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { setFigures(data); } })
      .catch(function () { /* the next tick tries again */ })
      .finally(function () { window.setTimeout(refresh, PERIOD_MS); });
  }
  window.setTimeout(refresh, PERIOD_MS);
})();
