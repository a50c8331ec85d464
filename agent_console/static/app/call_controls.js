// Call controls in the call bar: hang up, hold/retrieve (F6), transfer (F7) with a note,
// DTMF. The server checks the call is on this agent's phone (agent_console/call_control.py);
// this script only enables what makes sense in the call's phase and shows the answer.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const bar = $("call-actions");
  if (!bar) return;
  const state = {callid: null, channel: null, phase: "idle", householdId: null};
  const token = () => (document.querySelector('input[name="csrf_token"]') || {}).value || "";

  function enable() {
    bar.querySelectorAll("button[data-control]").forEach((button) => {
      const phases = (button.dataset.phases || "").split(" ");
      button.disabled = !state.callid || !phases.includes(state.phase);
    });
    const hold = bar.querySelector('[data-control="hold"]');
    if (hold) hold.hidden = state.phase === "held";
    const retrieve = bar.querySelector('[data-control="retrieve"]');
    if (retrieve) retrieve.hidden = state.phase !== "held";
  }

  function onCall(call) {
    if (!call || !call.callid) return;
    state.callid = call.callid;
    state.channel = call.agent_channel || null;
    state.phase = "talking";
    if (call.household_id) state.householdId = call.household_id;
    enable();
  }

  // The call pill says "on hold" while the caller hears music; its phase stays
  // "talking" (the call's phase, which the live projection drives).
  function showHeld() {
    const pill = $("call-phase"), format = (window.HOTLINE || {}).format;
    if (!pill || !format || pill.dataset.phase !== "talking") return;
    const held = state.phase === "held" || state.phase === "consulting";
    pill.dataset.held = held ? "1" : "";
    pill.textContent = format.L("agent_state", held ? "on_hold" : "talking");
  }

  function ended() {
    Object.assign(state, {callid: null, channel: null, phase: "idle", householdId: null});
    enable();
    const dialog = $("transfer-dialog");
    if (dialog && dialog.open) dialog.close();
  }

  async function send(action, extra) {
    if (!state.callid) return null;
    const form = new FormData();
    form.append("csrf_token", token());
    form.append("action", action);
    if (state.channel) form.append("channel", state.channel);
    Object.entries(extra || {}).forEach(([key, value]) => {
      (Array.isArray(value) ? value : [value]).forEach((item) => form.append(key, item));
    });
    let answer;
    try {
      const response = await fetch(`/api/calls/${encodeURIComponent(state.callid)}/control`,
                                   {method: "POST", body: form, credentials: "same-origin"});
      answer = await response.json();
    } catch (error) {
      answer = {ok: false, message: bar.dataset.unreachable};
    }
    const result = $("state-result");
    if (result) { result.textContent = answer.message || ""; result.dataset.ok = answer.ok ? "1" : "0"; }
    return answer;
  }

  const next = {hold: "held", retrieve: "talking", consult: "consulting", cancel: "talking"};
  async function control(action, extra) {
    if (["blind_transfer"].includes(action) && state.phase === "held") {
      const back = await send("retrieve");  // a held caller is taken back before moving on
      if (!back || !back.ok) return back;
    }
    const answer = await send(action, extra);
    if (answer && answer.ok) {
      if (next[action]) state.phase = next[action];
      if (["hangup", "blind_transfer", "complete"].includes(action)) ended();
      enable();
      showHeld();
    }
    return answer;
  }

  bar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-control]");
    if (!button || button.disabled) return;
    const action = button.dataset.control;
    if (action === "transfer") openTransfer();
    else if (action === "dtmf") {
      const digits = $("dtmf-digits");
      if (digits && digits.value) control("dtmf", {digits: digits.value}).then(() => { digits.value = ""; });
    } else control(action);
  });

  async function openTransfer() {
    const dialog = $("transfer-dialog");
    if (!dialog || !state.callid) return;
    const list = $("transfer-target");
    try {
      const response = await fetch("/api/transfer-targets", {credentials: "same-origin"});
      const targets = (await response.json()).targets || [];
      list.replaceChildren(...targets.map((target) => {
        const option = document.createElement("option");
        option.value = target.exten;
        option.textContent = target.label;
        return option;
      }));
    } catch (error) { list.replaceChildren(); }
    dialog.showModal();
    list.focus();
  }

  function transferFields() {
    const other = ($("transfer-number").value || "").trim();
    const fields = {exten: other || $("transfer-target").value, note: $("transfer-note").value};
    if (state.householdId) fields.household_id = String(state.householdId);
    return fields;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("#transfer-dialog button[data-transfer]");
    if (!button) return;
    const kind = button.dataset.transfer;
    if (kind === "close") { $("transfer-dialog").close(); return; }
    const answer = await control(kind, kind === "blind_transfer" || kind === "consult" ? transferFields() : {});
    const status = $("transfer-result");
    if (status && answer) status.textContent = answer.message || "";
    if (answer && answer.ok && kind !== "consult") $("transfer-dialog").close();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "F6") {
      event.preventDefault();
      if (state.phase === "held") control("retrieve");
      else if (state.phase === "talking") control("hold");
    } else if (event.key === "F7") {
      event.preventDefault();
      if (["talking", "held"].includes(state.phase)) openTransfer();
    }
  });

  document.addEventListener("hotline:household", (event) => {
    const record = (event.detail || {}).record || {};
    const id = record.household_id || (record.household || {}).id || record.id;
    if (id) state.householdId = id;
  });

  function transferredPop(data) {
    if (!data || !data.callid) return;
    fetch(`/api/transfers/${encodeURIComponent(data.callid)}`, {credentials: "same-origin"})
      .then((response) => response.json())
      .then((context) => {
        if (!context.ok) return;
        const note = $("transfer-note-received");
        if (note) {
          note.hidden = false;
          note.querySelector("[data-from]").textContent = context.from_user || "";
          note.querySelector("[data-note]").textContent = context.note || "";
        }
        document.dispatchEvent(new CustomEvent("hotline:transfer-pop", {detail: context}));
      });
  }

  const socket = (window.HOTLINE || {}).socket;
  if (socket) {
    socket.on("snapshot", (snap) => { if (snap && snap.call) onCall(snap.call); else ended(); });
    socket.on("call_answered", onCall);
    socket.on("call_ended", ended);
    socket.on("transfer_ended", ended);
    socket.on("transfer_pop", transferredPop);
  }
  enable();
  window.HOTLINE = Object.assign(window.HOTLINE || {}, {callControl: {state: state, control: control}});
})();
