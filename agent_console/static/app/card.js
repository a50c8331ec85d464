// The household card's on-demand parts: the fee detail (by kind, ledger lines,
// last payments) under the 费用 balance, and the call history (outcome, agent,
// duration, wrap-up, recording when allowed) in 来电. Fetched when console.js
// renders a household, so the screen-pop itself stays small.
(function () {
  "use strict";
  const H = window.HOTLINE, f = H.format;
  const $ = (id) => document.getElementById(id);
  let wanted = null;  // the household the latest request is for

  function table(cls, heads, rows, empty) {
    const t = f.el("table", undefined, "compact striped " + cls);
    const head = f.el("tr");
    heads.forEach(([text, num]) => head.append(f.el("th", text, num ? "num" : "")));
    t.append(f.el("thead")); t.tHead.append(head);
    const body = f.el("tbody");
    if (!rows.length) {
      const tr = f.el("tr"), td = f.el("td", empty, "empty");
      td.colSpan = heads.length; tr.append(td); body.append(tr);
    }
    rows.forEach((cells) => {
      const tr = f.el("tr");
      cells.forEach(([content, cls]) => {
        const td = f.el("td", undefined, cls || "");
        if (content instanceof Node) td.append(content); else td.textContent = content;
        tr.append(td);
      });
      body.append(tr);
    });
    t.append(body);
    const wrap = f.el("div", undefined, "table-wrap");
    wrap.append(t);
    return wrap;
  }

  function renderFeeDetail(fees) {
    const box = f.el("div", undefined, "fee-detail");
    box.id = "fee-detail";
    const L = f.L, ui = f.ui, m = f.money;
    box.append(f.el("h4", ui("fee_by_kind")), table("fee-kinds",
      [[ui("fee_kind")], [L("balance", "outstanding"), 1], [L("balance", "overdue"), 1], [L("balance", "late_fee"), 1]],
      fees.by_kind.map((k) => [[L("fee_kind", k.fee_kind)], [m(k.outstanding), "num"],
        [m(k.overdue), "num"], [m(k.late_fee), "num"]]), ui("nothing_billed")));
    box.append(f.el("h4", ui("ledger")), table("ledger",
      [[ui("period")], [ui("fee_kind")], [ui("due_by")], [ui("billed"), 1], [ui("still_owed"), 1], [L("balance", "late_fee"), 1]],
      fees.lines.map((line) => [[line.period_start + " – " + line.period_end, "nowrap"],
        [L("fee_kind", line.fee_kind)], [line.due_on, "nowrap"], [m(line.amount), "num"],
        [line.overdue ? f.badge(m(line.outstanding), "overdue-badge") : m(line.outstanding), "num"],
        [m(line.late_fee), "num"]]), ui("nothing_billed")));
    box.append(f.el("h4", ui("last_payments")), table("payments",
      [[ui("paid_on")], [ui("amount"), 1], [ui("receipt")], [ui("fee_kind")]],
      fees.payments.map((p) => [[p.paid_on, "nowrap"], [m(p.amount), "num"], [p.receipt_number, "mono"],
        [p.fee_kind ? L("fee_kind", p.fee_kind) : "—"]]), ui("no_payments")));
    const old = $("fee-detail");
    if (old) old.remove();
    $("panel-fees").append(box);
  }

  function recording(c) {
    if (!c.recording_url) return "—";
    const a = f.el("a", f.ui("listen"));
    a.href = c.recording_url; a.target = "_blank"; a.rel = "noopener";
    return a;
  }

  function reason(c) {
    const span = f.el("span", f.L("wrapup_reason", c.reason));
    if (c.linked_by_hand) span.append(" ", f.badge(f.ui("linked_by_hand"), "kind"));
    return span;
  }

  function renderCalls(calls) {
    const ui = f.ui;
    $("panel-calls").replaceChildren(table("call-history",
      [[ui("col_when")], [ui("col_outcome")], [ui("col_agent")], [ui("col_talk")],
        [ui("col_reason")], [ui("col_summary")], [ui("col_recording")]],
      calls.map((c) => [[f.localTime(c.entered_queue_at), "nowrap"], [f.L("call_outcome", c.outcome)],
        [c.agent || "—"], [f.duration(c.talk_s)], [reason(c)], [c.summary || "—", "clip"],
        [recording(c)]]), ui("no_calls")));
  }

  async function load(householdId, callid) {
    wanted = householdId;
    const params = new URLSearchParams(callid ? {callid: callid} : {});
    let response;
    try {
      response = await fetch("/api/households/" + householdId + "/detail?" + params, {credentials: "same-origin"});
    } catch (error) { response = null; }
    if (wanted !== householdId) return;  // another household came meanwhile
    if (!response || !response.ok) {
      $("panel-fees").append(f.el("p", f.ui("detail_failed"), "flash error"));
      return;
    }
    const detail = await response.json();
    renderFeeDetail(detail.fees);
    renderCalls(detail.calls);
    H.cardDetail = {householdId: householdId, at: Date.now()};
  }

  document.addEventListener("hotline:household", (event) => {
    const record = event.detail.record;
    const id = record && record.household && record.household.id;
    if (id) load(id, event.detail.callid); else wanted = null;
  });
})();
