// Dashboards: draw every <canvas data-chart="line|bar|doughnut"> with Chart.js from the
// JSON of the <script type="application/json"> next to it (templates/analytics/_chart.html).
// No inline scripts (CSP). The numbers are also in a table beside each chart: the table is
// the accessible version, the chart only a picture of it.
//
// The JSON: {"labels": [...], "datasets": [{"label": "...", "data": [...]}, ...],
//            "percent": true|false (values are fractions 0-1 shown as %),
//            "stacked": false, "xTitle": "...", "yTitle": "..."}
(function () {
  "use strict";

  // Bootstrap-like colours, distinguishable for the most common colour blindness
  var PALETTE = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997",
                 "#6c757d", "#ffc107", "#0dcaf0", "#dc3545"];

  function percentLabel(value) {
    return (Math.round(value * 1000) / 10) + "%";
  }

  function config(kind, spec) {
    var doughnut = kind === "doughnut";
    var datasets = (spec.datasets || []).map(function (set, i) {
      var colour = PALETTE[i % PALETTE.length];
      var out = {label: set.label, data: set.data};
      if (doughnut) {
        out.backgroundColor = set.data.map(function (_, j) { return PALETTE[j % PALETTE.length]; });
      } else {
        out.backgroundColor = colour;
        out.borderColor = colour;
        out.borderWidth = kind === "line" ? 2 : 0;
        out.pointRadius = kind === "line" && set.data.length > 40 ? 0 : 2;
        out.borderDash = set.dashed ? [6, 4] : undefined;
        out.tension = 0;  // straight segments: a smoothed line would dip below 0
      }
      return out;
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: {mode: "index", intersect: false},
      plugins: {legend: {position: "bottom"}}
    };
    if (!doughnut) {
      options.scales = {
        x: {stacked: !!spec.stacked, title: {display: !!spec.xTitle, text: spec.xTitle || ""}},
        y: {stacked: !!spec.stacked, beginAtZero: true,
            title: {display: !!spec.yTitle, text: spec.yTitle || ""}}
      };
      if (spec.percent) {
        options.scales.y.max = 1;
        options.scales.y.ticks = {callback: percentLabel};
        options.plugins.tooltip = {callbacks: {label: function (ctx) {
          return ctx.dataset.label + ": " + percentLabel(ctx.parsed.y);
        }}};
      }
    }
    return {type: kind, data: {labels: spec.labels || [], datasets: datasets}, options: options};
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") { return; }
    var source = canvas.parentElement.querySelector("script[type='application/json']");
    if (!source) { return; }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      return;
    }
    var kind = canvas.dataset.chart;
    if (["line", "bar", "doughnut"].indexOf(kind) === -1) { return; }
    new window.Chart(canvas, config(kind, spec));
    canvas.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
  // charts inside content swapped in by htmx
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
