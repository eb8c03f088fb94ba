// The mapping page's preview, redrawn as the names and exclusions change. Without this script the
// form still works: saving redraws the preview on the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  var target = document.getElementById("mapping-preview");
  if (!form || !target || !window.fetch || !window.URLSearchParams) { return; }
  var timer = null;
  var asked = 0;
  function refresh() {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token") { query.append(key, String(value)); }
    });
    var mine = ++asked;
    fetch(form.getAttribute("data-preview") + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (answer) { return answer.text(); })
      .then(function (html) { if (mine === asked) { target.innerHTML = html; } })
      .catch(function () { /* the preview stays as it was; saving still redraws it */ });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
