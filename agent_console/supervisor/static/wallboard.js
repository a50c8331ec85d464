// Live wallboard: the board arrives as a whole on connect and on every change
// (event "board"), each figure with its level against the norms (call_queue/norms.py);
// wait and state times tick locally between pushes, and so does the longest wait's
// level, with the thresholds the board carries. A figure that crosses into "missed"
// adds a line to the alert list and plays the alert sound, once per crossing.
(function () {
  "use strict";
  const root = document.getElementById("wallboard");
  // The office's clock, whatever the zone of the browser showing the board.
  const officeTime = new Intl.DateTimeFormat("en-GB", {timeZone: root.dataset.officeTimezone,
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const labels = window.HOTLINE_LABELS || {};
  const t = (text) => labels[text] || text;  // the page's language, rendered by Flask-Babel
  // Codes (states, spy modes, queues) through the console's catalogue (agent_console/labels.py).
  const catalogue = JSON.parse(document.getElementById("hotline-catalogue").textContent);
  const L = (group, code) => (catalogue[group] || {})[code] || (group === "queue" ? code : "—");
  const reason = (text) => (catalogue.pause_reason || {})[text] || text;  // else a person's words
  const MAX_ALERTS = 30;
  let board = JSON.parse(document.getElementById("wallboard-initial").textContent);
  let receivedAt = Date.now();
  let active = null;  // breach keys seen at the last render (null: none rendered yet)
  let soundOn = localStorage.getItem("hotline.wallboard.sound") !== "off";
  let chart = null;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_m, name) => String(values[name]));
  }

  function elapsed() { return board ? Math.floor((Date.now() - receivedAt) / 1000) : 0; }

  function pct(value, digits) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(digits || 0) + " %";
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function norms() { return (board.norms || {}).norms || {}; }

  function waitLevel(seconds) {
    const n = norms();
    if (seconds >= n.longest_wait_s) return "missed";
    return seconds >= n.wait_warn_s ? "warn" : "ok";
  }

  function abandonment(queue) { return queue.offered ? queue.abandoned / queue.offered : null; }

  function longestWait(queue) { return queue.callers_waiting ? queue.longest_wait_s + elapsed() : 0; }

  // ---- figures
  function figure(label, value, level, norm, measure) {
    const box = el("div", undefined, "figure level-" + (level || "plain"));
    box.dataset.measure = measure;
    box.append(el("span", value, "value"), el("span", label, "label"));
    if (norm) box.append(el("span", t("norm") + " " + norm, "norm"));
    return box;
  }

  function renderQueues() {
    const holder = document.getElementById("queues");
    holder.replaceChildren();
    const levels = (board.norms || {}).queues || {};
    const n = norms();
    for (const queue of board.queues) {
      const level = levels[queue.name] || {};
      const wait = longestWait(queue);
      const box = el("section", undefined, "queue");
      box.dataset.queue = queue.name;
      box.append(el("h2", L("queue", queue.name)));
      const figures = el("div", undefined, "figures");
      figures.append(
        figure(t("Waiting"), String(queue.callers_waiting), null, "", "callers_waiting"),
        figure(t("Longest wait"), duration(wait), waitLevel(wait), "< " + duration(n.longest_wait_s), "longest_wait"),
        figure(t("Service level"), pct(queue.service_level), level.service_level, "≥ " + n.service_level_pct + " %", "service_level"),
        figure(t("Abandonment"), pct(abandonment(queue), 1), level.abandonment, "≤ " + n.abandon_pct + " %", "abandonment"),
        figure(t("Offered"), String(queue.offered), null, "", "offered"),
        figure(t("Answered"), String(queue.answered), null, "", "answered"),
        figure(t("Abandoned"), String(queue.abandoned), null, "", "abandoned"));
      box.append(figures);
      holder.append(box);
    }
    const agentsLevel = ((board.norms || {}).agents || {}).agents_ready;
    const ready = board.agents.filter((agent) => agent.state === "idle").length;
    const staff = el("section", undefined, "queue agents-figure");
    staff.append(el("h2", t("Agents")));
    const figures = el("div", undefined, "figures");
    figures.append(figure(t("Agents ready"), ready + " / " + board.agents.length, agentsLevel,
      "≥ " + n.agents_ready, "agents_ready"));
    staff.append(figures);
    holder.append(staff);
    document.getElementById("unattended").hidden = board.agents.length > 0;
  }

  function renderCallers() {
    const callers = document.querySelector("#callers tbody");
    callers.replaceChildren();
    for (const queue of board.queues) {
      for (const caller of queue.waiting) {
        const wait = caller.wait_s + elapsed();
        const tr = el("tr", undefined, "level-" + waitLevel(wait));
        tr.append(el("td", L("queue", queue.name)), el("td", String(caller.position)),
          el("td", (caller.caller_name ? caller.caller_name + " " : "") + caller.caller_number),
          el("td", duration(wait), "wait"));
        callers.append(tr);
      }
    }
  }

  // ---- one line per Asterisk host (call_queue/host_boards.py), only with several
  function renderHosts() {
    const hosts = board.hosts || [];
    const section = document.getElementById("hosts-section");
    section.hidden = hosts.length < 2;
    const body = document.querySelector("#hosts tbody");
    body.replaceChildren();
    if (section.hidden) return;
    for (const host of hosts) {
      const tr = el("tr", undefined, host.up ? "host-up" : "host-down");
      tr.dataset.host = host.host;
      const name = (catalogue.asterisk_host || {})[host.host] || host.host;
      const status = !host.up ? t("host down") : host.current ? t("host up") : t("host not current");
      tr.append(el("td", name, "host-name"), el("td", status, "host-status"));
      if (!host.up) {
        // Its last figures are not true any more: none are shown (dashes), never stale ones.
        for (let i = 0; i < 8; i++) tr.append(el("td", "—", "num"));
      } else {
        const wait = host.callers_waiting ? host.longest_wait_s + elapsed() : 0;
        tr.append(el("td", String(host.callers_waiting), "num"),
          el("td", duration(wait), "num level-" + (host.callers_waiting ? waitLevel(wait) : "plain")),
          el("td", String(host.agents_free), "num"), el("td", String(host.agents_busy), "num"),
          el("td", String(host.agents_away), "num"), el("td", String(host.answered), "num"),
          el("td", String(host.abandoned), "num"), el("td", pct(host.service_level), "num"));
      }
      body.append(tr);
    }
  }

  // ---- agents
  function spy(agent, mode) {
    fetch(root.dataset.spyUrl, {method: "POST", headers: {"Content-Type": "application/json",
      "X-CSRFToken": csrf}, body: JSON.stringify({interface: agent.interface, mode: mode})})
      .then((response) => response.json())
      .then((answer) => { document.getElementById("spy-result").textContent =
        (answer.ok ? L("spy_mode", mode) + ": " + agent.name
          : (catalogue.asterisk || {})[answer.message] || catalogue.generic.failed); });
  }

  function extension(interface_) { return interface_.replace(/^[A-Za-z]+\//, "").replace(/@.*$/, ""); }

  function renderAgents() {
    const body = document.querySelector("#agents tbody");
    body.replaceChildren();
    for (const agent of board.agents) {
      const tr = el("tr", undefined, "state-" + agent.state);
      tr.dataset.interface = agent.interface;
      const actions = el("td", undefined, "wb-actions");
      if (agent.channel && (agent.state === "talking" || agent.state === "on_hold")) {
        for (const mode of ["listen", "whisper", "barge"]) {
          const button = el("button", L("spy_mode", mode), "small spy-" + mode);
          button.type = "button";
          button.addEventListener("click", () => spy(agent, mode));
          actions.append(button);
        }
      }
      const who = el("td");
      who.append(el("span", agent.name + " "), el("span", extension(agent.interface), "muted"));
      tr.append(who,
        el("td", L("agent_state", agent.state) + (agent.paused_reason ? " (" + reason(agent.paused_reason) + ")" : ""), "state"),
        el("td", duration(agent.time_in_state_s + elapsed()), "time"),
        // The live count includes the call under way; the stored one survives a rebuild.
        el("td", String(Math.max(agent.calls_today || 0, (window.HOTLINE_CALLS_TODAY || {})[agent.interface] || 0)), "calls-today"),
        el("td", (agent.caller_name ? agent.caller_name + " " : "") + agent.caller_number, "caller"),
        el("td", String((window.HOTLINE_QA || {})[agent.interface] || 0), "qa"), actions);
      body.append(tr);
    }
  }

  // ---- alerts: one line (and the sound) each time a figure crosses into "missed"
  function breaches() {
    const found = new Map();
    for (const breach of (board.norms || {}).breaches || []) {
      if (breach.measure !== "longest_wait") found.set(breach.key, breach);
    }
    for (const queue of board.queues) {
      const wait = longestWait(queue);
      if (waitLevel(wait) === "missed") {
        found.set("longest_wait:" + queue.name, {measure: "longest_wait", queue: queue.name,
          value: wait, norm: norms().longest_wait_s});
      }
    }
    return found;
  }

  function alertText(breach) {
    const shown = {queue: L("queue", breach.queue), value: breach.value, norm: breach.norm};
    if (breach.measure === "longest_wait") {
      shown.value = duration(breach.value); shown.norm = duration(breach.norm);
    } else if (breach.measure === "service_level" || breach.measure === "abandonment") {
      shown.value = pct(breach.value, 1); shown.norm = pct(breach.norm, 0);
    }
    return format(t("alert " + breach.measure), shown);
  }

  function raise(key, breach) {
    const list = document.getElementById("norm-alerts");
    const line = el("li", undefined, "level-missed");
    line.dataset.key = key;
    line.dataset.measure = breach.measure;
    line.append(el("time", officeTime.format(new Date())),
      el("span", alertText(breach)));
    list.prepend(line);
    while (list.children.length > MAX_ALERTS) list.lastElementChild.remove();
    document.getElementById("no-alerts").hidden = true;
    if (soundOn) {
      const audio = document.getElementById("alert-audio");
      audio.currentTime = 0;
      audio.play().catch(() => {});  // a page nobody has touched yet may not play sound
    }
  }

  function checkAlerts() {
    const now = breaches();
    for (const [key, breach] of now) {
      if (!active || !active.has(key)) raise(key, breach);
    }
    for (const line of document.querySelectorAll("#norm-alerts li")) {
      line.classList.toggle("cleared", !now.has(line.dataset.key));
    }
    active = new Set(now.keys());
  }

  function render() {
    if (!board) return;
    const status = document.getElementById("board-status");
    status.textContent = board.current ? t("Live") : t("Not current") + ": " + t(board.note);
    status.className = board.current ? "current" : "stale";
    document.getElementById("wb-clock").textContent = officeTime.format(new Date());
    renderQueues();
    renderHosts();
    renderCallers();
    renderAgents();
    checkAlerts();
  }

  // ---- the rota's night cover (who is on night duty now, or who comes on tonight)
  function showNightCover(covers) {
    const box = document.getElementById("night-cover");
    if (!box) return;
    const list = document.getElementById("night-cover-list");
    list.replaceChildren(...covers.map((cover) => {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = cover.name;
      item.append(name, cover.phone ? " · " + box.dataset.ext + " " + cover.phone : "",
        " · " + cover.starts + "–" + cover.ends);
      return item;
    }));
    document.getElementById("night-cover-title").textContent =
      covers.length && !covers[0].now ? box.dataset.next : box.dataset.now;
    let empty = document.getElementById("night-cover-empty");
    if (!covers.length && !empty) {
      empty = document.createElement("p");
      empty.id = "night-cover-empty";
      empty.className = "muted";
      empty.textContent = box.dataset.empty;
      box.append(empty);
    } else if (covers.length && empty) {
      empty.remove();
    }
  }

  // ---- the intraday chart
  function drawChart(data) {
    const [from, to] = shownRange(data.slots);
    const slots = data.slots.slice(from, to + 1);
    const options = {
      type: "bar",
      data: {labels: slots.map((slot) => slot.start), datasets: [
        {label: t("Offered"), data: slots.map((s) => s.offered), backgroundColor: "#9fc5e8"},
        {label: t("Answered"), data: slots.map((s) => s.answered), backgroundColor: "#6aa84f"},
        {label: t("Abandoned"), data: slots.map((s) => s.abandoned), backgroundColor: "#e06666"},
        {label: t("Service level"), type: "line", yAxisID: "rate", borderColor: "#1c4587",
         data: slots.map((s) => s.service_level === null ? null : s.service_level * 100)},
        {label: t("Service level norm"), type: "line", yAxisID: "rate", borderColor: "#cc0000",
         borderDash: [6, 4], pointRadius: 0, data: slots.map(() => data.service_level_norm * 100)}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        scales: {y: {beginAtZero: true, ticks: {precision: 0}},
                 rate: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false},
                        ticks: {callback: (value) => value + " %"}}}},
    };
    if (chart) chart.destroy();
    chart = new Chart(document.getElementById("intraday-chart"), options);
  }

  function shownRange(slots) {
    // The office day 08:00-20:00, widened to any half hour with calls outside it.
    const busy = slots.map((slot, index) => slot.offered ? index : -1).filter((i) => i >= 0);
    return [Math.min(16, ...busy), Math.max(39, ...busy)];
  }

  function loadChart() {
    fetch(root.dataset.intradayUrl, {headers: {"Accept": "application/json"}})
      .then((response) => response.ok ? response.json() : null)
      .then((data) => {
        if (data && Array.isArray(data.night_cover)) showNightCover(data.night_cover);
        if (data && data.calls_today) window.HOTLINE_CALLS_TODAY = data.calls_today;
        if (data && typeof data.lost_open === "number") {
          document.getElementById("lost-open").textContent = String(data.lost_open);
        }
        if (data && window.Chart) drawChart(data);
      })
      .catch(() => {});
  }

  // ---- wall display and sound
  function setWall(on) {
    document.body.classList.toggle("wall", on);
    // The chart's text grows with the wall display, readable from across the room.
    if (window.Chart) {
      Chart.defaults.font.size = on ? Math.max(14, Math.round(window.innerWidth / 110)) : 12;
      if (chart) chart.update();
    }
    document.getElementById("wall-toggle").textContent = t(on ? "Leave wall display" : "Wall display");
    if (chart) chart.resize();
  }

  document.getElementById("wall-toggle").addEventListener("click", () => {
    const on = !document.body.classList.contains("wall");
    setWall(on);
    if (on && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
  });
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && document.body.classList.contains("wall")) setWall(false);
  });

  function showSound() {
    const button = document.getElementById("sound-toggle");
    button.textContent = t(soundOn ? "Alert sound on" : "Alert sound off");
    button.setAttribute("aria-pressed", String(soundOn));
  }
  document.getElementById("sound-toggle").addEventListener("click", () => {
    soundOn = !soundOn;
    localStorage.setItem("hotline.wallboard.sound", soundOn ? "on" : "off");
    showSound();
  });

  showSound();
  setWall(document.body.classList.contains("wall"));
  render();
  loadChart();
  const socket = io("/wallboard", {transports: ["websocket", "polling"]});
  socket.on("board", (payload) => { board = payload; receivedAt = Date.now(); render(); });
  socket.on("disconnect", () => {
    const status = document.getElementById("board-status");
    status.textContent = t("Not current") + ": " + t("connection lost");
    status.className = "stale";
  });
  setInterval(render, 1000);
  setInterval(loadChart, 60 * 1000);
})();
