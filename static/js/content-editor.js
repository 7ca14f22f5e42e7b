// Curator pages: the live per-network character counter and preview of the item editor,
// and "select all" for the bulk actions of the content list. No inline scripts (CSP).
//
// The counting rules are those of app/content/networks.py, kept in step by hand:
// - the counted text is the composed post: text, hashtags (unless already in the text),
//   disclaimer and the tracked link (a placeholder of the same length), joined by blank lines;
// - on X every http(s) link counts 23 characters and wide (CJK) characters and emoji count 2;
// - elsewhere every code point counts 1 (not every UTF-16 unit: an emoji is one character).
(function () {
  "use strict";

  var URL_RE = /https?:\/\/\S+/gi;

  // East Asian Wide/Fullwidth ranges (the main blocks of Unicode's EastAsianWidth.txt)
  var WIDE = [
    [0x1100, 0x115F], [0x231A, 0x231B], [0x2329, 0x232A], [0x23E9, 0x23EC], [0x23F0, 0x23F0],
    [0x23F3, 0x23F3], [0x25FD, 0x25FE], [0x2614, 0x2615], [0x2648, 0x2653], [0x267F, 0x267F],
    [0x2693, 0x2693], [0x26A1, 0x26A1], [0x26AA, 0x26AB], [0x26BD, 0x26BE], [0x26C4, 0x26C5],
    [0x26CE, 0x26CE], [0x26D4, 0x26D4], [0x26EA, 0x26EA], [0x26F2, 0x26F3], [0x26F5, 0x26F5],
    [0x26FA, 0x26FA], [0x26FD, 0x26FD], [0x2705, 0x2705], [0x270A, 0x270B], [0x2728, 0x2728],
    [0x274C, 0x274C], [0x274E, 0x274E], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
    [0x27B0, 0x27B0], [0x27BF, 0x27BF], [0x2B1B, 0x2B1C], [0x2B50, 0x2B50], [0x2B55, 0x2B55],
    [0x2E80, 0x303E], [0x3041, 0x33FF], [0x3400, 0x4DBF], [0x4E00, 0x9FFF], [0xA000, 0xA4CF],
    [0xA960, 0xA97F], [0xAC00, 0xD7A3], [0xF900, 0xFAFF], [0xFE10, 0xFE19], [0xFE30, 0xFE6F],
    [0xFF00, 0xFF60], [0xFFE0, 0xFFE6], [0x16FE0, 0x18CFF], [0x1B000, 0x1B2FF],
    [0x20000, 0x2FFFD], [0x30000, 0x3FFFD]
  ];

  function charWeight(cp) {
    if (cp >= 0x1F000) { return 2; }
    for (var i = 0; i < WIDE.length; i++) {
      if (cp < WIDE[i][0]) { return 1; }
      if (cp <= WIDE[i][1]) { return 2; }
    }
    return 1;
  }

  function codePoints(text) {
    return Array.from(text);
  }

  // networks.count()
  function count(text, linkWeight, wideDouble) {
    var total = 0;
    if (linkWeight) {
      var links = text.match(URL_RE) || [];
      total += linkWeight * links.length;
      text = text.replace(URL_RE, "");
    }
    var chars = codePoints(text);
    if (wideDouble) {
      for (var i = 0; i < chars.length; i++) { total += charWeight(chars[i].codePointAt(0)); }
    } else {
      total += chars.length;
    }
    return total;
  }

  // networks.compose()
  function compose(text, link, hashtags, disclaimer) {
    var parts = [text.trim()];
    var tags = hashtags.split(/\s+/).filter(function (t) {
      return t.replace(/^#+|#+$/g, "") !== "";
    }).map(function (t) { return "#" + t.replace(/^#+/, ""); }).join(" ");
    if (tags && text.indexOf(tags) === -1) { parts.push(tags); }
    if (disclaimer.trim()) { parts.push(disclaimer.trim()); }
    if (link) { parts.push(link); }
    return parts.filter(function (p) { return p; }).join("\n\n");
  }

  function showText(target, text) {
    target.textContent = "";
    text.split("\n").forEach(function (line, i) {
      if (i) { target.appendChild(document.createElement("br")); }
      target.appendChild(document.createTextNode(line));
    });
  }

  function value(form, name) {
    var el = form.querySelector("[name='" + name + "']");
    return el ? el.value : "";
  }

  function refresh(form) {
    var placeholder = form.querySelector("#placeholder-link");
    var link = placeholder ? placeholder.value : "";
    var hashtags = value(form, "hashtags");
    var disclaimer = value(form, "disclaimer");
    form.querySelectorAll("textarea[data-network]").forEach(function (area) {
      var key = area.dataset.network;
      var limit = parseInt(area.dataset.limit, 10);
      var text = area.value;
      var full = text.trim() ? compose(text, link, hashtags, disclaimer) : "";
      var n = full ? count(full, parseInt(area.dataset.linkWeight, 10) || 0,
                           area.dataset.wideDouble === "1") : 0;
      var counter = form.querySelector("[data-counter-for='" + key + "']");
      if (counter) {
        counter.querySelector("[data-count]").textContent = String(n);
        counter.classList.toggle("text-danger", n > limit);
        counter.classList.toggle("fw-semibold", n > limit);
        counter.classList.toggle("text-body-secondary", n <= limit);
      }
      var preview = form.querySelector("[data-preview-for='" + key + "']");
      if (preview) { showText(preview, full); }
    });
  }

  function init() {
    document.querySelectorAll("form[data-content-editor]").forEach(function (form) {
      refresh(form);
      form.addEventListener("input", function () { refresh(form); });
    });
  }

  // "select all" checkbox of the content list
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-select-all]")) {
      var form = box.closest("form");
      form.querySelectorAll("input[type=checkbox][name='" + box.dataset.selectAll + "']")
        .forEach(function (other) { other.checked = box.checked; });
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  // exposed for tests run in a browser
  window.RelaisCount = { count: count, compose: compose };
})();
