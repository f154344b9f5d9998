/* Dashboard behaviour: draws the charts from <script type="application/json"> data (json_script).
   No inline scripts: everything lives in this file. (The language picker has a button rather than
   submitting on change, so choosing with the keyboard does not navigate away mid-choice.) */
(function () {
  "use strict";

  var PALETTE = ["#1f4e79", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b",
                 "#2c3e50", "#e84393"];

  function numberFormat(compact) {
    var lang = document.documentElement.lang || "en";
    try {
      return new Intl.NumberFormat(lang, compact ? { notation: "compact", maximumFractionDigits: 1 } : {});
    } catch (e) {
      return new Intl.NumberFormat("en");
    }
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var opts = spec.options || {};
    var line = spec.type === "line";
    var datasets = spec.datasets.map(function (d, i) {
      /* "colour" (set by the view) keeps one nation in one colour across the charts of a page. */
      /* A dashed reference line (a guideline, 100 %) is grey unless it belongs to one nation (its colour). */
      var color = d.dashed && typeof d.colour !== "number" ? "#555555"
        : PALETTE[(typeof d.colour === "number" ? d.colour : i) % PALETTE.length];
      /* "colours" (one per bar) colours the bars of a single series differently; "type" mixes a bar
         series into a line chart (e.g. contracted inflows under the projected stock). */
      var fillColour = d.dashed ? "transparent" : color;
      if (Array.isArray(d.colours)) {
        fillColour = d.colours.map(function (c) { return PALETTE[c % PALETTE.length]; });
      } else if (d.type === "bar" && line) {
        fillColour = color + "55";
      }
      var isLine = (d.type || spec.type) === "line";
      return {
        type: d.type || undefined, label: d.label, data: d.data, borderColor: Array.isArray(d.colours) ? fillColour : color,
        backgroundColor: fillColour, borderDash: d.dashed ? [6, 4] : [], borderWidth: isLine ? 2 : 1,
        pointRadius: isLine ? (d.dashed ? 0 : 2) : undefined, order: d.type === "bar" ? 2 : 1,
        pointHitRadius: 6, spanGaps: true, fill: false, tension: 0
      };
    });
    var compact = numberFormat(true);
    var full = numberFormat(false);
    var valueAxis = opts.indexAxis === "y" ? "x" : "y";
    var scales = {};
    scales[valueAxis] = {
      /* yLog (set by the view when one series would flatten the others): a logarithmic axis, said in its title. */
      type: opts.yLog ? "logarithmic" : "linear",
      beginAtZero: !opts.yLog,
      title: { display: !!opts.yTitle, text: (opts.yTitle || "") + (opts.yLog ? " (log)" : "") },
      ticks: { callback: function (v) { return compact.format(v); } }
    };
    /* allLabels: every category is labelled (a donor chart must name every donor, not every other one). */
    scales[valueAxis === "y" ? "x" : "y"] = { ticks: { autoSkip: !opts.allLabels } };
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: opts.indexAxis || "x",
        interaction: { mode: "nearest", intersect: false },
        plugins: {
          legend: { display: opts.legend !== false, position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed[valueAxis];
            return ctx.dataset.label + ": " + (v === null ? "—" : full.format(v));
          } } }
        },
        scales: scales
      }
    });
    canvas.setAttribute("data-drawn", "true");
    return chart;
  }

  function init(root) {
    root.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
