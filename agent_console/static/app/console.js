// The agent's desk: call bar, household card (tabs), work-order panel, ringing,
// keyboard shortcuts. Every text from the server goes through textContent
// (nothing is parsed as HTML but our own server's form page, see loadOrderForm);
// every code is shown through the catalogue the server put in the page.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const config = JSON.parse(document.getElementById("hotline-config").textContent);
  const catalogue = JSON.parse(document.getElementById("hotline-catalogue").textContent);
  const $ = (id) => document.getElementById(id);
  window.HOTLINE = Object.assign(window.HOTLINE || {}, config);

  // ---- catalogue and formats -------------------------------------------
  function L(group, code) {
    if (code === null || code === undefined || code === "") return "—";
    const entries = catalogue[group] || {};
    const text = entries[String(code)];
    return text === undefined ? "—" : text;
  }
  const ui = (key) => (catalogue.ui || {})[key] || "";

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + String(s).padStart(2, "0");
  }
  const duration = (s) => (s === null || s === undefined || s === "" ? "—" : fmt(Number(s)));

  // Amounts arrive as decimal strings ("1234.50"): formatted as text, never as floats.
  function money(value) {
    if (value === null || value === undefined || value === "") return "—";
    let text = String(value).trim();
    const negative = text.startsWith("-");
    if (negative) text = text.slice(1);
    const [whole, fraction = ""] = text.split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "−" : "") + "¥" + grouped + "." + (fraction + "00").slice(0, 2);
  }
  const fen = (value) => (value === null || value === undefined ? "—"
    : money((value < 0 ? "-" : "") + Math.floor(Math.abs(value) / 100) + "."
      + String(Math.abs(value) % 100).padStart(2, "0")));

  const clock = new Intl.DateTimeFormat("en-CA", {timeZone: config.officeTimezone,
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23"});
  function localTime(iso) {
    if (!iso) return "—";
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;  // a date: no zone
    const parts = Object.fromEntries(clock.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function badge(text, cls) { return el("span", text, "badge " + cls); }
  // Shared with card.js and wrapup.js (loaded after this file).
  window.HOTLINE.format = {L: L, ui: ui, money: money, duration: duration, localTime: localTime,
    el: el, badge: badge};

  // ---- phase and state --------------------------------------------------
  let clockSkew = 0;            // server time minus browser time, seconds
  let phase = "idle", phaseSince = null, wrapupUntil = null, current = null;
  let stateSince = null, stateLabel = "unknown";
  const now = () => Date.now() / 1000 + clockSkew;

  function setPhase(name, since, call) {
    phase = name; phaseSince = since; current = call || null;
    const pill = $("call-phase");
    pill.dataset.phase = name;
    pill.textContent = L("agent_state", name);
    document.body.dataset.phase = name;
    if (name === "ringing") ring.start(call); else ring.stop();
    if (name === "idle") {
      $("pop").hidden = true; $("call-timer").textContent = "";
      $("pop-number").textContent = ""; $("pop-name").textContent = "";
    }
  }

  function showState(state) {
    if (!state) return;
    const label = $("state-label");
    stateLabel = state.label;
    label.dataset.state = state.label;
    label.textContent = L("agent_state", state.label);
    // A console pause reason is a code; one typed elsewhere (Asterisk CLI) is a person's text.
    const reason = state.reason || "";
    $("state-reason").textContent = (catalogue.pause_reason || {})[reason] || reason;
    stateSince = state.since;
  }

  // ---- household card ----------------------------------------------------
  function addRow(list, key, label, value) {
    if (value === null || value === undefined || value === "") return;
    const dt = el("dt", label);
    const dd = el("dd", value);
    dd.dataset.field = key;
    list.append(dt, dd);
  }

  function renderResidents(container, record) {
    container.replaceChildren();
    if (!record) { container.append(el("p", ui("choose_household"), "muted")); return; }
    const list = el("dl", undefined, "facts");
    const h = record.household || {};
    addRow(list, "rooms", ui("rooms"), (record.rooms || []).map((r) => r.code).join(", "));
    addRow(list, "household", ui("household_number"), h.number);
    addRow(list, "occupancy", ui("residence_status"), L("occupancy", h.occupancy));
    addRow(list, "floor_area", ui("floor_area"), h.floor_area);
    addRow(list, "renovation", ui("renovation"), L("renovation", h.renovation_status));
    if (h.move_in_on) addRow(list, "move_in_on", ui("move_in_on"), h.move_in_on);
    container.append(list);
    const people = el("ul", undefined, "people");
    for (const p of record.people || []) {
      const li = el("li");
      li.append(badge(L("person_role", p.role), "role-" + p.role), el("strong", " " + (p.name || "")));
      if (p.identity_number) li.append(el("span", " " + ui("identity") + " " + p.identity_number, "muted mono"));
      for (const phone of p.phones || []) {
        li.append(el("span", " ☎ " + phone.display, "mono"), el("small", " " + L("phone_kind", phone.kind), "muted"));
      }
      people.append(li);
    }
    container.append(el("h4", ui("people")), people);
  }

  const AMOUNTS = ["total_due", "outstanding", "overdue", "late_fee", "total_paid", "credit"];
  // In reading order (the catalogue arrives as JSON, whose keys are sorted).
  const BALANCE_ORDER = ["total_due", "outstanding", "overdue", "late_fee", "months_in_arrears",
    "arrears_days", "oldest_overdue_due_on", "dunning_stage", "formal_letter_due", "total_paid",
    "last_payment_on", "credit"];
  function renderFees(container, balance) {
    container.replaceChildren();
    if (!balance) { container.append(el("p", ui("none"), "muted")); return; }
    const list = el("dl", undefined, "facts money-facts");
    for (const key of BALANCE_ORDER) {
      if (!(key in balance)) continue;
      let value = balance[key];
      if (AMOUNTS.includes(key)) value = money(value);
      else if (key === "dunning_stage") value = L("dunning_stage", value);
      else if (key === "formal_letter_due") value = L("boolean", String(Boolean(value)));
      else if (key === "arrears_days") value = value + " " + ui("days");
      else if (value === null) value = "—";
      addRow(list, key, L("balance", key), value);
    }
    if (balance.as_of) container.append(el("p", ui("as_of") + " " + balance.as_of, "muted"));
    container.append(list);
  }

  function renderOrders(container, orders) {
    container.replaceChildren();
    if (!orders || !orders.length) { container.append(el("p", ui("no_open_orders"), "muted")); return; }
    const ul = el("ul", undefined, "order-list");
    for (const o of orders) {
      const li = el("li");
      const link = el("a", "#" + o.id);
      link.href = "/work-orders/" + encodeURIComponent(o.id);
      link.target = "_blank"; link.rel = "noopener";
      li.append(link, " ", badge(L("order_kind", o.kind), o.kind === "complaint" ? "tier-major" : "kind"),
        " ", el("span", L("category", o.category)), " ",
        badge(L("order_status", o.status), "status-" + o.status),
        el("span", " " + localTime(o.created_at), "muted"));
      if (o.department) li.append(el("span", " · " + L("department", o.department), "muted"));
      if (o.description) li.append(el("div", o.description, "clip"));
      ul.append(li);
    }
    container.append(ul);
  }

  function renderCalls(container, calls) {
    container.replaceChildren();
    if (!calls || !calls.length) { container.append(el("p", ui("no_calls"), "muted")); return; }
    const table = el("table", undefined, "compact striped");
    const head = el("tr");
    for (const key of ["when", "outcome", "agent", "talk", "wait"]) head.append(el("th", ui("col_" + key)));
    table.append(el("thead")); table.tHead.append(head);
    const body = el("tbody");
    for (const c of calls) {
      const tr = el("tr");
      tr.append(el("td", localTime(c.entered_queue_at), "nowrap"), el("td", L("call_outcome", c.outcome)),
        el("td", c.agent || "—"), el("td", duration(c.talk_s)), el("td", duration(c.wait_s)));
      body.append(tr);
    }
    table.append(body);
    container.append(table);
  }

  function renderIvr(container, ivr) {
    container.replaceChildren();
    if (!ivr) { container.append(el("p", ui("no_ivr"), "muted")); return; }
    const list = el("dl", undefined, "facts");
    addRow(list, "ivr_outcome", ui("ivr_outcome"), L("ivr_outcome", ivr.outcome));
    addRow(list, "identified_by", ui("identified"), L("identified_by", ivr.identified_by));
    addRow(list, "ivr_started", ui("col_when"), localTime(ivr.started_at));
    if (ivr.spoken_total_due_fen !== null && ivr.spoken_total_due_fen !== undefined) {
      addRow(list, "spoken_total", ui("spoken_total"), fen(ivr.spoken_total_due_fen));
      addRow(list, "spoken_late_fee", ui("spoken_late_fee"), fen(ivr.spoken_late_fee_fen));
      addRow(list, "spoken_months", ui("spoken_months"), ivr.spoken_months_in_arrears);
    }
    container.append(list);
    const steps = el("ol", undefined, "ivr-steps");
    for (const step of ivr.steps || []) {
      if (step.kind === "play" && String(step.prompt || "").startsWith("digits/")) continue;
      let text = L("ivr_step", step.kind);
      if (step.kind === "play") text += ": " + L("ivr_prompt", step.prompt);
      else if (step.kind === "say_number") text += ": " + step.value;
      else if (step.kind === "input") text += ": " + (step.timed_out ? ui("timed_out") : (step.digits || "—"));
      steps.append(el("li", text));
    }
    container.append(steps);
  }

  function renderHousehold(record) {
    renderResidents($("pop-household"), record);
    renderFees($("panel-fees"), record && record.balance);
    renderOrders($("panel-orders"), record && record.open_work_orders);
    renderCalls($("panel-calls"), record && record.last_calls);
    renderIvr($("panel-ivr"), record && record.ivr_session);
    const badges = $("pop-badges"); badges.replaceChildren();
    const b = (record && record.balance) || {};
    if (Number(b.overdue) > 0) badges.append(badge(L("balance", "overdue") + " " + money(b.overdue), "overdue-badge"));
    if (b.dunning_stage && b.dunning_stage !== "none") badges.append(badge(L("dunning_stage", b.dunning_stage), "dunning"));
    const complaints = ((record && record.open_work_orders) || []).filter((o) => o.kind === "complaint").length;
    if (complaints) badges.append(badge(L("order_kind", "complaint") + " × " + complaints, "tier-major"));
    // card.js fetches the fee detail and the call history on demand (the pop stays small).
    document.dispatchEvent(new CustomEvent("hotline:household", {detail: {record: record, callid: $("pop").dataset.callid}}));
  }

  // Tabs: click, arrow keys inside the list, Alt+1..5 anywhere.
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  function selectTab(tab) {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !on;
    }
  }
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      selectTab(next); next.focus(); event.preventDefault();
    });
  });

  function candidateLabel(c) {
    return [(c.rooms || []).join(", "), c.person_name, L("person_role", c.person_role)]
      .filter((x) => x && x !== "—").join(" · ") || "#" + c.household_id;
  }

  function showPop(call) {
    // A call transferred to this desk keeps the household its sender chose.
    const sent = transferred[call.callid];
    const pop = sent && sent.pop
      ? {household: sent.pop, identified_by: "transfer", number: (call.pop || {}).number}
      : call.pop || {};
    $("pop").hidden = false;
    $("pop").dataset.callid = call.callid;
    $("pop-number").textContent = (pop.number && pop.number.display) || call.caller_number || "";
    $("pop-name").textContent = call.caller_name || "";
    $("pop-identified").textContent = pop.household
      ? L("identified_by", pop.identified_by) : ui("no_household");
    renderHousehold(pop.household);
    const candidates = pop.candidates || [];
    const choice = $("pop-candidates");
    choice.hidden = !(candidates.length > 1 && !pop.household);
    const ul = choice.querySelector("ul"); ul.replaceChildren();
    for (const c of candidates) {
      const li = el("li");
      const button = el("button", candidateLabel(c), "small outline");
      button.type = "button";
      button.addEventListener("click", () => chooseHousehold(call.callid, c.household_id));
      li.append(button); ul.append(li);
    }
    $("pop-search").hidden = !(pop.unknown && !pop.household);
    orderLink(call.callid, call.household_id || (pop.household && pop.household.household.id));
  }

  // A call transferred to this agent: the household the sender chose, with the
  // note (call_controls.js shows it); the order panel links the same call.
  const transferred = {};  // callid -> what its sender sent (household, note)
  document.addEventListener("hotline:transfer-pop", (event) => {
    const context = event.detail || {};
    if (!context.callid) return;
    transferred[context.callid] = context;
    const onScreen = current && current.callid === context.callid;
    showPop(onScreen ? current : {callid: context.callid, household_id: context.household_id,
                                  caller_number: context.caller_number || "", caller_name: ""});
    $("pop").dataset.transferredFrom = context.from_user || "";
  });

  // ---- work-order panel --------------------------------------------------
  let orderFor = null;  // {callid, householdId} the panel's form was loaded for
  function orderUrl(callid, householdId) {
    const params = new URLSearchParams();
    if (callid) params.set("callid", callid);
    if (householdId) params.set("household_id", householdId);
    const query = params.toString();
    return config.newOrderUrl + (query ? "?" + query : "");
  }

  function orderLink(callid, householdId) {
    $("new-order-link").href = orderUrl(callid, householdId);
    const form = $("wo-work-order-form");
    const typing = form && form.querySelector("#wo-description") && form.querySelector("#wo-description").value;
    if (orderFor && orderFor.callid === callid && typing) {
      // The agent is writing: only the household link changes under their hands.
      const hidden = form.querySelector("#wo-household_id");
      if (hidden && householdId) hidden.value = householdId;
      orderFor.householdId = householdId;
      return;
    }
    if (!orderFor || orderFor.callid !== callid || orderFor.householdId !== householdId) {
      loadOrderForm(callid, householdId);
    }
  }

  // Our own form page, fetched and parsed: its form moves into the panel with
  // ids prefixed, so the full page (#new-order-link) keeps its own ids.
  function adoptForm(html, status) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const form = doc.getElementById("work-order-form");
    const body = $("order-panel-body");
    body.replaceChildren();
    if (!form) { body.append(el("p", ui("order_form_failed"), "flash error")); return null; }
    for (const error of doc.querySelectorAll("main .flash.error")) body.append(document.adoptNode(error));
    for (const node of form.querySelectorAll("[id]")) node.id = "wo-" + node.id;
    for (const node of form.querySelectorAll("label[for]")) node.htmlFor = "wo-" + node.htmlFor;
    form.id = "wo-work-order-form";
    body.append(document.adoptNode(form));
    form.addEventListener("submit", submitOrder);
    body.dataset.status = String(status);
    return form;
  }

  async function loadOrderForm(callid, householdId) {
    orderFor = {callid: callid, householdId: householdId};
    const response = await fetch(orderUrl(callid, householdId), {credentials: "same-origin"});
    if (orderFor.callid !== callid) return;  // a newer call came meanwhile
    if (!response.ok) {
      $("order-panel-body").replaceChildren(el("p", ui("order_form_failed"), "flash error"));
      return;
    }
    adoptForm(await response.text(), response.status);
  }

  async function submitOrder(event) {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const response = await fetch(form.action, {method: "POST", body: new FormData(form),
      credentials: "same-origin"});
    const result = $("order-panel-result");
    result.replaceChildren();
    const saved = response.ok && /\/work-orders\/\d+$/.test(new URL(response.url).pathname);
    if (!saved) { adoptForm(await response.text(), response.status); return; }
    const id = new URL(response.url).pathname.split("/").pop();
    const link = el("a", "#" + id);
    link.href = response.url; link.target = "_blank"; link.rel = "noopener";
    result.append(el("span", ui("order_saved") + " "), link);
    result.dataset.order = id;
    const call = orderFor || {};
    orderFor = null;
    loadOrderForm(call.callid, call.householdId);  // a fresh form (new token) for a second order
  }

  // F3: the panel's first field (the form loads first if the panel has none yet).
  async function focusOrderForm() {
    if (!$("wo-work-order-form")) await loadOrderForm(current && current.callid, current && current.household_id);
    const first = document.querySelector("#wo-work-order-form select, #wo-work-order-form textarea");
    if (first) first.focus();
  }

  // ---- server calls ------------------------------------------------------
  async function post(url, data) {
    const body = new URLSearchParams(data);
    try {
      const response = await fetch(url, {method: "POST", body: body,
        headers: {"X-CSRFToken": csrf}, credentials: "same-origin"});
      return await response.json().catch(() => ({ok: false, message: ""}));
    } catch (error) {
      return {ok: false, message: "", unreachable: true};
    }
  }

  // Asterisk's or the bridge's English answer never reaches the screen as it is.
  function answerText(answer) {
    if (answer.unreachable) return catalogue.generic.unreachable;
    if (answer.console_message) return answer.console_message;  // the console's own, translated
    return (catalogue.asterisk || {})[String(answer.message || "").trim()]
      || catalogue.generic[answer.ok ? "ok" : "failed"];
  }

  async function chooseHousehold(callid, householdId) {
    await post("/api/calls/" + encodeURIComponent(callid) + "/household", {household_id: householdId});
    const response = await fetch("/api/households/" + householdId + "/pop?callid=" + encodeURIComponent(callid));
    if (response.ok) renderHousehold(await response.json());
    if (current && current.callid === callid) current.household_id = householdId;
    orderLink(callid, householdId);
  }

  $("search-button").addEventListener("click", async () => {
    const callid = $("pop").dataset.callid;
    const q = $("search-text").value;
    const response = await fetch("/api/households/search?" + new URLSearchParams({q: q, callid: callid}));
    const ul = $("search-results"); ul.replaceChildren();
    if (!response.ok) return;
    for (const r of (await response.json()).results || []) {
      const li = el("li");
      const button = el("button", [(r.rooms || []).join(", "), r.owner].filter(Boolean).join(" · ")
        || "#" + r.household_id, "small outline");
      button.type = "button";
      button.addEventListener("click", () => chooseHousehold(callid, r.household_id));
      li.append(button); ul.append(li);
    }
  });
  $("search-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); $("search-button").click(); }
  });

  async function stateAction(action) {
    const data = {csrf_token: csrf, action: action};
    if (action === "pause") data.reason = $("pause-reason").value;
    const answer = await post($("state-form").action, data);
    document.dispatchEvent(new CustomEvent("hotline:state-answer", {detail: answer}));
    $("state-result").textContent = answerText(answer);
    $("state-result").dataset.ok = answer.ok ? "yes" : "no";
  }
  document.querySelectorAll("#state-form button[data-action]").forEach((button) => {
    button.addEventListener("click", () => { ring.unlock(); stateAction(button.dataset.action); });
  });

  // ---- ringing: sound, notification, flashing title ----------------------
  const ring = (function () {
    const title = document.title;
    let audio = null, flasher = null, notice = null;
    function unlock() {
      // The first click on the page allows sound and asks for notifications.
      if (!audio && config.ringUrl) { audio = new Audio(config.ringUrl); audio.loop = true; }
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission().catch(() => {});
      }
    }
    function start(call) {
      if (!audio && config.ringUrl) { audio = new Audio(config.ringUrl); audio.loop = true; }
      if (audio) { audio.currentTime = 0; audio.play().catch(() => {}); }
      const who = (call && call.caller_number) || "";
      let on = false;
      clearInterval(flasher);
      flasher = setInterval(() => {
        on = !on;
        document.title = on ? ui("ringing_title") + " " + who : title;
      }, 700);
      document.title = ui("ringing_title") + " " + who;
      if (document.hidden && "Notification" in window && Notification.permission === "granted") {
        notice = new Notification(ui("new_call"), {body: who, tag: "hotline-ring", requireInteraction: true});
        notice.onclick = () => { window.focus(); notice.close(); };
      }
      window.HOTLINE.ringing = true;
    }
    function stop() {
      if (audio) audio.pause();
      clearInterval(flasher); flasher = null;
      document.title = title;
      if (notice) { notice.close(); notice = null; }
      window.HOTLINE.ringing = false;
    }
    return {start: start, stop: stop, unlock: unlock};
  })();
  document.addEventListener("click", ring.unlock, {once: true});

  // ---- keyboard ----------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.altKey && /^[1-5]$/.test(event.key)) {
      selectTab(tabs[Number(event.key) - 1]); tabs[Number(event.key) - 1].focus();
      event.preventDefault(); return;
    }
    if (event.key === "F2") {
      event.preventDefault();
      stateAction(stateLabel === "ready" ? "pause" : "ready");
    } else if (event.key === "F3") {
      event.preventDefault();
      focusOrderForm();
    } else if (event.key === "F4") {
      event.preventDefault();
      if (!$("pop-search").hidden && !$("pop").hidden) $("search-text").focus();
      else if (config.searchUrl) window.open(config.searchUrl, "hotline-search");
    }
  });

  // ---- socket ------------------------------------------------------------
  function applySnapshot(snap) {
    clockSkew = snap.server_time - Date.now() / 1000;
    showState(snap.state);
    if (snap.call) { showPop(snap.call); setPhase("talking", snap.call.answered_at, snap.call); }
    else if (snap.ringing) { showPop(snap.ringing); setPhase("ringing", snap.ringing.ringing_at, snap.ringing); }
    else if (snap.wrapup) {
      showPop(snap.wrapup); setPhase("wrapup", snap.wrapup.ended_at, snap.wrapup);
      wrapupUntil = snap.wrapup.wrapup_until;
    } else setPhase("idle", null, null);
    tick();  // the timers show at once, not half a second later
  }

  const socket = io("/agent", {transports: ["websocket"]});
  window.HOTLINE.socket = socket;
  window.HOTLINE.received = [];
  function record(name, data) {
    window.HOTLINE.received.push({event: name, at: Date.now() / 1000, data: data});
  }
  socket.on("snapshot", (snap) => { record("snapshot", snap); applySnapshot(snap); });
  socket.on("screen_pop", (call) => {
    record("screen_pop", call); showPop(call); setPhase("ringing", call.ringing_at, call); tick();
  });
  socket.on("ring_ended", (data) => {
    record("ring_ended", data);
    if (current && current.callid === data.callid && phase === "ringing") setPhase("idle");
  });
  socket.on("call_answered", (call) => { record("call_answered", call); showPop(call); setPhase("talking", call.answered_at, call); });
  socket.on("call_ended", (call) => {
    record("call_ended", call); setPhase("wrapup", call.ended_at, call); wrapupUntil = call.wrapup_until;
  });
  socket.on("transfer_ended", (data) => {
    record("transfer_ended", data);
    if (current && current.callid === data.callid && phase === "talking") setPhase("idle");
  });
  socket.on("wrapup_ended", (data) => {
    record("wrapup_ended", data);
    if (phase === "wrapup" && current && current.callid === data.callid) setPhase("idle");
  });
  socket.on("agent_state", (state) => { record("agent_state", state); showState(state); });

  function tick() {
    if (stateSince) $("state-timer").textContent = fmt(now() - stateSince);
    if (phase === "talking" || phase === "ringing") $("call-timer").textContent = fmt(now() - phaseSince);
    if (phase === "wrapup") {
      const left = wrapupUntil - now();
      $("call-timer").textContent = fmt(left);
      if (left <= 0) setPhase("idle");
    }
  }
  setInterval(tick, 500);
})();
