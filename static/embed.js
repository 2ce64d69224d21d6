/*! Coachbook embed: a coach's calendar on any website.
 *
 *   <script src="https://SITE/static/embed.js" data-coach="SLUG" async></script>
 *
 * Options (attributes of the script tag):
 *   data-view="month|week|day"   the first view (month)
 *   data-session-type="ID"       show one session type only
 *   data-theme="auto|light|dark" colours (auto follows the visitor's system)
 *   data-mode="inline|popup"     inline: the calendar where the tag is; popup: a button
 *                                that opens it over the page
 *   data-button-text="…"         the popup button's text ("Book a session")
 *
 * It defines no global, needs nothing from the host page, and talks to the frame with
 * postMessage only: messages are read only from this script's origin and from its own
 * frame, and sent only to that origin. Times open the booking page on the platform in a
 * new tab, where the visitor signs in or up and pays.
 */
(function () {
  "use strict";

  var MARK = "data-coachbook-embed";
  var MIN_HEIGHT = 120;
  var MAX_HEIGHT = 20000;
  var FIRST_HEIGHT = 640;

  function zone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function frameUrl(script, platform) {
    var slug = (script.getAttribute("data-coach") || "").trim();
    var params = new URLSearchParams();
    var options = { view: "data-view", type: "data-session-type", theme: "data-theme" };
    Object.keys(options).forEach(function (name) {
      var value = script.getAttribute(options[name]);
      if (value) params.set(name, value.trim());
    });
    if (zone()) params.set("tz", zone());
    params.set("origin", window.location.origin);
    // Dots too: "." and ".." must not become path steps.
    var path = encodeURIComponent(slug || "-").replace(/\./g, "%2E");
    return platform + "/embed/" + path + "?" + params.toString();
  }

  function makeFrame(script, platform) {
    var frame = document.createElement("iframe");
    frame.src = frameUrl(script, platform);
    frame.title = "Book a session with " + (script.getAttribute("data-coach") || "a coach");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    var style = frame.style;
    style.display = "block";
    style.width = "100%";
    style.maxWidth = "100%";
    style.height = FIRST_HEIGHT + "px";
    style.border = "0";
    style.colorScheme = "normal";
    frame.addEventListener("load", function () {
      frame.contentWindow.postMessage({ type: "coachbook:hello" }, platform);
    });
    return frame;
  }

  function listen(frame, platform, onClose) {
    window.addEventListener("message", function (event) {
      if (event.origin !== platform || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== "object") return;
      if (data.type === "coachbook:height" && typeof data.height === "number" && isFinite(data.height)) {
        var height = Math.min(Math.max(Math.round(data.height), MIN_HEIGHT), MAX_HEIGHT);
        frame.style.height = height + "px";
      } else if (data.type === "coachbook:close" && onClose) {
        onClose();
      }
    });
  }

  function inline(script, platform) {
    var frame = makeFrame(script, platform);
    listen(frame, platform, null);
    script.parentNode.insertBefore(frame, script.nextSibling);
  }

  function popup(script, platform) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = script.getAttribute("data-button-text") || "Book a session";
    button.setAttribute("aria-haspopup", "dialog");
    var dialog = null;
    var frame = null;

    function close() {
      if (dialog && dialog.open) dialog.close();
    }

    function build() {
      dialog = document.createElement("dialog");
      dialog.setAttribute("aria-label", button.textContent);
      var outer = dialog.style;
      outer.width = "100%";
      outer.height = "100%";
      outer.maxWidth = "100vw";
      outer.maxHeight = "100vh";
      outer.margin = "0";
      outer.padding = "16px";
      outer.boxSizing = "border-box";
      outer.border = "0";
      outer.background = "rgba(15, 23, 42, 0.6)";
      var panel = document.createElement("div");
      var inner = panel.style;
      inner.position = "relative";
      inner.margin = "0 auto";
      inner.maxWidth = "960px";
      inner.maxHeight = "100%";
      inner.overflow = "auto";
      inner.background = "#fff";
      inner.borderRadius = "12px";
      var shut = document.createElement("button");
      shut.type = "button";
      shut.textContent = "\u00d7";
      shut.setAttribute("aria-label", "Close");
      var knob = shut.style;
      knob.position = "absolute";
      knob.top = "6px";
      knob.right = "8px";
      knob.zIndex = "1";
      knob.font = "24px/1 system-ui, sans-serif";
      knob.padding = "6px 10px";
      knob.border = "0";
      knob.borderRadius = "8px";
      knob.background = "rgba(15, 23, 42, 0.08)";
      knob.cursor = "pointer";
      shut.addEventListener("click", close);
      frame = makeFrame(script, platform);
      listen(frame, platform, close);
      panel.appendChild(shut);
      panel.appendChild(frame);
      dialog.appendChild(panel);
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) close(); // a click on the dimmed backdrop
      });
      dialog.addEventListener("close", function () {
        document.documentElement.style.overflow = "";
        button.focus();
      });
      document.body.appendChild(dialog);
    }

    button.addEventListener("click", function () {
      if (!dialog) build();
      document.documentElement.style.overflow = "hidden";
      dialog.showModal();
    });
    script.parentNode.insertBefore(button, script.nextSibling);
  }

  function setUp(script) {
    if (script.hasAttribute(MARK)) return;
    script.setAttribute(MARK, "ready");
    var platform = new URL(script.src, document.baseURI).origin;
    if (script.getAttribute("data-mode") === "popup") popup(script, platform);
    else inline(script, platform);
  }

  // Every embed tag of this script on the page (an async script may run after others
  // like it have loaded: each tag is set up once).
  var current = document.currentScript;
  if (current && current.src) setUp(current);
  var tags = document.querySelectorAll("script[data-coach][src]");
  for (var i = 0; i < tags.length; i++) {
    if (/\/static\/embed\.js(\?|#|$)/.test(tags[i].src)) setUp(tags[i]);
  }
})();
