// The import page: refuse a file over the size cap before it is sent (the
// server refuses it too), and follow a running import until it ends.
(function () {
  "use strict";
  const input = document.getElementById("sheet");
  const error = document.getElementById("sheet-error");
  const form = document.getElementById("upload-form");
  if (form && input && error) {
    form.addEventListener("submit", function (event) {
      const file = input.files && input.files[0];
      if (file && file.size > Number(input.dataset.maxBytes)) {
        event.preventDefault();
        error.textContent = input.dataset.tooBig;
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
      }
    });
  }

  const run = document.getElementById("run-form");
  if (run) {
    // One import per upload: a second click would only be refused.
    run.addEventListener("submit", function () {
      document.getElementById("run-button").disabled = true;
    });
  }

  const job = document.getElementById("import-job");
  if (!job) { return; }
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const count = document.getElementById("import-count");
  const result = document.getElementById("import-result");

  async function poll() {
    let data;
    try {
      const response = await fetch(job.dataset.statusUrl, {credentials: "same-origin",
        headers: {"Accept": "application/json"}});
      data = await response.json();
    } catch (_error) {
      window.setTimeout(poll, 1000);  // the console restarting: keep asking
      return;
    }
    bar.max = Math.max(data.total, 1);
    bar.value = data.state === "done" ? bar.max : data.done;
    bar.dataset.seen += (bar.dataset.seen ? "," : "") + data.done;
    status.textContent = data.status || data.error || "";
    count.textContent = data.count || "";
    job.dataset.state = data.state || "failed";
    if (data.state === "done" || data.state === "failed" || !data.state) {
      result.replaceChildren(...(data.lines || []).map(function (line) {
        const item = document.createElement("li");
        item.textContent = line;
        return item;
      }));
      result.hidden = false;
      document.getElementById("import-next").hidden = false;
      return;
    }
    window.setTimeout(poll, 250);
  }
  poll();
})();
