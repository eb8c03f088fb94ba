// Keeps a console page's [data-live] parts up to date: every few seconds, while the page is
// visible, the page is fetched again and each part with an id is replaced by its new version.
// Without scripts the page shows the figures of when it was loaded; a reload updates them.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live][id]");
  if (!parts.length || !window.fetch || !window.DOMParser) return;
  var EVERY_MS = 5000;
  document.querySelectorAll(".live-on").forEach(function (el) { el.hidden = false; });

  function refresh() {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (part) {
          var next = fresh.getElementById(part.id);
          // Leave a part alone while someone works in it (a focused control keeps its place).
          if (next && !part.contains(document.activeElement)) {
            part.innerHTML = next.innerHTML;
            part.querySelectorAll(".live-on").forEach(function (el) { el.hidden = false; });
          }
        });
      })
      .catch(function () { /* the next turn tries again */ });
  }

  window.setInterval(refresh, EVERY_MS);
})();
