// Statistics: every measure's card gets a small chart of its value per bucket with its
// norm as dashed lines (chart.js); the figures are in the group's table below.
(function () {
  "use strict";
  const source = document.getElementById("stats-report");
  if (!source) return;
  const report = JSON.parse(source.textContent);
  const words = window.HOTLINE_STATS_LABELS || {};
  const measures = Object.fromEntries(report.measures.map((m) => [m.key, m]));
  const byBucket = Object.fromEntries(report.rows.map((row) => [row.bucket, row]));
  const buckets = allBuckets(source.dataset.firstDay, source.dataset.endDay, report.by);
  // A half hour's label 'YYYY-MM-DD HH:MM' shows its time (its day too over several days).
  const oneDay = buckets.length <= 48;
  const labels = buckets.map((b) => (b.length > 10 ? (oneDay ? b.slice(11) : b.slice(5)) : b.slice(5)));

  // Every half hour or day of the period, so an empty one is a gap on the axis, not
  // missing; weeks and months are the buckets that have rows. Dates are office dates
  // ('YYYY-MM-DD'), stepped in UTC so that no browser zone shifts them.
  function allBuckets(firstDay, endDay, by) {
    if (!firstDay || !endDay || (by !== "halfhour" && by !== "day")) return report.rows.map((r) => r.bucket);
    const out = [];
    for (let d = new Date(firstDay + "T00:00:00Z"); d < new Date(endDay + "T00:00:00Z") && out.length < 3000;
      d.setUTCDate(d.getUTCDate() + 1)) {
      const day = d.toISOString().slice(0, 10);
      if (by === "day") { out.push(day); continue; }
      for (let m = 0; m < 1440; m += 30) {
        out.push(day + " " + String(Math.floor(m / 60)).padStart(2, "0") + ":" + String(m % 60).padStart(2, "0"));
      }
    }
    return out;
  }

  function scale(measure, value) {
    if (value === null || value === undefined) return null;
    return measure.unit === "rate" ? value * 100 : value;
  }

  function normLine(measure, bound, label, dash) {
    return {type: "line", label: label, data: labels.map(() => scale(measure, bound)),
      pointRadius: 0, borderWidth: 1.5, borderColor: "#cc0000", borderDash: dash};
  }

  function colour(measure, value) {
    if (value === null || measure.low === null && measure.high === null) return "#6fa8dc";
    const low = measure.low === null ? -Infinity : scale(measure, measure.low);
    const high = measure.high === null ? Infinity : scale(measure, measure.high);
    return value >= low && value <= high ? "#6aa84f" : "#e06666";
  }

  function draw(canvas) {
    const measure = measures[canvas.dataset.measure];
    if (!measure) return;
    const values = buckets.map((b) => (byBucket[b] ? scale(measure, byBucket[b][measure.key].value) : null));
    const perAgentNorm = measure.key === "qa_scored";
    const datasets = [{type: "bar", label: measure.label, data: values,
      backgroundColor: values.map((v) => (perAgentNorm ? "#6fa8dc" : colour(measure, v)))}];
    if (!perAgentNorm && measure.low !== null) datasets.push(normLine(measure, measure.low, words["norm low"], [6, 4]));
    if (!perAgentNorm && measure.high !== null) datasets.push(normLine(measure, measure.high, words["norm high"], [2, 2]));
    const all = datasets.flatMap((d) => d.data).filter((v) => v !== null);
    new Chart(canvas, {
      data: {labels: labels, datasets: datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}},
        scales: {x: {ticks: {maxRotation: 0, autoSkip: true, maxTicksLimit: 6, font: {size: 10}}},
          y: {beginAtZero: true, suggestedMax: all.length ? Math.max(...all) * 1.1 : 1,
            ticks: {maxTicksLimit: 4, font: {size: 10}}}}},
    });
  }

  document.querySelectorAll(".stat-chart canvas").forEach(draw);
})();
