// The availability editor: the "Repeats" radio shows the fields of its kind (without
// JavaScript both groups show and the radio decides), and the free-time bars get their
// place in the day from data-from / data-to (minutes after midnight; CSP forbids inline
// styles, setting them from script is allowed).
(function () {
  "use strict";

  var DAY_MINUTES = 24 * 60;

  function syncKinds(root) {
    root.querySelectorAll("form[data-avail-form]").forEach(function (form) {
      var checked = form.querySelector("[data-avail-kind]:checked");
      if (!checked) return;
      form.querySelectorAll("[data-avail-group]").forEach(function (group) {
        group.hidden = group.getAttribute("data-avail-group") !== checked.value;
      });
    });
  }

  function placeBars(root) {
    root.querySelectorAll(".avail-bar[data-from]").forEach(function (bar) {
      var from = Number(bar.getAttribute("data-from"));
      var to = Number(bar.getAttribute("data-to"));
      if (!isFinite(from) || !isFinite(to)) return;
      bar.style.left = (100 * from / DAY_MINUTES) + "%";
      bar.style.width = Math.max(100 * (to - from) / DAY_MINUTES, 0.5) + "%";
    });
  }

  function init() {
    syncKinds(document);
    placeBars(document);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-avail-kind]")) syncKinds(document);
  });
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
