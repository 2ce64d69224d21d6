// Inside the embedded calendar (/embed/<slug>, framed by static/embed.js on a coach's
// site): tell the host page how tall the calendar is, and that Escape was pressed (the
// popup closes). Messages go only to the host origin the server accepted (the page's
// data-host-origin); messages are read only from that origin and from the parent frame.
(function () {
  "use strict";

  var host = document.documentElement.getAttribute("data-host-origin");
  var content = document.getElementById("embed");
  if (!host || !content || window.parent === window) return;

  var reported = 0;

  function post(message) {
    window.parent.postMessage(message, host);
  }

  function report(always) {
    var style = window.getComputedStyle(document.body);
    var height = Math.ceil(
      content.getBoundingClientRect().height +
        parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
    );
    if (always === true || height !== reported) {
      reported = height;
      post({ type: "coachbook:height", height: height });
    }
  }

  if (window.ResizeObserver) new ResizeObserver(function () { report(); }).observe(content);
  window.addEventListener("load", function () { report(); });

  window.addEventListener("message", function (event) {
    if (event.origin !== host || event.source !== window.parent) return;
    if (event.data && event.data.type === "coachbook:hello") report(true);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") post({ type: "coachbook:close" });
  });
})();
