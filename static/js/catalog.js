// The coach's session types and coupons (and the settings forms): after a save the server
// swaps in the fresh list and fires "catalog-saved" (HX-Trigger-After-Swap); close the
// dialog and put the focus back on the link that opened it. A form swapped back in with
// messages (marked data-focus-errors) gets the focus on its first marked field.
(function () {
  "use strict";

  var openerId = null;

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-catalog-opener]");
    if (opener && opener.id) openerId = opener.id;
  });

  document.addEventListener("catalog-saved", function () {
    var dialog = document.querySelector("#modal-root dialog[open]");
    if (dialog) dialog.close();
    var opener = openerId && document.getElementById(openerId);
    if (opener) opener.focus();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-focus-errors]")) return;
    var invalid = form.querySelector("[aria-invalid=true]") || form.querySelector(".form-error");
    if (invalid) {
      if (!invalid.matches("input, select, textarea")) invalid.setAttribute("tabindex", "-1");
      invalid.focus();
    }
  });
})();
