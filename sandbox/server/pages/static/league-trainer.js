// The trainer console of a competition: redraws from the live channel (server-sent events,
// no reloads) and posts the buttons' actions as JSON to the control API with the CSRF header.
// Every name is set with textContent (team names are data, never markup); the page's CSP
// allows no inline script or style.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var W = JSON.parse(root.getAttribute("data-words"));
  var lang = root.getAttribute("data-lang");
  var csrf = root.getAttribute("data-csrf");
  var controlUrl = root.getAttribute("data-control");
  var pk = root.getAttribute("data-pk");
  var flash = document.getElementById("flash");
  var last = null;       // the latest update
  var receivedAt = 0;    // when it came (ms)
  var EXTEND = [1, 2, 5];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmt(w, n) { return String(w).replace("{n}", String(n)); }
  function mmss(s) {
    s = Math.max(0, Math.round(s));
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function button(label, action, data, cls) {
    var b = el("button", cls || "", label);
    b.type = "button";
    b.setAttribute("data-action", action);
    Object.keys(data || {}).forEach(function (k) { b.setAttribute("data-" + k, String(data[k])); });
    return b;
  }
  function show(id, on) { var e = document.getElementById(id); if (e) { e.hidden = !on; } }

  function roundNow(r) {
    if (!last || r.status !== "open" || last.state.paused) { return r.now_s; }
    return r.now_s + (Date.now() - receivedAt) / 1000 * (last.clock_speed || 1);
  }

  function drawRounds(state) {
    var body = document.createElement("tbody");
    state.rounds.forEach(function (r) {
      var tr = el("tr", "round-" + r.status);
      tr.setAttribute("data-round", r.index);
      tr.appendChild(el("td", "", r.text));
      tr.appendChild(el("td", "status", W[r.status] || r.status));
      var clock = el("td", "num clock", mmss(roundNow(r)) + " / " + mmss(r.duration_s));
      tr.appendChild(clock);
      var td = el("td", "actions");
      if (r.status === "pending") { td.appendChild(button(W.open_round, "open", { round: r.index })); }
      if (r.status === "open") { td.appendChild(button(W.close_round, "close", { round: r.index }, "secondary")); }
      if (r.status !== "closed") {
        EXTEND.forEach(function (n) {
          td.appendChild(button(fmt(W.extend, n), "extend", { round: r.index, seconds: n * 60 }, "small"));
        });
      }
      if (r.status !== "pending") {
        var a = el("a", "", W.debrief);
        a.href = "/admin/competitions/" + encodeURIComponent(pk) + "/rounds/" + r.index + "/debrief";
        td.appendChild(a);
      }
      tr.appendChild(td);
      body.appendChild(tr);
    });
    var table = document.getElementById("rounds");
    table.replaceChild(body, table.tBodies[0]);
  }

  function drawTeams(state) {
    var body = document.createElement("tbody");
    (state.teams || []).forEach(function (team) {
      var tr = el("tr");
      tr.setAttribute("data-team", team.id);
      tr.appendChild(el("td", "team-name", team.name));
      var td = el("td", "seats");
      team.members.forEach(function (m) {
        var cls = m.kicked ? "kicked" : (m.connected ? "on" : (m.joined ? "off" : "empty"));
        var word = m.kicked ? W.kicked : (m.connected ? W.connected : (m.joined ? W.disconnected : W.empty_seat));
        var span = el("span", "seat " + cls, fmt(W.member, m.member) + ": " + word + " ");
        if (m.desk) {
          if (m.kicked) { span.appendChild(button(W.readmit, "readmit", { desk: m.desk }, "small")); }
          else if (m.joined) { span.appendChild(button(W.kick, "kick", { desk: m.desk }, "small secondary")); }
        }
        td.appendChild(span);
      });
      tr.appendChild(td);
      body.appendChild(tr);
    });
    if (!(state.teams || []).length) {
      var tr0 = el("tr"); var td0 = el("td", "muted", W.no_teams); td0.colSpan = 2;
      tr0.appendChild(td0); body.appendChild(tr0);
    }
    var table = document.getElementById("teams");
    table.replaceChild(body, table.tBodies[0]);
  }

  function drawBoard(board) {
    var table = document.getElementById("board");
    var head = el("tr");
    head.appendChild(el("th", "", W.rank));
    head.appendChild(el("th", "", W.team));
    head.appendChild(el("th", "num", W.total));
    board.rounds.forEach(function (r) { head.appendChild(el("th", "num", r.index + 1)); });
    board.columns.forEach(function (c) { head.appendChild(el("th", "num", c.text)); });
    head.appendChild(el("th", "num", W.handled));
    table.tHead.replaceChild(head, table.tHead.rows[0]);
    var body = document.createElement("tbody");
    board.rows.forEach(function (row) {
      var tr = el("tr");
      tr.setAttribute("data-team", row.team_id);
      tr.appendChild(el("td", "num", row.rank + (row.tied ? "=" : "")));
      tr.appendChild(el("td", "team-name", row.name));
      tr.appendChild(el("td", "num", row.display.total));
      row.display.rounds.forEach(function (v) { tr.appendChild(el("td", "num", v)); });
      board.columns.forEach(function (c) { tr.appendChild(el("td", "num", row.display.items[c.kpi])); });
      tr.appendChild(el("td", "num", row.handled));
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
  }

  function draw(doc) {
    var s = doc.state;
    show("badge-paused", s.paused);
    show("badge-frozen", s.frozen);
    show("btn-pause", !s.paused);
    show("btn-resume", s.paused);
    show("btn-freeze", !s.frozen);
    show("btn-unfreeze", s.frozen);
    document.getElementById("announcement").textContent = (s.announcement && s.announcement.text) || "—";
    drawRounds(s);
    drawTeams(s);
    drawBoard(doc.board);
    root.setAttribute("data-version", String(s.version));
  }

  function tick() {
    if (!last) { return; }
    var rows = document.querySelectorAll("#rounds tbody tr");
    last.state.rounds.forEach(function (r, i) {
      if (r.status !== "open" || !rows[i]) { return; }
      var c = rows[i].querySelector(".clock");
      if (c) { c.textContent = mmss(Math.min(roundNow(r), r.duration_s)) + " / " + mmss(r.duration_s); }
    });
  }

  function say(text) {
    flash.textContent = text || "";
    flash.hidden = !text;
  }

  function control(body) {
    say("");
    return fetch(controlUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.ok) { return; }
      return res.json().then(function (doc) {
        var why = doc && doc.error ? (doc.error[lang] || doc.error.en) : String(res.status);
        say(W.failed.replace("{why}", why));
      }, function () { say(W.failed.replace("{why}", String(res.status))); });
    }).catch(function (err) { say(W.failed.replace("{why}", String(err))); });
  }

  root.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button[data-action]") : null;
    if (!b || !root.contains(b)) { return; }
    var body = { action: b.getAttribute("data-action") };
    if (b.hasAttribute("data-round")) { body.round = parseInt(b.getAttribute("data-round"), 10); }
    if (b.hasAttribute("data-seconds")) { body.seconds = parseInt(b.getAttribute("data-seconds"), 10); }
    if (b.hasAttribute("data-desk")) { body.desk = parseInt(b.getAttribute("data-desk"), 10); }
    b.disabled = true;
    control(body).then(function () { b.disabled = false; });
  });

  document.getElementById("announce").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("announce-text");
    control({ action: "announce", text: input.value }).then(function () { input.value = ""; });
  });

  var source = new EventSource(root.getAttribute("data-live"));
  source.addEventListener("update", function (ev) {
    last = JSON.parse(ev.data);
    receivedAt = Date.now();
    show("stale", false);
    draw(last);
  });
  source.addEventListener("error", function () { show("stale", true); });
  setInterval(tick, 500);
})();
