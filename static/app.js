// Coachbook's page behaviour. No inline scripts (CSP): everything hooks in from here.
(function () {
  "use strict";

  // Colour swatches carry their colour in data-color (inline styles are blocked by CSP).
  function paintSwatches(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      el.style.backgroundColor = el.dataset.color;
    });
  }

  // Send the CSRF token with every htmx request, whatever the htmx version's inheritance.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.getAttribute("hx-headers");
    if (token) {
      try {
        Object.assign(event.detail.headers, JSON.parse(token));
      } catch (e) { /* malformed header attribute: leave the request as it is */ }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { paintSwatches(document); });
  document.addEventListener("htmx:afterSwap", function (event) { paintSwatches(event.target); });
})();
