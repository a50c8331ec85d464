// The agent's screen: pops, call and wrap-up timers, state buttons.
// Every text from the server goes through textContent: nothing is parsed as HTML.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const i18n = document.getElementById("i18n").dataset;
  const $ = (id) => document.getElementById(id);
  let clockSkew = 0;            // server time minus browser time, seconds
  let phase = "idle", phaseSince = null, wrapupUntil = null, current = null;
  let stateSince = null;
  const now = () => Date.now() / 1000 + clockSkew;

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + String(s).padStart(2, "0");
  }

  function setPhase(name, since, call) {
    phase = name; phaseSince = since; current = call || null;
    const el = $("call-phase");
    el.dataset.phase = name;
    el.textContent = i18n[name] || name;
    if (name === "idle") { $("pop").hidden = true; $("call-timer").textContent = ""; }
  }

  function addRow(list, key, value) {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt"); dt.textContent = i18n["f_" + key] || key;
    const dd = document.createElement("dd"); dd.textContent = String(value);
    dd.dataset.field = key;
    list.append(dt, dd);
  }

  // A build_screen_pop record (households): rooms, people, fee balance, history.
  function renderHousehold(container, record) {
    container.replaceChildren();
    if (!record) return;
    const list = document.createElement("dl");
    const h = record.household || {};
    addRow(list, "rooms", (record.rooms || []).map((r) => r.code).join(", "));
    addRow(list, "household", h.number);
    addRow(list, "occupancy", h.occupancy);
    addRow(list, "floor_area", h.floor_area);
    addRow(list, "renovation", h.renovation_status);
    for (const p of record.people || []) {
      const phones = (p.phones || []).map((x) => x.display).join(" ");
      addRow(list, p.role, [p.name, p.identity_number, phones].filter(Boolean).join(" · "));
    }
    const b = record.balance || {};
    for (const [key, value] of Object.entries(b)) {
      if (typeof value !== "object" && key !== "household_id" && key !== "as_of") {
        addRow(list, key, value);
      }
    }
    addRow(list, "open_work_orders", (record.open_work_orders || []).map(
      (o) => "#" + o.id + " " + o.kind + " " + o.status).join("; "));
    addRow(list, "last_calls", (record.last_calls || []).length);
    container.append(list);
  }

  function candidateLabel(c) {
    return [(c.rooms || []).join(", "), c.person_name, c.person_role].filter(Boolean).join(" · ")
      || String(c.household_id);
  }

  function showPop(call) {
    const pop = call.pop || {};
    $("pop").hidden = false;
    $("pop").dataset.callid = call.callid;
    $("pop-number").textContent = (pop.number && pop.number.display) || call.caller_number || "";
    $("pop-name").textContent = call.caller_name || "";
    renderHousehold($("pop-household"), pop.household);
    const candidates = pop.candidates || [];
    const choice = $("pop-candidates");
    choice.hidden = !(candidates.length > 1 && !pop.household);
    const ul = choice.querySelector("ul"); ul.replaceChildren();
    for (const c of candidates) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = candidateLabel(c);
      button.addEventListener("click", () => chooseHousehold(call.callid, c.household_id));
      li.append(button); ul.append(li);
    }
    $("pop-search").hidden = !(pop.unknown && !pop.household);
    orderLink(call.callid, call.household_id || (pop.household && pop.household.household.id));
  }

  function orderLink(callid, householdId) {
    const params = new URLSearchParams({callid: callid});
    if (householdId) params.set("household_id", householdId);
    $("new-order-link").href = window.HOTLINE.newOrderUrl + "?" + params.toString();
  }

  async function post(url, data) {
    const body = new URLSearchParams(data);
    const response = await fetch(url, {method: "POST", body: body,
      headers: {"X-CSRFToken": csrf}, credentials: "same-origin"});
    return response.json().catch(() => ({ok: false, message: response.statusText}));
  }

  async function chooseHousehold(callid, householdId) {
    await post("/api/calls/" + encodeURIComponent(callid) + "/household", {household_id: householdId});
    const response = await fetch("/api/households/" + householdId + "/pop?callid=" + encodeURIComponent(callid));
    if (response.ok) renderHousehold($("pop-household"), await response.json());
    orderLink(callid, householdId);
  }

  $("search-button").addEventListener("click", async () => {
    const callid = $("pop").dataset.callid;
    const q = $("search-text").value;
    const response = await fetch("/api/households/search?" + new URLSearchParams({q: q, callid: callid}));
    const ul = $("search-results"); ul.replaceChildren();
    if (!response.ok) return;
    for (const r of (await response.json()).results || []) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = [(r.rooms || []).join(", "), r.owner].filter(Boolean).join(" · ")
        || String(r.household_id);
      button.addEventListener("click", () => chooseHousehold(callid, r.household_id));
      li.append(button); ul.append(li);
    }
  });

  function showState(state) {
    if (!state) return;
    const label = $("state-label");
    label.dataset.state = state.label;
    label.textContent = i18n[state.label] || state.label;
    $("state-reason").textContent = state.reason || "";
    stateSince = state.since;
  }

  document.querySelectorAll("#state-form button[data-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      const data = {csrf_token: csrf, action: button.dataset.action};
      if (button.dataset.action === "pause") data.reason = $("pause-reason").value;
      const answer = await post($("state-form").action, data);
      $("state-result").textContent = answer.message || (answer.ok ? "ok" : "failed");
      $("state-result").dataset.ok = answer.ok ? "yes" : "no";
    });
  });

  function applySnapshot(snap) {
    clockSkew = snap.server_time - Date.now() / 1000;
    showState(snap.state);
    if (snap.call) { showPop(snap.call); setPhase("talking", snap.call.answered_at, snap.call); }
    else if (snap.ringing) { showPop(snap.ringing); setPhase("ringing", snap.ringing.ringing_at, snap.ringing); }
    else if (snap.wrapup) {
      showPop(snap.wrapup); setPhase("wrapup", snap.wrapup.ended_at, snap.wrapup);
      wrapupUntil = snap.wrapup.wrapup_until;
    } else setPhase("idle", null, null);
  }

  const socket = io("/agent", {transports: ["websocket"]});
  window.HOTLINE.socket = socket;
  window.HOTLINE.received = [];
  function record(name, data) {
    window.HOTLINE.received.push({event: name, at: Date.now() / 1000, data: data});
  }
  socket.on("snapshot", (snap) => { record("snapshot", snap); applySnapshot(snap); });
  socket.on("screen_pop", (call) => { record("screen_pop", call); showPop(call); setPhase("ringing", call.ringing_at, call); });
  socket.on("ring_ended", (data) => {
    record("ring_ended", data);
    if (current && current.callid === data.callid && phase === "ringing") setPhase("idle");
  });
  socket.on("call_answered", (call) => { record("call_answered", call); showPop(call); setPhase("talking", call.answered_at, call); });
  socket.on("call_ended", (call) => {
    record("call_ended", call); setPhase("wrapup", call.ended_at, call); wrapupUntil = call.wrapup_until;
  });
  socket.on("wrapup_ended", (data) => {
    record("wrapup_ended", data);
    if (phase === "wrapup" && current && current.callid === data.callid) setPhase("idle");
  });
  socket.on("agent_state", (state) => { record("agent_state", state); showState(state); });

  setInterval(() => {
    if (stateSince) $("state-timer").textContent = fmt(now() - stateSince);
    if (phase === "talking" || phase === "ringing") $("call-timer").textContent = fmt(now() - phaseSince);
    if (phase === "wrapup") {
      const left = wrapupUntil - now();
      $("call-timer").textContent = fmt(left);
      if (left <= 0) setPhase("idle");
    }
  }, 500);
})();
