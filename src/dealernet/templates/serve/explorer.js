// dealernet serve: the explorer page. Every value from the server is written as text
// (textContent), never as HTML. A change sends the form, shows a quick preview (fewer
// draws), then the figures at the scenario's own draws, as `dealernet run` prints them.
(function () {
  "use strict";
  var tab = null, opened = null, sequence = 0, timer = null, sortKey = "jobs_value", sortUp = false;
  var owners = [];
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function byId(id) { return document.getElementById(id); }
  function status(text, preview) {
    var s = byId("status"); s.textContent = text; s.className = "status" + (preview ? " preview" : "");
  }
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body), credentials: "same-origin"}).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.statusText); });
      return r.json();
    });
  }
  function numberInput(value, step) {
    var input = el("input"); input.type = "number"; input.step = step || "1"; input.min = "0";
    if (value !== null && value !== undefined) input.value = value;
    return input;
  }
  function ruleBox(rule) {
    var box = el("div", null, "rule"); box.dataset.rule = rule.id;
    box.setAttribute("data-testid", "rule-" + rule.id);
    var head = el("label"); var on = el("input"); on.type = "checkbox"; on.checked = true;
    on.dataset.key = "on"; on.setAttribute("data-testid", "rule-" + rule.id + "-on");
    head.appendChild(on); head.appendChild(document.createTextNode(" " + rule.id + " (" + rule.action + ")"));
    box.appendChild(head);
    on.addEventListener("change", function () { box.classList.toggle("off", !on.checked); changed(); });
    box.appendChild(textField("when", "Applies when", rule.when || "", rule.id));
    if (rule.action === "absorb") {
      var miles = rule.max_distance_miles;
      var label = el("label", "Distance limit (miles)"); box.appendChild(label);
      var row = el("div", null, "row");
      var slider = el("input"); slider.type = "range"; slider.min = "0"; slider.max = "200"; slider.step = "0.5";
      slider.value = miles === undefined ? 200 : miles; slider.setAttribute("data-testid", "rule-" + rule.id + "-slider");
      slider.setAttribute("aria-label", rule.id + " distance limit");
      var number = numberInput(miles === undefined ? "" : miles, "0.5");
      number.dataset.key = "max_distance_miles"; number.setAttribute("data-testid", "rule-" + rule.id + "-miles");
      number.placeholder = "no limit";
      slider.addEventListener("input", function () { number.value = slider.value; changed(); });
      number.addEventListener("input", function () { if (number.value !== "") slider.value = number.value; changed(); });
      row.appendChild(slider); row.appendChild(number); box.appendChild(row);
      if (typeof rule.capacity !== "object") {
        var cap = el("label", "Capacity (stores per host site; empty: no limit)"); box.appendChild(cap);
        var capacity = numberInput(rule.capacity, "1"); capacity.dataset.key = "capacity";
        capacity.setAttribute("data-testid", "rule-" + rule.id + "-capacity");
        capacity.addEventListener("input", changed); box.appendChild(capacity);
      }
      var same = el("label", "Same owner"); box.appendChild(same);
      var select = el("select"); select.dataset.key = "same_owner";
      opened.same_owner_modes.forEach(function (m) { var o = el("option", m); o.value = m; select.appendChild(o); });
      select.value = rule.same_owner; select.addEventListener("change", changed); box.appendChild(select);
      if (typeof rule.exclude_hosts !== "object") {
        box.appendChild(textField("exclude_hosts", "Hosts left out when", rule.exclude_hosts || "", rule.id));
      }
    }
    return box;
  }
  function textField(key, label, value, id) {
    var wrap = el("label", label); var input = el("input"); input.type = "text"; input.value = value;
    input.dataset.key = key; input.setAttribute("data-testid", "rule-" + id + "-" + key);
    input.addEventListener("input", changed); wrap.appendChild(input); return wrap;
  }
  function unreadable() {  // number boxes whose text is not a number (the browser empties them)
    var bad = [];
    document.querySelectorAll(".rule input[type=number]").forEach(function (input) {
      if (input.validity && input.validity.badInput) {
        bad.push("rule " + input.closest(".rule").dataset.rule + ": " + input.dataset.key +
          " is not a number; type a number, or clear the box for no limit");
      }
    });
    return bad;
  }
  function formData(quality) {
    var rules = [];
    document.querySelectorAll(".rule").forEach(function (box) {
      var row = {id: box.dataset.rule};
      box.querySelectorAll("[data-key]").forEach(function (input) {
        var key = input.dataset.key;
        if (input.type === "checkbox") row[key] = input.checked;
        else if (input.type === "number") row[key] = input.value === "" ? null : Number(input.value);
        else row[key] = input.value;
      });
      rules.push(row);
    });
    function lines(id) { return byId(id).value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); }
    return {rules: rules, keep_names: lines("keep-names"), close_names: lines("close-names"), quality: quality};
  }
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(function () { send(); }, 200);
  }
  function send() {
    var mine = ++sequence, bad = unreadable();
    if (bad.length) { showErrors(bad); status("Not run: " + bad[0], true); return; }
    status("Preview: deciding again with " + opened.preview.draws + " draws\u2026", true);
    post("/api/tabs/" + tab + "/change", formData("preview")).then(function (state) {
      if (mine !== sequence) return;
      if (state.errors) {
        showErrors(state.errors);
        status("Not run, the page keeps the last figures: " + state.errors.join(" "), true);
        return;
      }
      showErrors([]); show(state);
      status("Preview (" + state.draws + " draws): the full figures follow\u2026", true);
      return post("/api/tabs/" + tab + "/change", formData("full")).then(function (full) {
        if (mine !== sequence || full.errors) return;
        show(full); refreshMap();
        status("Full figures (" + full.draws.toLocaleString("en-US") + " draws), as dealernet run prints them.", false);
        document.body.dataset.ready = String(mine);
      });
    }).catch(function (e) { showErrors([e.message]); status("The server refused the change.", true); });
  }
  function showErrors(lines) {
    var list = byId("errors"); list.textContent = "";
    lines.forEach(function (line) { list.appendChild(el("li", line)); });
  }
  function fill(tableId, rows, cells, rowClass) {
    var table = byId(tableId), body = table.querySelector("tbody"); body.textContent = "";
    rows.forEach(function (row) {
      var tr = el("tr", null, rowClass ? rowClass(row) : "");
      cells(row).forEach(function (c) { tr.appendChild(el("td", c[0], c[1])); });
      body.appendChild(tr);
    });
    table.hidden = rows.length === 0;
  }
  function show(state) {
    fill("totals", state.totals, function (r) { return [[r.label], [r.low, "n"], [r.base, "n"], [r.high, "n"]]; },
      function (r) { return r.sub ? "sub" : ""; });
    fill("decisions", state.decisions.rows, function (r) { return [[r.rule], [r.decision], [r.stores, "n"]]; });
    var foot = byId("decisions").querySelector("tfoot"); foot.textContent = "";
    var tr = el("tr"); tr.appendChild(el("td", "Total")); tr.appendChild(el("td", state.decisions.total));
    tr.appendChild(el("td", state.decisions.stores, "n")); foot.appendChild(tr);
    var notes = byId("notes"); notes.textContent = "";
    (state.notes || []).forEach(function (n) { notes.appendChild(el("li", "Note: " + n)); });
    var changes = byId("changes"); changes.textContent = "";
    state.changes.forEach(function (c) { changes.appendChild(el("li", c)); });
    var n = state.changed.count;
    byId("changed-count").textContent = !state.changes.length ? "Nothing changed yet: these are the scenario file's settings." :
      n.toLocaleString("en-US") + (n === 1 ? " store changes" : " stores change") + " decision or host" +
      (n > state.changed.rows.length ? " (the first " + state.changed.rows.length + " listed)" : "") + ".";
    fill("changed", state.changed.rows, function (r) { return [[r.name + " (" + r.dealer_id + ")"], [r.state], [r.was], [r.now]]; });
    fill("total-changes", state.total_changes, function (r) { return [[r.label], [r.was, "n"], [r.now, "n"], [r.change, "n"]]; });
    byId("origin").textContent = "Data: " + state.origin + ". Market and Monte Carlo: " +
      state.draws.toLocaleString("en-US") + " draws, " + state.market_draws + " market parameter sets.";
    owners = state.owners.rows; drawOwners();
    byId("owners-more").textContent = state.owners.more ? state.owners.more + " more owners not listed." : "";
    byId("download-scenario").href = "/tabs/" + tab + "/scenario.toml";
    byId("download-run").href = "/tabs/" + tab + "/run.zip";
    byId("download-workbook").href = "/tabs/" + tab + "/dealernet.xlsx";
    byId("download-gis").href = "/tabs/" + tab + "/dealernet.gpkg";
  }
  function drawOwners() {
    var query = byId("owner-search").value.trim().toLowerCase();
    var rows = owners.filter(function (r) { return !query || r.owner.toLowerCase().indexOf(query) >= 0; });
    rows.sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey], c = typeof x === "string" ? x.localeCompare(y) : x - y;
      return sortUp ? c : -c;
    });
    document.querySelectorAll("#owners th").forEach(function (th) {
      var on = th.dataset.key === sortKey;
      th.setAttribute("aria-sort", on ? (sortUp ? "ascending" : "descending") : "none");
      th.dataset.arrow = on ? (sortUp ? " \u25B2" : " \u25BC") : "";
    });
    var body = byId("owners").querySelector("tbody"); body.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr"); var name = el("td");
      if (r.report) {
        var a = el("a", r.owner); a.href = "/tabs/" + tab + "/owners/" + encodeURIComponent(r.report) + ".html";
        a.target = "_blank"; a.rel = "noopener"; name.appendChild(a);
      } else name.textContent = r.owner;
      tr.appendChild(name); tr.appendChild(el("td", r.stores, "n")); tr.appendChild(el("td", r.affected, "n"));
      tr.appendChild(el("td", r.jobs, "n")); tr.appendChild(el("td", r.profit, "n")); body.appendChild(tr);
    });
  }
  function refreshMap() { byId("map").src = "/tabs/" + tab + "/map.html?v=" + sequence; }
  function start(data) {
    opened = data; tab = data.tab;
    byId("network-label").textContent = data.network; byId("scenario-name").textContent = data.scenario;
    var rules = byId("rules"); rules.textContent = "";
    data.rules.forEach(function (r) { rules.appendChild(ruleBox(r)); });
    show(data.state); refreshMap();
    status("The scenario file at its full draws (" + data.state.draws.toLocaleString("en-US") + "), as dealernet run prints it.", false);
    document.body.dataset.ready = "0";
  }
  function upload(files) {
    var body = new FormData();
    Array.prototype.forEach.call(files, function (f) { body.append("files", f, f.name); });
    var out = byId("upload-result"); out.textContent = "Reading the files\u2026";
    fetch("/api/tabs/" + tab + "/dealers", {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(function (answer) {
        out.textContent = "";
        if (answer.errors) { out.appendChild(el("p", answer.errors.join(" "), "errors")); return; }
        if (answer.problems.length) {
          var wrap = el("div", null, "scroll"); wrap.appendChild(problemTable(answer.problems)); out.appendChild(wrap);
        }
        if (answer.opened) {
          out.appendChild(el("p", "Now exploring " + answer.opened.network + ", from the scenario file's " +
            "settings again: the changes you had made were for the other network."));
          start(answer.opened);
        }
        else out.appendChild(el("p", answer.summary + ": fix the errors and drop the files again.", "errors"));
      }).catch(function (e) { out.textContent = e.message; });
  }
  function problemTable(problems) {
    var table = el("table", null, "problems"); table.setAttribute("data-testid", "problems");
    var head = el("tr"); ["", "File", "Line", "Column", "Problem", "Fix"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    problems.forEach(function (p) {
      var tr = el("tr");
      [p.severity, p.file, p.line === null ? "" : p.row_label + " " + p.line, p.column || "",
        p.problem + (p.value === null || p.value === "" ? "" : " (" + p.value + ")"), p.fix].forEach(function (c) { tr.appendChild(el("td", c)); });
      table.appendChild(tr);
    });
    return table;
  }
  document.addEventListener("DOMContentLoaded", function () {
    byId("keep-names").addEventListener("input", changed);
    byId("close-names").addEventListener("input", changed);
    byId("owner-search").addEventListener("input", drawOwners);
    document.querySelectorAll("#owners th").forEach(function (th) {
      th.addEventListener("click", function () {
        if (sortKey === th.dataset.key) sortUp = !sortUp; else { sortKey = th.dataset.key; sortUp = th.dataset.key === "owner"; }
        drawOwners();
      });
    });
    byId("files").addEventListener("change", function (e) { upload(e.target.files); });
    var drop = byId("drop");
    drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files); });
    post("/api/tabs", {}).then(start).catch(function (e) { status("Could not start: " + e.message, true); });
  });
})();
