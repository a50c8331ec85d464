// After-call work: the wrap-up form (call reason and summary) beside the card.
// It opens when a call is answered (the agent may type while talking), counts
// down settings.wrapup_s (queues.conf wrapuptime) once the call ends, and shows
// the server's refusal of "ready" next to itself when the wrap-up is missing.
(function () {
  "use strict";
  const H = window.HOTLINE, f = H.format;
  const $ = (id) => document.getElementById(id);
  const panel = $("wrapup"), form = $("wrapup-form");
  const wrapupS = Number(panel.dataset.wrapupS || 0);
  let callid = null, endsAt = null, skew = 0;

  function open(id, householdId) {
    if (callid !== id) {
      form.reset();
      $("wrapup-result").textContent = "";
      $("wrapup-reason-error").textContent = ""; $("wrapup-summary-error").textContent = "";
      endsAt = null;
      $("wrapup-household").value = "";  // a hidden input keeps its value through reset()
    }
    callid = id;
    panel.dataset.callid = id;
    if (householdId) $("wrapup-household").value = householdId;
    panel.hidden = false;
  }

  function message(text, ok) {
    $("wrapup-result").textContent = text;
    $("wrapup-result").dataset.ok = ok ? "yes" : "no";
  }

  function householdOf(call) {
    const pop = (call && call.pop) || {};
    return (call && call.household_id) || (pop.household && pop.household.household.id) || "";
  }

  const socket = H.socket;
  socket.on("snapshot", (snap) => {
    skew = snap.server_time - Date.now() / 1000;
    const call = snap.call || snap.wrapup;
    // A call transferred here was wrapped up by its sender (one summary per call).
    if (call && !call.transferred) open(call.callid, householdOf(call));
    if (snap.wrapup && snap.wrapup.ended_at) endsAt = snap.wrapup.ended_at + wrapupS;
  });
  socket.on("call_answered", (call) => { if (!call.transferred) open(call.callid, householdOf(call)); });
  socket.on("call_ended", (call) => {
    open(call.callid, householdOf(call));
    endsAt = (call.ended_at || Date.now() / 1000 + skew) + wrapupS;
  });
  document.addEventListener("hotline:household", (event) => {
    const record = event.detail.record;
    if (record && record.household && event.detail.callid === callid) {
      $("wrapup-household").value = record.household.id;
    }
  });
  document.addEventListener("hotline:state-answer", (event) => {
    const answer = event.detail || {};
    if (!answer.wrapup_callid) return;
    open(answer.wrapup_callid, answer.wrapup_household_id);
    message(answer.console_message || answer.message, false);
    $("wrapup-reason").focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!callid) return;
    const response = await fetch("/api/calls/" + encodeURIComponent(callid) + "/wrapup", {
      method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
      headers: {"X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content}});
    const answer = await response.json().catch(() => ({ok: false, message: f.ui("detail_failed")}));
    const errors = answer.errors || {};
    $("wrapup-reason-error").textContent = (errors.reason || []).join(" ");
    $("wrapup-summary-error").textContent = (errors.summary || []).join(" ");
    message(answer.ok ? f.ui("wrapup_saved") : answer.message, answer.ok);
    panel.dataset.saved = answer.ok ? callid : "";
    // The refusal of "ready" in the call bar is answered now.
    if (answer.ok && $("state-result").dataset.ok === "no") $("state-result").textContent = "";
  });

  setInterval(() => {
    const left = endsAt === null ? null : endsAt - (Date.now() / 1000 + skew);
    $("wrapup-timer").textContent = left === null ? "" : f.duration(Math.max(0, left));
  }, 500);

  // A reload after the call: the last answered call still owes its wrap-up.
  fetch("/api/wrapup/pending", {credentials: "same-origin"}).then((r) => r.ok ? r.json() : {})
    .then((data) => { if (data.pending && !callid) open(data.pending.callid, data.pending.household_id); })
    .catch(() => {});
})();
