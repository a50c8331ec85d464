// Live wallboard: the board arrives as a whole on connect and on every change
// (event "board"); wait and state times tick locally between pushes.
(function () {
  "use strict";
  const root = document.getElementById("wallboard");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const labels = window.HOTLINE_LABELS || {};
  const t = (text) => labels[text] || text;  // the page's language, rendered by Flask-Babel
  // Codes (states, spy modes, queues) through the console's catalogue (agent_console/labels.py).
  const catalogue = JSON.parse(document.getElementById("hotline-catalogue").textContent);
  const L = (group, code) => (catalogue[group] || {})[code] || (group === "queue" ? code : "—");
  const reason = (text) => (catalogue.pause_reason || {})[text] || text;  // else a person's words
  let board = null;
  let receivedAt = 0;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function elapsed() { return board ? Math.floor((Date.now() - receivedAt) / 1000) : 0; }

  function pct(value) { return value === null ? "—" : Math.round(value * 100) + " %"; }

  function renderQueues() {
    const holder = document.getElementById("queues");
    holder.replaceChildren();
    for (const queue of board.queues) {
      const longest = queue.callers_waiting ? queue.longest_wait_s + elapsed() : 0;
      const table = el("table", undefined, "queue");
      table.dataset.queue = queue.name;
      table.append(el("caption", L("queue", queue.name)));
      const cells = [[t("Waiting"), queue.callers_waiting, "callers_waiting"],
        [t("Longest wait"), longest + " s", "longest_wait_s"],
        [t("Offered"), queue.offered, "offered"], [t("Answered"), queue.answered, "answered"],
        [t("Abandoned"), queue.abandoned, "abandoned"],
        [t("Service level"), pct(queue.service_level), "service_level"]];
      for (let i = 0; i < cells.length; i += 2) {
        const tr = el("tr");
        for (const [label, value, cls] of cells.slice(i, i + 2)) {
          tr.append(el("th", label), el("td", String(value), cls));
        }
        table.append(tr);
      }
      holder.append(table);
    }
    const callers = document.querySelector("#callers tbody");
    callers.replaceChildren();
    for (const queue of board.queues) {
      for (const caller of queue.waiting) {
        const tr = el("tr");
        tr.append(el("td", L("queue", queue.name)), el("td", String(caller.position)),
          el("td", (caller.caller_name ? caller.caller_name + " " : "") + caller.caller_number),
          el("td", (caller.wait_s + elapsed()) + " s"));
        callers.append(tr);
      }
    }
  }

  function spy(agent, mode) {
    fetch(root.dataset.spyUrl, {method: "POST", headers: {"Content-Type": "application/json",
      "X-CSRFToken": csrf}, body: JSON.stringify({interface: agent.interface, mode: mode})})
      .then((response) => response.json())
      .then((answer) => { document.getElementById("spy-result").textContent =
        (answer.ok ? L("spy_mode", mode) + ": " + agent.name
          : (catalogue.asterisk || {})[answer.message] || catalogue.generic.failed); });
  }

  function renderAgents() {
    const body = document.querySelector("#agents tbody");
    body.replaceChildren();
    for (const agent of board.agents) {
      const tr = el("tr");
      tr.dataset.interface = agent.interface;
      const actions = el("td");
      if (agent.channel && (agent.state === "talking" || agent.state === "on_hold")) {
        for (const mode of ["listen", "whisper", "barge"]) {
          const button = el("button", L("spy_mode", mode));
          button.type = "button";
          button.addEventListener("click", () => spy(agent, mode));
          actions.append(button);
        }
      }
      tr.append(el("td", agent.name + " (" + agent.interface + ")"),
        el("td", L("agent_state", agent.state) + (agent.paused_reason ? " (" + reason(agent.paused_reason) + ")" : ""), "state"),
        el("td", (agent.time_in_state_s + elapsed()) + " s", "time"),
        el("td", (agent.caller_name ? agent.caller_name + " " : "") + agent.caller_number, "caller"),
        el("td", String((window.HOTLINE_QA || {})[agent.interface] || 0), "qa"), actions);
      body.append(tr);
    }
  }

  function render() {
    if (!board) return;
    const status = document.getElementById("board-status");
    status.textContent = board.current ? t("Live") : t("Not current") + ": " + board.note;
    status.className = board.current ? "current" : "stale";
    renderQueues();
    renderAgents();
  }

  const socket = io("/wallboard", {transports: ["websocket", "polling"]});
  socket.on("board", (payload) => { board = payload; receivedAt = Date.now(); render(); });
  socket.on("disconnect", () => {
    const status = document.getElementById("board-status");
    status.textContent = t("Not current") + ": " + t("connection lost");
    status.className = "stale";
  });
  setInterval(render, 1000);
})();
