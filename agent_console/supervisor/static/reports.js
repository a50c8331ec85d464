// Report pages: the chosen chart (bars per group, the seed's norm as a dashed line),
// drawn with Chart.js from the page's JSON (agent_console/supervisor/report_charts.py).
(function () {
  "use strict";
  const source = document.getElementById("report-charts");
  if (!source) return;
  const charts = JSON.parse(source.textContent);
  const select = document.getElementById("report-chart-choice");
  const canvas = document.getElementById("report-chart");
  if (!charts.length || !select || !canvas) return;
  let drawn = null;

  function draw() {
    const chart = charts[Number(select.value) || 0];
    const datasets = chart.datasets.map((d) => ({type: "bar", label: d.label, data: d.data}));
    if (chart.norm !== null) {
      datasets.push({type: "line", label: chart.norm_label, pointRadius: 0, borderDash: [6, 4],
        data: chart.labels.map(() => chart.norm)});
    }
    if (drawn) drawn.destroy();
    drawn = new Chart(canvas, {
      data: {labels: chart.labels, datasets: datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {title: {display: true, text: chart.title}},
        scales: {y: {beginAtZero: true, title: {display: true, text: chart.unit}}}},
    });
    canvas.dataset.drawn = chart.key;
  }

  select.addEventListener("change", draw);
  draw();
})();
