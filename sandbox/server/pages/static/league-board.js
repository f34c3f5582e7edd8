// The classroom projector: the public board from the live channel (server-sent events, no
// reloads). Rows are keyed by team and move to their new place (FLIP animation) with an arrow
// for the places won or lost; a per-round bar chart (inline SVG); a ticker of live events (each
// id once); the FROZEN banner; and on unfreeze the reveal, from the last place up. Names are
// set with textContent only (they are data); styles come from league.css (the CSP allows no
// inline style), positions through the CSSOM.
(function () {
  "use strict";
  var root = document.getElementById("projector");
  if (!root) { return; }
  var W = JSON.parse(root.getAttribute("data-words"));
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#4cc9f0", "#f72585", "#ffd166", "#06d6a0", "#b388ff", "#ff8c42",
                "#90e0ef", "#e9c46a", "#ef476f", "#8ac926", "#c77dff", "#f4a261"];
  var ARROW_MS = 8000, REVEAL_MS = 900, MAX_EVENTS = 7;
  var rowsBody = document.getElementById("pj-rows");
  var rowEls = {};          // team id -> <tr>
  var prevRank = {};        // team id -> rank shown before
  var moved = {};           // team id -> {up, until}
  var seen = {};            // event ids shown
  var wasFrozen = null;
  var revealing = false;
  var last = null, receivedAt = 0, colorOf = {};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }
  function mmss(s) {
    s = Math.max(0, Math.ceil(s));
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  // -- the clock ------------------------------------------------------------------------------
  function openRound(state) {
    var r = null;
    state.rounds.forEach(function (x) { if (x.status === "open") { r = x; } });
    if (!r && state.current_round >= 0) { r = state.rounds[state.current_round]; }
    return r;
  }
  function tick() {
    if (!last) { return; }
    var s = last.state, r = openRound(s);
    var title = document.getElementById("pj-round-title");
    var clock = document.getElementById("pj-clock");
    if (!r) { title.textContent = W.no_round; clock.textContent = "--:--"; return; }
    title.textContent = r.text + (r.status === "closed" ? " · " + W.round_over : "");
    var now = r.now_s;
    if (r.status === "open" && !s.paused) {
      now += (Date.now() - receivedAt) / 1000 * (last.clock_speed || 1);
    }
    var left = r.status === "closed" ? 0 : r.duration_s - now;
    clock.textContent = mmss(left);
    clock.classList.toggle("low", r.status === "open" && left <= 60);
  }

  // -- the leaderboard ------------------------------------------------------------------------
  function drawHead(board) {
    var tr = el("tr");
    tr.id = "pj-head-row";
    tr.appendChild(el("th", "rank", "#"));
    tr.appendChild(el("th", "move", ""));
    tr.appendChild(el("th", "team", W.team));
    tr.appendChild(el("th", "total", W.total));
    board.columns.forEach(function (c) { tr.appendChild(el("th", "kpi", c.text)); });
    var old = document.getElementById("pj-head-row");
    old.parentNode.replaceChild(tr, old);
  }

  function fillRow(tr, row, board) {
    while (tr.firstChild) { tr.removeChild(tr.firstChild); }
    tr.appendChild(el("td", "rank", row.rank + (row.tied ? "=" : "")));
    var m = moved[row.team_id], move = el("td", "move", "");
    if (m && m.until > Date.now()) {
      move.textContent = (m.up > 0 ? "▲" : "▼") + Math.abs(m.up);
      move.classList.add(m.up > 0 ? "up" : "down");
    }
    tr.appendChild(move);
    var name = el("td", "team");
    var dot = el("span", "dot");
    dot.setAttribute("data-color", colorOf[row.team_id] || 0);
    name.appendChild(dot);
    name.appendChild(el("span", "name", row.name));
    tr.appendChild(name);
    tr.appendChild(el("td", "total", row.display.total));
    board.columns.forEach(function (c) { tr.appendChild(el("td", "kpi", row.display.items[c.kpi])); });
  }

  function drawRows(board, reveal) {
    var before = {};
    Object.keys(rowEls).forEach(function (id) { before[id] = rowEls[id].getBoundingClientRect().top; });
    var keep = {};
    board.rows.forEach(function (row) {
      var old = prevRank[row.team_id];
      if (old !== undefined && old !== row.rank) {
        moved[row.team_id] = { up: old - row.rank, until: Date.now() + ARROW_MS };
      }
      prevRank[row.team_id] = row.rank;
      var tr = rowEls[row.team_id];
      if (!tr) { tr = el("tr"); tr.setAttribute("data-team", row.team_id); rowEls[row.team_id] = tr; }
      tr.classList.toggle("first", row.rank === 1);
      fillRow(tr, row, board);
      rowsBody.appendChild(tr);   // appending in board order moves the row
      keep[row.team_id] = true;
    });
    Object.keys(rowEls).forEach(function (id) {
      if (!keep[id]) { rowsBody.removeChild(rowEls[id]); delete rowEls[id]; }
    });
    if (reveal) { startReveal(board); return; }
    // FLIP: every row starts where it was and glides to its new place
    board.rows.forEach(function (row) {
      var tr = rowEls[row.team_id], was = before[row.team_id];
      if (was === undefined) { return; }
      var dy = was - tr.getBoundingClientRect().top;
      if (!dy) { return; }
      tr.classList.remove("glide");
      tr.style.transform = "translateY(" + dy + "px)";
      void tr.offsetHeight;
      tr.classList.add("glide");
      tr.style.transform = "";
    });
  }

  function startReveal(board) {
    revealing = true;
    root.classList.add("revealing");
    var order = board.rows.map(function (r) { return rowEls[r.team_id]; });
    order.forEach(function (tr) { tr.classList.add("veiled"); tr.classList.remove("shown"); });
    var i = order.length - 1;
    function next() {
      if (i < 0) { revealing = false; root.classList.remove("revealing"); return; }
      order[i].classList.remove("veiled");
      order[i].classList.add("shown");
      i -= 1;
      setTimeout(next, REVEAL_MS);
    }
    setTimeout(next, REVEAL_MS);
  }

  // -- the chart --------------------------------------------------------------------------------
  function drawChart(board) {
    var box = document.getElementById("pj-chart");
    var played = board.rounds.filter(function (r) { return r.played; });
    var teams = board.rows.slice().sort(function (a, b) { return a.team_id < b.team_id ? -1 : 1; });
    var Wd = 640, H = 300, left = 44, bottom = 36, top = 12, right = 8;
    var s = svg("svg", { viewBox: "0 0 " + Wd + " " + H, role: "img", class: "chart" });
    var ph = H - top - bottom, pw = Wd - left - right;
    [0, 25, 50, 75, 100].forEach(function (v) {
      var y = top + ph - ph * v / 100;
      s.appendChild(svg("line", { x1: left, x2: Wd - right, y1: y, y2: y, class: "grid" }));
      s.appendChild(svg("text", { x: left - 8, y: y + 6, class: "axis", "text-anchor": "end" }, v));
    });
    if (played.length && teams.length) {
      var gw = pw / played.length, pad = gw * 0.12;
      var bw = (gw - 2 * pad) / teams.length;
      played.forEach(function (r, gi) {
        var gx = left + gi * gw + pad;
        teams.forEach(function (t, ti) {
          var v = t.rounds[r.index];
          if (v === null || v === undefined) { return; }
          var h = ph * Math.max(0, Math.min(100, v)) / 100;
          var bar = svg("rect", { x: gx + ti * bw + 1, y: top + ph - h, width: Math.max(1, bw - 2),
                                  height: h, class: "bar c" + (colorOf[t.team_id] || 0) });
          bar.appendChild(svg("title", {}, t.name + ": " + v.toFixed(1)));
          s.appendChild(bar);
        });
        s.appendChild(svg("text", { x: left + gi * gw + gw / 2, y: H - 10, class: "axis",
                                    "text-anchor": "middle" }, W.round + " " + (r.index + 1)));
      });
    }
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(s);
    var legend = el("ul", "legend");
    teams.forEach(function (t) {
      var li = el("li");
      var dot = el("span", "dot");
      dot.setAttribute("data-color", colorOf[t.team_id] || 0);
      li.appendChild(dot);
      li.appendChild(el("span", "", t.name));
      legend.appendChild(li);
    });
    box.appendChild(legend);
  }

  // -- events -----------------------------------------------------------------------------------
  function drawEvents(events, lang) {
    var list = document.getElementById("pj-events");
    events.forEach(function (e) {
      if (seen[e.id]) { return; }
      seen[e.id] = true;
      var li = el("li", "new", e.text[lang] || e.text.en);
      li.setAttribute("data-id", e.id);
      list.insertBefore(li, list.firstChild);
      setTimeout(function () { li.classList.remove("new"); }, 4000);
    });
    while (list.children.length > MAX_EVENTS) { list.removeChild(list.lastChild); }
  }

  function draw(doc) {
    var s = doc.state, board = doc.board;
    board.rows.slice().sort(function (a, b) { return a.team_id < b.team_id ? -1 : 1; })
      .forEach(function (r, i) { if (colorOf[r.team_id] === undefined) { colorOf[r.team_id] = Object.keys(colorOf).length % COLORS.length; } });
    var reveal = wasFrozen === true && !s.frozen;
    wasFrozen = !!s.frozen;
    document.getElementById("pj-frozen").hidden = !s.frozen;
    document.getElementById("pj-paused").hidden = !s.paused;
    root.classList.toggle("frozen", !!s.frozen);
    var ann = document.getElementById("pj-announce");
    var text = s.announcement && s.announcement.text;
    ann.hidden = !text;
    ann.textContent = text ? W.announcement + ": " + text : "";
    drawHead(board);
    drawRows(board, reveal);
    drawChart(board);
    drawEvents(doc.events || [], doc.lang);
    root.setAttribute("data-version", String(s.version));
    root.setAttribute("data-hash", board.hash || "");
    tick();
  }

  var source = new EventSource(root.getAttribute("data-live"));
  source.addEventListener("update", function (ev) {
    last = JSON.parse(ev.data);
    receivedAt = Date.now();
    document.getElementById("pj-stale").hidden = true;
    draw(last);
  });
  source.addEventListener("error", function () { document.getElementById("pj-stale").hidden = false; });
  setInterval(tick, 250);
  setInterval(function () {   // arrows fade after a while
    Object.keys(moved).forEach(function (id) {
      if (moved[id].until <= Date.now() && rowEls[id]) {
        var m = rowEls[id].querySelector(".move");
        if (m) { m.textContent = ""; m.className = "move"; }
        delete moved[id];
      }
    });
  }, 1000);
})();
