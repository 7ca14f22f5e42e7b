// The share page: live character count and preview of the post as the network counts it
// (text, hashtags unless already in the text, disclaimer, a placeholder of the tracked link).
// The counting rules come from content-editor.js (window.RelaisCount), loaded before this
// file; the server checks the same rules again (app/sharing/services.py: final_text).
// No inline scripts (CSP).
(function () {
  "use strict";

  function valueOf(form, selector) {
    var el = form.querySelector(selector);
    return el ? el.value : "";
  }

  function showText(target, text) {
    target.textContent = "";
    text.split("\n").forEach(function (line, i) {
      if (i) { target.appendChild(document.createElement("br")); }
      target.appendChild(document.createTextNode(line));
    });
  }

  function refresh(form) {
    var rc = window.RelaisCount;
    var area = form.querySelector("textarea[data-share-text]");
    if (!rc || !area) { return; }
    var text = area.value.trim() ? area.value : (area.dataset.fallback || "");
    var full = rc.compose(text, valueOf(form, "[data-share-placeholder]"),
                          valueOf(form, "[data-share-hashtags]"),
                          valueOf(form, "[data-share-disclaimer]"));
    var n = rc.count(full, parseInt(area.dataset.linkWeight, 10) || 0,
                     area.dataset.wideDouble === "1");
    var limit = parseInt(area.dataset.limit, 10);
    var over = !isNaN(limit) && n > limit;
    var counter = form.querySelector("[data-share-counter]");
    if (counter) {
      counter.querySelector("[data-count]").textContent = String(n);
      counter.classList.toggle("text-danger", over);
      counter.classList.toggle("fw-semibold", over);
      counter.classList.toggle("text-body-secondary", !over);
    }
    if (over) {
      area.classList.add("is-invalid");
    } else if (area.dataset.touched) {
      area.classList.remove("is-invalid");
    }
    var preview = form.querySelector("[data-share-preview]");
    if (preview) { showText(preview, full); }
  }

  function init() {
    document.querySelectorAll("form[data-share-form]").forEach(function (form) {
      refresh(form);
      form.addEventListener("input", function (event) {
        if (event.target.matches && event.target.matches("textarea[data-share-text]")) {
          event.target.dataset.touched = "1";
        }
        refresh(form);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
