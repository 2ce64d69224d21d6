// The booking page, its dialogs and the dashboard's requests: at most three suggested
// times in the picker, and focus back on the booking after an action swapped it.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches(".bk-picker input[type=checkbox]") || !box.checked) return;
    var picker = box.closest(".bk-picker");
    var max = parseInt(picker.dataset.max || "3", 10);
    if (picker.querySelectorAll("input[type=checkbox]:checked").length > max) {
      box.checked = false;
      if (window.coachbookToast) window.coachbookToast("Pick at most " + max + " times.", "info");
    }
  });

  // A dialog's action answered with the booking (or the dashboard row) to swap outside
  // the dialog: close the dialog first, so the answer's toast shows on the page and not
  // inside a dialog about to go. A form sent back with its messages, a refusal that
  // swaps nothing, or the picker paging inside the dialog keep it open.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    var dialog = elt && elt.closest ? elt.closest("dialog.modal[open]") : null;
    if (!dialog || !detail.xhr || (detail.target && dialog.contains(detail.target))) return;
    if (detail.xhr.getResponseHeader("HX-Retarget")) return;
    if (detail.xhr.getResponseHeader("HX-Reswap") === "none") return;
    dialog.close();
  });

  // An action answered: the dialog is gone and focus with it; put it on the booking.
  document.addEventListener("htmx:afterSettle", function () {
    if (document.activeElement && document.activeElement !== document.body) return;
    var heading = document.querySelector("#booking-main h1");
    if (heading) heading.focus();
  });
})();
