// Chapter and timestamp links (#t=SECONDS) seek the episode's audio player.
(function () {
  "use strict";
  var audio = document.getElementById("player");
  if (!audio) {
    return;
  }

  function secondsFrom(hash) {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(hash || "");
    return match ? parseFloat(match[1]) : null;
  }

  function seek(seconds, play) {
    var go = function () {
      audio.currentTime = seconds;
      if (play) {
        var started = audio.play();
        if (started && started.catch) {
          started.catch(function () {});
        }
      }
    };
    if (audio.readyState >= 1) {
      go();
    } else {
      audio.addEventListener("loadedmetadata", go, { once: true });
      audio.load();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#t=']") : null;
    if (!link) {
      return;
    }
    var seconds = secondsFrom(link.getAttribute("href"));
    if (seconds === null) {
      return;
    }
    event.preventDefault();
    history.replaceState(null, "", link.getAttribute("href"));
    seek(seconds, true);
  });

  var initial = secondsFrom(window.location.hash);
  if (initial !== null) {
    seek(initial, false);
  }
})();
