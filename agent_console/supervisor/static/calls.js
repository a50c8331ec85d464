// The call list's player: one <audio> for the page (a row's button loads its
// recording), with the speed kept across recordings. Only a press loads a
// recording: every opening is audited, so rows never preload.
(function () {
  "use strict";
  const player = document.getElementById("player");
  const audio = document.getElementById("player-audio");
  const speed = document.getElementById("player-speed");
  const title = document.getElementById("player-call");
  if (!player || !audio) return;

  function applySpeed() { audio.playbackRate = parseFloat(speed.value) || 1; }
  speed.addEventListener("change", applySpeed);
  audio.addEventListener("loadedmetadata", applySpeed);

  document.querySelectorAll("button.play").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("tr.playing").forEach(function (row) { row.classList.remove("playing"); });
      button.closest("tr").classList.add("playing");
      player.hidden = false;
      title.textContent = button.dataset.label;
      if (audio.getAttribute("src") !== button.dataset.src) audio.src = button.dataset.src;
      applySpeed();
      audio.play().catch(function () { /* the controls stay for a manual start */ });
    });
  });
})();
