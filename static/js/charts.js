// Draws every Plotly figure the server embedded with json_script: <div data-figure="ID">.
// The figures are built (and their labels escaped) in Python; this file only hands them over.
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) return;
      var fig;
      try { fig = JSON.parse(source.textContent); } catch (e) { return; }
      if (!fig.data || fig.data.length === 0) {
        el.classList.add("chart-empty");
        el.textContent = "No data for this chart in this range.";
        return;
      }
      var layout = fig.layout || {};
      layout.autosize = true;
      Plotly.newPlot(el, fig.data, layout, {responsive: true, displaylogo: false,
        modeBarButtonsToRemove: ["lasso2d", "select2d"]});
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
