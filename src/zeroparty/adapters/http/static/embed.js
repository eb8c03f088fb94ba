// zeroparty embed: <script src="https://HOST/embed.js" data-experience="SLUG" async></script>
// Inline (default): a frame of the experience in place of the script, as tall as its content.
// data-mode="lightbox": a button (data-label, default the experience's title) opening the
// experience in a modal dialog. Either way the page gets, when a respondent completes it,
// window.postMessage({type: "zeroparty:complete", experience, outcome}) addressed to its own origin.
// Documented in docs/experiences.md, "Embedding". Plain ES5: no build step.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var slug = script.getAttribute("data-experience") || "";
  if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(slug)) return;
  var origin = new URL(script.src).origin; // where zeroparty answers: the only origin heard
  var pageOrigin = window.location.origin;
  var lightbox = script.getAttribute("data-mode") === "lightbox";

  // The page's URL parameters the experience takes (embed.json lists them); hidden fields plug in here.
  function passedOn(parameters) {
    var given = new URLSearchParams(window.location.search);
    var passed = new URLSearchParams();
    passed.set("embed", "1");
    parameters.forEach(function (name) {
      given.getAll(name).forEach(function (value) {
        passed.append(name, value);
      });
    });
    return passed.toString();
  }

  function makeFrame(meta) {
    var frame = document.createElement("iframe");
    frame.src = origin + "/e/" + slug + "?" + passedOn(meta.parameters || []);
    frame.name = "zeroparty:" + pageOrigin; // frame.js posts to this origin only
    frame.title = meta.title || slug;
    frame.style.cssText = "display:block;width:100%;height:480px;border:0;";
    return frame;
  }

  function listen(frame, onEscape) {
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== "object") return;
      if (data.type === "zeroparty:height" && typeof data.height === "number") {
        frame.style.height = Math.max(80, Math.min(20000, Math.ceil(data.height))) + "px";
      } else if (data.type === "zeroparty:complete") {
        var news = { type: "zeroparty:complete", experience: slug, outcome: String(data.outcome) };
        window.postMessage(news, pageOrigin);
      } else if (data.type === "zeroparty:escape" && onEscape) {
        onEscape();
      }
    });
  }

  function inline(meta) {
    var frame = makeFrame(meta);
    listen(frame, null);
    script.parentNode.insertBefore(frame, script.nextSibling);
  }

  function sentinel(onFocus) {
    var edge = document.createElement("span");
    edge.tabIndex = 0;
    edge.addEventListener("focus", onFocus);
    return edge;
  }

  function withLightbox(meta) {
    var title = meta.title || slug;
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = script.getAttribute("data-label") || title;
    button.setAttribute("aria-haspopup", "dialog");
    script.parentNode.insertBefore(button, script.nextSibling);
    var dialog = null;

    function close() {
      if (dialog === null) return;
      var open = dialog;
      dialog = null;
      if (open.open) open.close();
      open.parentNode.removeChild(open);
      button.focus();
    }

    button.addEventListener("click", function () {
      if (dialog !== null) return;
      dialog = document.createElement("dialog");
      dialog.setAttribute("aria-label", title);
      dialog.style.cssText = "width:min(40rem,calc(100vw - 2rem));max-height:calc(100vh - 2rem);" +
        "padding:0;border:0;border-radius:12px;overflow:auto;background:#fff;";
      var shut = document.createElement("button");
      shut.type = "button";
      shut.textContent = "Close";
      shut.autofocus = true;
      shut.style.cssText = "display:block;margin:.5rem .5rem 0 auto;";
      shut.addEventListener("click", close);
      var frame = makeFrame(meta);
      listen(frame, close);
      // Tab past either end lands on an edge, which sends focus round to the other end: the
      // frame's own fields are in between, so focus stays in the dialog.
      dialog.appendChild(sentinel(function () { frame.focus(); }));
      dialog.appendChild(shut);
      dialog.appendChild(frame);
      dialog.appendChild(sentinel(function () { shut.focus(); }));
      dialog.addEventListener("close", close); // Escape on the page's side closes it natively
      button.parentNode.insertBefore(dialog, button.nextSibling);
      dialog.showModal();
      shut.focus();
    });
  }

  fetch(origin + "/e/" + slug + "/embed.json", { credentials: "omit" })
    .then(function (answer) { return answer.ok ? answer.json() : {}; })
    .catch(function () { return {}; })
    .then(function (meta) { (lightbox ? withLightbox : inline)(meta); });
})();
