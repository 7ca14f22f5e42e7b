// Relais front-end glue: no inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // Forms with data-confirm ask before submitting (deactivate, erase, revoke...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  // Upload progress for large CSV files (plain form post, progress via XHR events).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-size-limit]")) {
      var limit = parseInt(input.dataset.sizeLimit, 10);
      var file = input.files && input.files[0];
      var note = document.getElementById(input.id + "-size");
      if (file && note) {
        note.textContent = file.size > limit ? note.dataset.tooLarge : "";
      }
    }
  });
})();
