// Optional client-side sorting of tables marked .js-sortable. Without JS the header links sort
// on the server (?sort=), so this only saves a round trip. Cells carry data-value for ordering.
(function () {
  "use strict";
  function value(row, index) {
    var cell = row.children[index];
    var v = cell ? cell.getAttribute("data-value") : "";
    if (v === null || v === "" || v === "None" || v === "\u2014") return null;
    var n = Number(v);
    return isNaN(n) ? v : n;
  }
  function sortBy(table, index, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index), y = value(b, index);
      if (x === null && y === null) return 0;
      if (x === null) return 1;  // unknowns last either way
      if (y === null) return -1;
      var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.js-sortable").forEach(function (table) {
    var headers = table.tHead.rows[0].children;
    Array.prototype.forEach.call(headers, function (th, index) {
      if (!th.hasAttribute("data-sort-key")) return;
      var link = th.querySelector("a");
      if (!link) return;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(headers, function (h) {
          h.removeAttribute("aria-sort");
          var a = h.querySelector("a");
          if (a) a.textContent = a.textContent.replace(/ [\u25B2\u25BC]$/, "");
        });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        link.textContent += descending ? " \u25BC" : " \u25B2";
        sortBy(table, index, descending);
      });
    });
  });
})();
