// The desk's WebRTC softphone (issue 17): JsSIP registers the agent's own endpoint
// (webrtc-80NN) over wss when the desk opens and unregisters at sign-out. Hold,
// transfer, DTMF and hang-up stay the call bar's buttons (through the server, the
// same for a desk phone); this adds what only a phone in the page can do: ring,
// answer, mute, and the audio's quality from getStats().
// Losing the phone (microphone refused, no audio device, WebSocket lost) is said
// in the bar and reported to the server, which pauses the agent with that reason;
// JsSIP reconnects with back-off and the pause is lifted once registered again.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const box = $("softphone");
  if (!box) return;
  const cfg = JSON.parse($("softphone-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const phone = {ua: null, session: null, status: "connecting", reported: null, muted: false,
                 events: [], stats: [], last: null, timer: null, callid: null};
  window.HOTLINE = Object.assign(window.HOTLINE || {}, {softphone: phone});
  const note = (name) => phone.events.push({event: name, at: Date.now()});

  function show(status, message) {
    phone.status = status;
    box.dataset.status = status;
    const pill = $("softphone-status");
    pill.dataset.status = status;
    pill.textContent = cfg.text[status] || status;
    $("softphone-message").textContent = message || "";
    buttons();
  }

  function buttons() {
    const session = phone.session;
    const ringing = !!session && session.direction === "incoming" && !session.isEstablished()
      && !session.isEnded();
    $("softphone-answer").disabled = !ringing;
    $("softphone-answer").hidden = !ringing;
    const live = !!session && session.isEstablished() && !session.isEnded();
    const mute = $("softphone-mute");
    mute.disabled = !live;
    mute.setAttribute("aria-pressed", phone.muted ? "true" : "false");
    mute.textContent = phone.muted ? cfg.text.unmute : cfg.text.mute;
  }

  async function report(status, reason) {
    const body = new URLSearchParams({status: status, reason: reason || ""});
    try {
      await fetch(cfg.stateUrl, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"X-CSRFToken": csrf}});
    } catch (error) { /* the console is unreachable too: Asterisk's contact is gone anyway */ }
  }

  function lost(reason, message) {
    show(reason === "no_microphone" ? "no_microphone" : "offline", message);
    if (phone.reported !== reason) {
      phone.reported = reason;
      note("reported_" + reason);
      report("offline", reason);
    }
  }

  async function microphoneProblem() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return "mic_no_device";
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: false});
      stream.getTracks().forEach((track) => track.stop());
      return null;
    } catch (error) {
      const refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      return refused ? "mic_refused" : "mic_no_device";
    }
  }

  // The lab keeps media on loopback (../shared/webrtc-lab.md): chromium gathers its
  // host candidates on the machine's own address; each becomes 127.0.0.1 (its
  // sockets answer there too), and any that is not IPv4 is dropped.
  function loopbackOnly(sdp) {
    const seen = new Set();
    return sdp.split("\r\n").map((line) => {
      if (line.startsWith("c=IN IP4 ")) return "c=IN IP4 127.0.0.1";
      if (!line.startsWith("a=candidate:")) return line;
      const parts = line.split(" ");
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(parts[4] || "")) return null;
      parts[4] = "127.0.0.1";
      const key = parts[1] + " " + parts[5];
      if (seen.has(key)) return null;
      seen.add(key);
      return parts.join(" ");
    }).filter((line) => line !== null).join("\r\n");
  }

  async function start() {
    const problem = await microphoneProblem();
    if (problem) {
      lost("no_microphone", cfg.text[problem]);
      // A headset plugged in later: try again.
      navigator.mediaDevices && navigator.mediaDevices.addEventListener("devicechange", start,
                                                                       {once: true});
      return;
    }
    let account;
    try {
      const response = await fetch(cfg.accountUrl, {credentials: "same-origin", cache: "no-store"});
      account = await response.json();
    } catch (error) {
      lost("softphone_offline", cfg.text.register_failed);
      setTimeout(start, 10000);
      return;
    }
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(account.wss_url)], uri: account.uri,
      password: account.password, display_name: account.display_name, register: true,
      register_expires: 300, session_timers: false, user_agent: "Hotline softphone",
      connection_recovery_min_interval: cfg.recoveryMinS, connection_recovery_max_interval: cfg.recoveryMaxS,
    });
    phone.ua = ua;
    ua.on("connected", () => note("connected"));
    ua.on("disconnected", () => { note("disconnected"); lost("softphone_offline", cfg.text.ws_lost); });
    ua.on("registered", () => {
      note("registered");
      show("registered");
      if (phone.reported) { phone.reported = null; report("online"); }
    });
    ua.on("registrationFailed", () => { note("registration_failed"); lost("softphone_offline", cfg.text.register_failed); });
    ua.on("newRTCSession", (event) => { if (event.originator === "remote") incoming(event.session); });
    ua.start();
  }

  function incoming(session) {
    if (phone.session && !phone.session.isEnded()) {
      session.terminate({status_code: 486});  // one call at a time (ringinuse=no anyway)
      return;
    }
    phone.session = session;
    phone.muted = false;
    note("ringing");
    show("ringing");
    session.on("sdp", (event) => {
      if (event.originator === "local" && cfg.loopbackOnly) event.sdp = loopbackOnly(event.sdp);
      phone.sdp = Object.assign(phone.sdp || {}, {[event.originator]: event.sdp});
    });
    session.on("peerconnection", (event) => {
      event.peerconnection.addEventListener("track", (track) => {
        $("softphone-audio").srcObject = track.streams[0];
      });
    });
    session.on("confirmed", () => { note("confirmed"); show("in_call"); startStats(); });
    session.on("hold", () => note("hold"));
    session.on("unhold", () => note("unhold"));
    const over = () => {
      note("ended");
      stopStats();
      phone.session = null;
      show(phone.ua && phone.ua.isRegistered() ? "registered" : "offline");
    };
    session.on("ended", over);
    session.on("failed", over);
  }

  function answer() {
    if (!phone.session) return;
    note("answer_clicked");
    phone.session.answer({mediaConstraints: {audio: true, video: false},
                          pcConfig: {iceServers: []}});
  }

  function toggleMute() {
    if (!phone.session) return;
    if (phone.muted) phone.session.unmute({audio: true}); else phone.session.mute({audio: true});
    phone.muted = !phone.muted;
    buttons();
  }

  // ---- audio quality ----------------------------------------------------
  async function sample() {
    const session = phone.session;
    const pc = session && session.connection;
    if (!pc) return;
    const callid = ((window.HOTLINE || {}).callControl || {}).state;
    if (callid && callid.callid) phone.callid = callid.callid;
    const figures = {at: Date.now(), packetsReceived: 0, packetsLost: 0, packetsSent: 0,
                     jitterMs: null, rttMs: null, codec: null};
    const report = await pc.getStats();
    report.forEach((stat) => {
      if (stat.type === "inbound-rtp" && stat.kind === "audio") {
        figures.packetsReceived = stat.packetsReceived || 0;
        figures.packetsLost = Math.max(0, stat.packetsLost || 0);
        figures.jitterMs = (stat.jitter || 0) * 1000;
        const codec = stat.codecId && report.get(stat.codecId);
        if (codec) figures.codec = codec.mimeType;
      } else if (stat.type === "outbound-rtp" && stat.kind === "audio") {
        figures.packetsSent = stat.packetsSent || 0;
      } else if (stat.type === "remote-inbound-rtp" && stat.roundTripTime !== undefined) {
        figures.rttMs = stat.roundTripTime * 1000;
      } else if (stat.type === "candidate-pair" && stat.nominated && figures.rttMs === null
                 && stat.currentRoundTripTime !== undefined) {
        figures.rttMs = stat.currentRoundTripTime * 1000;
      }
    });
    phone.stats.push(figures);
    phone.last = figures;
    const total = figures.packetsReceived + figures.packetsLost;
    const loss = total ? (100 * figures.packetsLost / total) : 0;
    $("softphone-quality").textContent = cfg.text.quality
      .replace("{jitter}", figures.jitterMs === null ? "—" : figures.jitterMs.toFixed(1))
      .replace("{loss}", loss.toFixed(1))
      .replace("{rtt}", figures.rttMs === null ? "—" : figures.rttMs.toFixed(0));
  }

  function startStats() {
    phone.stats = [];
    phone.callid = null;
    stopStats();
    phone.timer = setInterval(sample, cfg.statsEveryMs);
    setTimeout(sample, 1000);
  }

  function stopStats() {
    if (phone.timer) { clearInterval(phone.timer); phone.timer = null; }
    if (phone.stats.length && phone.callid) sendQuality(phone.callid, phone.stats.slice());
    phone.stats = [];
    $("softphone-quality").textContent = "";
  }

  function sendQuality(callid, samples) {
    if (!cfg.qualityUrl) return;
    const last = samples[samples.length - 1];
    const jitters = samples.map((s) => s.jitterMs).filter((v) => v !== null);
    const rtts = samples.map((s) => s.rttMs).filter((v) => v !== null);
    const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
    const body = new URLSearchParams({
      callid: callid, samples: String(samples.length),
      packets_received: String(last.packetsReceived), packets_lost: String(last.packetsLost),
      packets_sent: String(last.packetsSent), codec: last.codec || "",
      jitter_ms_mean: jitters.length ? mean(jitters).toFixed(2) : "",
      jitter_ms_max: jitters.length ? Math.max(...jitters).toFixed(2) : "",
      rtt_ms_mean: rtts.length ? mean(rtts).toFixed(2) : "",
    });
    fetch(cfg.qualityUrl, {method: "POST", body: body, credentials: "same-origin",
                           headers: {"X-CSRFToken": csrf}, keepalive: true})
      .then(() => note("quality_sent")).catch(() => {});
  }

  // ---- the buttons and the session's end --------------------------------
  $("softphone-answer").addEventListener("click", answer);
  $("softphone-mute").addEventListener("click", toggleMute);
  // Sign-out unregisters first, so the queue stops ringing this browser at once.
  document.querySelectorAll('form[action$="/logout"]').forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!phone.ua || !phone.ua.isRegistered() || form.dataset.unregistered) return;
      event.preventDefault();
      const done = () => { form.dataset.unregistered = "1"; form.submit(); };
      phone.ua.once("unregistered", done);
      phone.ua.unregister();
      setTimeout(done, 2000);
    });
  });
  window.addEventListener("pagehide", () => { if (phone.ua) phone.ua.stop(); });

  show("connecting");
  start();
})();
