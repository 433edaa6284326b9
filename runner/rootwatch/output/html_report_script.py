"""The HTML report's inline script and styles (kept apart from the Python that builds the page).

The script reads the results from ``<script type="application/json" id="rw-data">`` and builds the
table with ``textContent`` and ``setAttribute`` only (never ``innerHTML``), so no result text is
ever parsed as markup. Sorting (click a column header) and filtering (status check boxes, free
text, and the items the mod does not assess, hidden until ``na=1``) keep their state in the URL
fragment, e.g. ``report.html#sort=reason&dir=desc&status=alarm,error&q=root``:
a link or bookmark reopens the same view, and tests drive the page the same way. Only the first
``page_rows`` matching rows are drawn until "Show all" is pressed (``all=1``), so a report of a large
organisation opens quickly.
"""

REPORT_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rw-data").textContent);
  var columns = data.columns, rows = data.rows, statuses = data.statuses, controls = data.controls;
  var rank = {};
  statuses.forEach(function (s, i) { rank[s] = i; });
  var keys = columns.map(function (c) { return c.key; });
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var table = document.getElementById("rw-results");
  var tbody = table.tBodies[0];
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#rw-filters input[name=status]"));
  var search = document.getElementById("rw-search");
  var counter = document.getElementById("rw-count");
  var more = document.getElementById("rw-more");
  var notAssessed = document.getElementById("rw-na");
  // Thousands of rows make a slow page: show the first page_rows matches until asked for all.
  var pageRows = data.page_rows;
  var state = { sort: "", desc: false, statuses: statuses.slice(), q: "", all: false, na: false };

  // The free-text filter searches every column plus the control id shown under its title.
  var searched = keys.concat(["control_id"]);
  rows.forEach(function (row, i) {
    var control = controls[row.c];
    Object.keys(control).forEach(function (key) { row[key] = control[key]; });
    row.index = i;
    row.haystack = searched.map(function (k) { return row[k] == null ? "" : String(row[k]); }).join("\n").toLowerCase();
  });

  function readFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var sort = params.get("sort");
    state.sort = keys.indexOf(sort) >= 0 ? sort : "";
    state.desc = params.get("dir") === "desc";
    if (params.has("status")) {
      state.statuses = params.get("status").split(",").filter(function (s) { return s in rank; });
    }
    state.q = params.get("q") || "";
    state.all = params.get("all") === "1";
    state.na = params.get("na") === "1";
  }

  function writeFragment() {
    var params = new URLSearchParams();
    if (state.sort) { params.set("sort", state.sort); if (state.desc) { params.set("dir", "desc"); } }
    if (state.statuses.length !== statuses.length) { params.set("status", state.statuses.join(",")); }
    if (state.q) { params.set("q", state.q); }
    if (state.all) { params.set("all", "1"); }
    if (state.na) { params.set("na", "1"); }
    var fragment = params.toString();
    try {
      history.replaceState(null, "", fragment ? "#" + fragment : location.pathname + location.search);
    } catch (ignored) { /* some viewers forbid history changes on file: URLs; the view still works */ }
  }

  function text(row, key) { return row[key] == null ? "" : String(row[key]); }

  function compare(a, b) {
    var order = state.sort === "status" ? rank[a.status] - rank[b.status] : collator.compare(text(a, state.sort), text(b, state.sort));
    if (state.desc) { order = -order; }
    return order || a.index - b.index;
  }

  function cell(row, column) {
    var td = document.createElement("td");
    var value = text(row, column.key);
    td.className = "col-" + column.key;
    if (column.key === "status") {
      var badge = document.createElement("span");
      badge.className = "badge st-" + (value in rank ? value : "skip");
      badge.textContent = value;
      td.appendChild(badge);
    } else if (column.key === "control") {
      td.textContent = value;
      var id = document.createElement("div");
      id.className = "muted small";
      id.textContent = text(row, "control_id");
      td.appendChild(id);
      if (row.tags) { td.setAttribute("title", row.tags); }
    } else {
      td.textContent = value;
    }
    return td;
  }

  function render() {
    var wanted = {};
    state.statuses.forEach(function (s) { wanted[s] = true; });
    var needle = state.q.toLowerCase();
    var shown = rows.filter(function (row) {
      return wanted[row.status] && (state.na || !row.na) && (!needle || row.haystack.indexOf(needle) >= 0);
    });
    if (state.sort) { shown.sort(compare); }
    var matching = shown.length;
    if (!state.all && matching > pageRows) { shown = shown.slice(0, pageRows); }
    var fragment = document.createDocumentFragment();
    shown.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.className = "row-" + row.status;
      tr.setAttribute("data-index", String(row.index));
      columns.forEach(function (column) { tr.appendChild(cell(row, column)); });
      fragment.appendChild(tr);
    });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    table.setAttribute("data-shown", String(shown.length));
    table.setAttribute("data-matching", String(matching));
    counter.textContent = shown.length === matching
      ? matching + " of " + rows.length + " results shown"
      : "first " + shown.length + " of " + matching + " matching results shown (" + rows.length + " in all)";
    more.hidden = shown.length === matching;
    more.textContent = "Show all " + matching + " matching results";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === state.sort ? (state.desc ? "descending" : "ascending") : "none");
    });
    boxes.forEach(function (box) { box.checked = !!wanted[box.value]; });
    if (notAssessed) { notAssessed.checked = state.na; }
    if (search.value !== state.q) { search.value = state.q; }
  }

  function update() { render(); writeFragment(); }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      if (state.sort === key) { state.desc = !state.desc; } else { state.sort = key; state.desc = false; }
      update();
    });
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      state.statuses = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      update();
    });
  });
  search.addEventListener("input", function () { state.q = search.value; update(); });
  if (notAssessed) { notAssessed.addEventListener("change", function () { state.na = notAssessed.checked; update(); }); }
  more.addEventListener("click", function () { state.all = true; update(); });
  window.addEventListener("hashchange", function () { readFragment(); render(); });
  document.getElementById("rw-filters").addEventListener("submit", function (event) { event.preventDefault(); });

  readFragment();
  render();
  document.body.setAttribute("data-rw-ready", "1");
})();
"""

REPORT_CSS = """
header .totals .badge { margin-right: 4px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; margin: 16px 0; }
figure.chart-box figcaption { margin-bottom: 6px; }
#rw-filters { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin: 8px 0 12px; }
#rw-filters label { white-space: nowrap; }
#rw-search { min-width: 260px; padding: 4px 8px; font: inherit; }
#rw-results th button { all: unset; cursor: pointer; font-weight: 600; }
#rw-results th[aria-sort="ascending"] button::after { content: " \\25B2"; font-size: 10px; }
#rw-results th[aria-sort="descending"] button::after { content: " \\25BC"; font-size: 10px; }
#rw-results tbody tr:nth-child(even) { background: #fafafa; }
#rw-results td { font-size: 13px; }
.small { font-size: 11px; }
#rw-more { margin: 10px 0; padding: 4px 12px; font: inherit; cursor: pointer; }
#rw-results td.col-region { white-space: nowrap; }
#rw-results td.col-account { min-width: 9em; }
.exit-0 { color: #2e7d32; } .exit-1 { color: #c62828; } .exit-2 { color: #7b1fa2; }
@media (max-width: 640px) {
  body { padding: 12px 12px 32px; }
  .table-scroll { overflow-x: auto; }
  #rw-search { min-width: 0; width: 100%; }
  #rw-results td.col-region { white-space: normal; }
}
@media print { #rw-filters { display: none; } }
"""
