// Live progress of an exam: poll the JSON view every 2 s and redraw the table's rows.
// Cells are set with textContent only (names are data, never markup).
(function () {
  "use strict";
  var table = document.getElementById("progress");
  if (!table) { return; }
  var url = table.getAttribute("data-url");
  var body = table.tBodies[0];
  var empty = document.getElementById("progress-empty");
  var updated = document.getElementById("progress-updated");
  var FIELDS = ["candidate", "form", "status_text", "decisions", "contact", "time_left", "connection"];
  var NUMERIC = { decisions: true, time_left: true };

  function row(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-key", r.key);
    tr.className = "status-" + r.status;
    FIELDS.forEach(function (name) {
      var td = document.createElement("td");
      if (name === "candidate" && r.attempt !== null && r.attempt !== undefined) {
        var a = document.createElement("a");
        a.href = "/admin/attempts/" + encodeURIComponent(r.attempt);
        a.textContent = r.candidate;
        td.appendChild(a);
      } else {
        td.textContent = String(r[name]);
      }
      if (NUMERIC[name]) { td.className = "num"; }
      if (name === "connection") {
        td.className = r.connected ? "on" : (r.status === "active" ? "off" : "");
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { if (!res.ok) { throw new Error(res.status); } return res.json(); })
      .then(function (doc) {
        var fresh = document.createElement("tbody");
        doc.rows.forEach(function (r) { fresh.appendChild(row(r)); });
        table.replaceChild(fresh, body);
        body = fresh;
        if (empty) { empty.hidden = doc.rows.length > 0; }
        if (updated) { updated.textContent = doc.updated; }
        table.classList.remove("stale");
      })
      .catch(function () { table.classList.add("stale"); });
  }
  setInterval(refresh, 2000);
  refresh();

  document.querySelectorAll("button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      if (!window.confirm(b.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
})();
