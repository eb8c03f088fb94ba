// The embed snippet's Copy button: shown only when the browser can copy; the textarea works without it.
(function () {
  var button = document.getElementById("copy-snippet");
  if (!button || !navigator.clipboard) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById("copy-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(
      function () { status.textContent = "Copied."; },
      function () { source.select(); status.textContent = "Select the text and copy it."; }
    );
  });
})();
