// Statistics chart: the chosen measure per bucket beside its norm band (chart.js).
(function () {
  "use strict";
  const source = document.getElementById("stats-report");
  if (!source) return;
  const report = JSON.parse(source.textContent);
  const measures = Object.fromEntries(report.measures.map((m) => [m.key, m]));
  const select = document.getElementById("chart-measure");
  const labels = report.rows.map((row) => row.bucket);
  let chart = null;

  function scale(measure, value) {
    if (value === null || value === undefined) return null;
    return measure.unit === "rate" ? value * 100 : value;
  }

  // 10 % above the highest bar or norm line, so the norm is never the chart's edge.
  function headroom(datasets) {
    const values = datasets.flatMap((d) => d.data).filter((v) => v !== null);
    return values.length ? Math.max(...values) * 1.1 : undefined;
  }

  function draw() {
    const measure = measures[select.value];
    const values = report.rows.map((row) => scale(measure, row[measure.key].value));
    const datasets = [{type: "bar", label: measure.label, data: values}];
    if (measure.low !== null) {
      datasets.push({type: "line", label: "norm low", data: labels.map(() => scale(measure, measure.low)),
        pointRadius: 0, borderDash: [6, 4]});
    }
    if (measure.high !== null) {
      datasets.push({type: "line", label: "norm high", data: labels.map(() => scale(measure, measure.high)),
        pointRadius: 0, borderDash: [2, 2]});
    }
    if (chart) chart.destroy();
    chart = new Chart(document.getElementById("stats-chart"), {
      data: {labels: labels, datasets: datasets},
      options: {animation: false, scales: {y: {beginAtZero: true,
        suggestedMax: headroom(datasets),
        title: {display: true, text: measure.unit === "rate" ? "%" : measure.unit}}}},
    });
  }

  select.addEventListener("change", draw);
  draw();
})();
