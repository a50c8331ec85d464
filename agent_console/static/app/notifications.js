// The bell's unread count and the notification list, kept live over Socket.IO.
// The server only signals "your notifications changed"; the list itself, in the
// user's language, comes from the API, so nothing depends on the socket having
// been open when a notification was raised.
(function () {
  "use strict";
  const bell = document.getElementById("notify-bell");
  if (!bell) { return; }
  const count = document.getElementById("notify-count");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const list = document.getElementById("notify-list");

  function showCount(n) {
    count.textContent = String(n);
    count.hidden = n === 0;
    bell.dataset.unread = String(n);
  }

  function drawList(items) {
    if (!list) { return; }
    const template = document.getElementById("notify-item");
    list.replaceChildren();
    for (const item of items) {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.id = item.id;
      row.querySelector("time").textContent = item.created_at;
      const text = row.querySelector("a");
      text.textContent = item.text;
      if (item.link) { text.href = item.link; } else { text.removeAttribute("href"); }
      row.querySelector("form").action = "/notifications/" + item.id + "/ack";
      list.appendChild(row);
    }
    document.getElementById("notify-empty").hidden = items.length > 0;
  }

  async function refresh() {
    const response = await fetch(bell.dataset.api, {credentials: "same-origin",
      headers: {"Accept": "application/json"}});
    if (!response.ok) { return; }
    const data = await response.json();
    showCount(data.count);
    drawList(data.items);
  }

  if (list) {
    list.addEventListener("submit", async function (event) {
      const form = event.target.closest("form.notify-ack");
      if (!form) { return; }
      event.preventDefault();
      const response = await fetch(form.action, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}});
      if (response.ok) { await refresh(); }
    });
  }

  function connect() {
    const socket = window.io("/notifications", {transports: ["websocket"]});
    socket.on("connect", refresh);  // after a reconnect, whatever came meanwhile
    socket.on("notifications_changed", refresh);
  }

  if (window.io) {
    connect();
  } else {
    const script = document.createElement("script");
    script.src = bell.dataset.socketio;
    script.onload = connect;
    document.head.appendChild(script);
  }
})();
