// Coachbook's page behaviour. No inline scripts (CSP): everything hooks in from here.
// Page areas with more behaviour have their own file under static/js/.
(function () {
  "use strict";

  // Colour swatches carry their colour in data-color (inline styles are blocked by CSP;
  // setting a style from script is allowed).
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

  // --- toasts: flashes rendered with the page, and HX-Trigger {"toast": {...}} events ---
  var TOAST_MS = 6000;

  function armToast(el) {
    var close = el.querySelector(".toast-close");
    if (close) close.addEventListener("click", function () { el.remove(); });
    if (!el.classList.contains("toast-error")) {
      window.setTimeout(function () { el.remove(); }, TOAST_MS);
    }
  }

  // An open modal dialog sits in the top layer above everything else: its toasts go
  // inside it, so they are not dimmed by the backdrop.
  function toastBox() {
    var dialog = document.querySelector("dialog.modal[open]");
    if (!dialog) return document.getElementById("toasts");
    var box = dialog.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      box.setAttribute("aria-live", "polite");
      dialog.appendChild(box);
    }
    return box;
  }

  function showToast(message, level) {
    var box = toastBox();
    var template = document.getElementById("toast-template");
    if (!box || !template || !message) return;
    var el = template.content.firstElementChild.cloneNode(true);
    el.classList.add("toast-" + (level || "info"));
    if (level === "error") el.setAttribute("role", "alert");
    el.querySelector("p").textContent = message;
    box.appendChild(el);
    armToast(el);
  }
  window.coachbookToast = showToast;

  document.body.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    // After the swap that came with it: a dialog the answer closes is gone by then, and one
    // that stays open (a form with its messages) gets the toast inside it.
    window.setTimeout(function () {
      (detail.items || [detail]).forEach(function (item) { showToast(item.message, item.level); });
    }, 0);
  });

  // A request that failed without an answer from the server (network down, timeout).
  document.body.addEventListener("htmx:sendError", function () {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });

  // --- dialogs: a fragment swapped into #modal-root holding a <dialog> opens as a modal ---
  var opener = null;
  var openerHref = null;

  // Focus goes back to what opened the dialog; if a refresh replaced it meanwhile (the
  // calendar after a booking), to the element that now has the same link.
  function restoreFocus() {
    var target = opener && document.contains(opener) ? opener : null;
    if (!target && openerHref) {
      target = Array.prototype.find.call(document.querySelectorAll("a[href]"), function (a) {
        return a.getAttribute("href") === openerHref;
      }) || null;
    }
    if (target) target.focus();
  }

  function openDialogs(root) {
    root.querySelectorAll("dialog.modal:not([open])").forEach(function (dialog) {
      opener = document.activeElement;
      openerHref = opener && opener.getAttribute ? opener.getAttribute("href") : null;
      dialog.addEventListener("close", function () {
        var root = document.getElementById("modal-root");
        if (root && root.contains(dialog)) root.replaceChildren();
        restoreFocus();
      });
      dialog.showModal();  // native focus trap; Escape closes
      var first = dialog.querySelector("[autofocus]") ||
        dialog.querySelector(".modal-body input:not([type=hidden]), .modal-body select, " +
          ".modal-body textarea, .modal-body button, .modal-foot button") ||
        dialog.querySelector("button");
      if (first) first.focus();
    });
  }

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); dialog.close(); }
    }
  });

  // --- the viewer's time zone and clock, remembered for signed-out visitors ---
  function rememberBrowserTime() {
    var parts = document.cookie.split("; ");
    var has = function (name) {
      return parts.some(function (p) { return p.indexOf(name + "=") === 0; });
    };
    var year = 60 * 60 * 24 * 365;
    if (!has("tz")) {
      try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (zone) document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=" + year + "; samesite=lax";
      } catch (e) { /* no Intl: the server's default stays */ }
    }
    if (!has("clock")) {
      try {
        var cycle = Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hourCycle;
        var clock = (cycle === "h11" || cycle === "h12") ? "12" : "24";
        document.cookie = "clock=" + clock + "; path=/; max-age=" + year + "; samesite=lax";
      } catch (e) { /* keep the server's guess */ }
    }
  }

  function init(root) {
    paintSwatches(root);
    openDialogs(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    rememberBrowserTime();
    document.querySelectorAll("#toasts .toast").forEach(armToast);
    init(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { init(event.target); });
})();
