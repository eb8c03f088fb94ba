// An experience page inside embed.js's frame: tells the embedding page its height, its completion
// and an Escape key. It does nothing unless the frame is named "zeroparty:<page origin>" (embed.js
// names it so); its messages are addressed to that origin, so the browser drops them when the page
// around the frame is of any other origin. Which sites may frame the page at all is the CSP's say.
(function () {
  "use strict";
  var PREFIX = "zeroparty:";
  if (window.parent === window || window.name.indexOf(PREFIX) !== 0) return;
  var parentOrigin = window.name.slice(PREFIX.length);
  if (!/^https?:\/\/[^\s\/]+$/.test(parentOrigin)) return;

  function send(message) {
    window.parent.postMessage(message, parentOrigin);
  }

  document.documentElement.classList.add("zp-embedded");
  var lastHeight = 0;
  function sendHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      send({ type: "zeroparty:height", height: height });
    }
  }
  if (window.ResizeObserver) new ResizeObserver(sendHeight).observe(document.documentElement);
  window.addEventListener("load", sendHeight);
  sendHeight();

  var outcome = document.querySelector("[data-outcome]");
  if (outcome) {
    send({
      type: "zeroparty:complete",
      experience: outcome.getAttribute("data-experience"),
      outcome: outcome.getAttribute("data-outcome"),
    });
  }

  // On the key's release: the page removes this frame when told, and a key still down in a frame
  // that is gone leaves its release with nowhere to go (a browser automating the key then waits).
  document.addEventListener("keyup", function (event) {
    if (event.key === "Escape") send({ type: "zeroparty:escape" });
  });
})();
