// Live campaign progress: the bridge's engine pushes `campaigns` on /wallboard.
(function () {
  "use strict";
  var states = window.HOTLINE_CAMPAIGN_STATES || {};
  function show(list) {
    list.forEach(function (item) {
      var card = document.querySelector('[data-campaign="' + item.campaign_id + '"]');
      if (!card) { return; }
      Object.keys(item).forEach(function (field) {
        var cell = card.querySelector('[data-field="' + field + '"]');
        if (!cell) { return; }
        cell.textContent = field === "state" ? (states[item.state] || item.state) : item[field];
      });
    });
  }
  show(JSON.parse(document.getElementById("campaigns-initial").textContent));
  if (window.io) {
    var socket = window.io("/wallboard", {transports: ["websocket"]});
    socket.on("campaigns", show);
  }
}());
