// The settings page's embed card: the options change the snippet and the preview (which
// runs the very static/embed.js a coach's website runs), and "Copy snippet" copies it.
// Set up again whenever htmx swaps the card in (after saving the allowed websites).
(function () {
  "use strict";

  function quote(value) {
    return String(value).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  function setUp(card) {
    if (!card || card.hasAttribute("data-embed-ready")) return;
    card.setAttribute("data-embed-ready", "");
    var box = card.querySelector("[data-embed-snippet]");
    var preview = card.querySelector("[data-embed-preview]");
    if (!box) return;
    var options = card.querySelectorAll("[data-embed-option]");

    function chosen() {
      var attributes = [["data-coach", box.getAttribute("data-coach")]];
      options.forEach(function (option) {
        if (option.value && option.value !== option.getAttribute("data-default")) {
          attributes.push([option.getAttribute("data-embed-option"), option.value]);
        }
      });
      return attributes;
    }

    function show() {
      var attributes = chosen();
      box.value =
        '<script src="' + quote(box.getAttribute("data-script")) + '" ' +
        attributes.map(function (pair) { return pair[0] + '="' + quote(pair[1]) + '"'; }).join(" ") +
        " async></" + "script>";
      if (!preview) return;
      preview.textContent = "";
      var script = document.createElement("script");
      attributes.forEach(function (pair) { script.setAttribute(pair[0], pair[1]); });
      script.src = preview.getAttribute("data-src");
      script.async = true;
      preview.appendChild(script);
    }

    options.forEach(function (option) { option.addEventListener("change", show); });
    show();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var box = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[data-copy-status]");
    function done(text) { if (status) status.textContent = text; }
    box.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(
        function () { done("Copied."); },
        function () { done("Press Ctrl+C (or ⌘C) to copy."); }
      );
    } else {
      done(document.execCommand("copy") ? "Copied." : "Press Ctrl+C (or ⌘C) to copy.");
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    setUp(element.id === "settings-embed" ? element : element.querySelector("#settings-embed"));
  });
  document.addEventListener("DOMContentLoaded", function () {
    setUp(document.getElementById("settings-embed"));
  });
})();
