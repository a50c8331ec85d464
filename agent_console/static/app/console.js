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

  function renderFields(container, record) {
    container.replaceChildren();
    const list = document.createElement("dl");
    for (const [key, value] of Object.entries(record || {})) {
      if (value === null || typeof value === "object") continue;
      const dt = document.createElement("dt"); dt.textContent = key;
      const dd = document.createElement("dd"); dd.textContent = String(value);
      dd.dataset.field = key;
      list.append(dt, dd);
    }
    container.append(list);
  }

  function householdOf(pop) {
    if (pop.household) return pop.household;
    const c = pop.candidates || [];
    return c.length === 1 ? c[0] : null;
  }

  function showPop(call) {
    const pop = call.pop || {};
    $("pop").hidden = false;
    $("pop").dataset.callid = call.callid;
    $("pop-number").textContent = call.caller_number || "";
    $("pop-name").textContent = call.caller_name || "";
    const household = householdOf(pop);
    renderFields($("pop-household"), household);
    const candidates = pop.candidates || [];
    const choice = $("pop-candidates");
    choice.hidden = !(candidates.length > 1);
    const ul = choice.querySelector("ul"); ul.replaceChildren();
    for (const c of candidates) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = c.label || c.room || c.owner_name || String(c.household_id);
      button.addEventListener("click", () => chooseHousehold(call.callid, c.household_id || c.id));
      li.append(button); ul.append(li);
    }
    $("pop-search").hidden = !(pop.unknown || candidates.length === 0);
    orderLink(call.callid, call.household_id);
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
    if (response.ok) renderFields($("pop-household"), await response.json());
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
      button.textContent = r.label || r.room || r.owner_name || String(r.household_id);
      button.addEventListener("click", () => chooseHousehold(callid, r.household_id || r.id));
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
