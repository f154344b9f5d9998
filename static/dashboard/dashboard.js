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

  /* marker: {index, label}: a vertical line at that label (the date a trend is drawn to: "Today", an
     as-of date), with its text at the top; the past is left of it, the projection right of it. */
  function markerPlugin(marker) {
    return {
      id: "marker",
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x.getPixelForValue(marker.index);
        var area = chart.chartArea;
        if (x < area.left || x > area.right) { return; }
        var ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = "#333333";
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 3]);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#333333";
        ctx.font = "12px sans-serif";
        var width = ctx.measureText(marker.label).width;
        /* the text on the side with room (right of the line unless it would leave the chart) */
        var left = x + 4 + width <= area.right ? x + 4 : x - 4 - width;
        /* on a white ground, in the band the value axis leaves free above the lines ("grace") */
        ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
        ctx.fillRect(left - 2, area.top + 1, width + 4, 15);
        ctx.fillStyle = "#333333";
        ctx.fillText(marker.label, left, area.top + 12);
        ctx.restore();
      }
    };
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
        pointHitRadius: 6, spanGaps: true, fill: false, tension: 0,
        /* "legend": false keeps a dataset out of the legend (a line's projection, drawn in its colour);
           "notes" (one per point) adds a text to the tooltip (e.g. the quantity behind a share). */
        inLegend: d.legend !== false, notes: Array.isArray(d.notes) ? d.notes : null
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
      grace: opts.marker ? "12%" : 0,  /* a trend: room above the lines for the marker's text */
      title: { display: !!opts.yTitle, text: (opts.yTitle || "") + (opts.yLog ? " (log)" : "") },
      ticks: { callback: function (v) { return compact.format(v); } }
    };
    /* allLabels: every category is labelled (a donor chart must name every donor, not every other one). */
    scales[valueAxis === "y" ? "x" : "y"] = {
      ticks: opts.marker ? { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 } : { autoSkip: !opts.allLabels },
      title: { display: !!opts.xTitle, text: opts.xTitle || "" }
    };
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: opts.indexAxis || "x",
        interaction: { mode: "nearest", intersect: false },
        plugins: {
          legend: { display: opts.legend !== false, position: "bottom", labels: {
            boxWidth: 12, filter: function (item, data) { return data.datasets[item.datasetIndex].inLegend !== false; }
          } },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed[valueAxis];
            var note = ctx.dataset.notes ? ctx.dataset.notes[ctx.dataIndex] : "";
            return ctx.dataset.label + ": " + (v === null ? "—" : full.format(v)) + (note ? " (" + note + ")" : "");
          } } }
        },
        scales: scales
      },
      plugins: opts.marker ? [markerPlugin(opts.marker)] : []
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
  /* The whole document: an outerHTML swap (the trend panel) replaces the event's target itself. */
  document.addEventListener("htmx:afterSwap", function () { init(document); });
})();
