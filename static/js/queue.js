// The employee's queue: "Copy text + link" (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-fixed top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  function flashLabel(button, label) {
    if (!button.dataset.label) { button.dataset.label = button.textContent; }
    button.textContent = label;
    window.clearTimeout(button._relaisTimer);
    button._relaisTimer = window.setTimeout(function () {
      button.textContent = button.dataset.label;
    }, 2000);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    event.preventDefault();
    copy(button.dataset.copy).then(function () {
      flashLabel(button, button.dataset.copiedLabel || "Copied");
    }, function () {
      flashLabel(button, button.dataset.copyFailedLabel || "Copy failed");
    });
  });
})();
