// The coach calendar (templates/calendar/): places the time grid's items from their
// data-top/data-height minutes (the CSP forbids style attributes; setting a style from a
// script is allowed), moves focus with the arrow keys, opens empty time at the clicked
// quarter hour, and asks once more for the calendar when it was rendered before the
// browser's time zone was known. Without this file the calendar reads as lists.
(function () {
  "use strict";

  var PX_PER_MINUTE = 1.6; // 96 px an hour: a quarter hour is a 24 px target
  var STEP = 15;
  var FIRST_HOUR = 8; // scroll here when a day shows nothing earlier
  var askedForZone = false;
  var keptScroll = null;

  function minutes(el, name) {
    return parseFloat(el.getAttribute(name)) || 0;
  }

  function place(cal) {
    cal.querySelectorAll(".cal-col, .cal-axis").forEach(function (el) {
      el.style.height = minutes(el, "data-length") * PX_PER_MINUTE + "px";
    });
    cal.querySelectorAll("[data-top]").forEach(function (el) {
      var ref = el.parentElement && el.parentElement.closest("[data-length]");
      var total = ref ? minutes(ref, "data-length") : 0;
      if (!total) return;
      el.style.top = (minutes(el, "data-top") / total) * 100 + "%";
      if (el.hasAttribute("data-height")) {
        el.style.height = (minutes(el, "data-height") / total) * 100 + "%";
      }
      if (el.hasAttribute("data-lanes")) {
        var lanes = minutes(el, "data-lanes");
        el.style.left = (minutes(el, "data-lane") / lanes) * 100 + "%";
        el.style.width = 100 / lanes + "%";
        el.style.right = "auto";
      }
    });
  }

  function scroll(cal) {
    var box = cal.querySelector(".cal-scroll");
    if (!box) return;
    if (keptScroll !== null) {
      box.scrollTop = keptScroll;
      keptScroll = null;
      return;
    }
    var first = FIRST_HOUR * 60;
    cal.querySelectorAll(".cal-item").forEach(function (el) {
      first = Math.min(first, minutes(el, "data-top"));
    });
    box.scrollTop = Math.max(0, first * PX_PER_MINUTE - 8);
  }

  // Without a start to tab to (the coach's own calendar), the first empty cell takes Tab.
  function entryPoint(cal) {
    if (!cal.querySelector(".cal-start")) {
      var cell = cal.querySelector(".cal-ask");
      if (cell) cell.setAttribute("tabindex", "0");
    }
  }

  // Rendered in UTC because no zone was known yet: ask once more with the browser's zone.
  // The answer also stores it in the tz cookie, so later pages know it from the start.
  function askForZone(cal) {
    if (askedForZone || cal.getAttribute("data-zone-guess") !== "true" || !window.htmx) return;
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) { return; }
    askedForZone = true;
    if (zone && zone !== cal.getAttribute("data-zone")) {
      var url = new URL(cal.getAttribute("hx-get"), window.location.href);
      url.searchParams.set("tz", zone);
      window.htmx.ajax("GET", url.pathname + url.search, { target: "#calendar", swap: "outerHTML" });
    }
  }

  function layout() {
    var cal = document.getElementById("calendar");
    if (!cal || cal.classList.contains("cal-js")) return;
    cal.classList.add("cal-js");
    place(cal);
    scroll(cal);
    entryPoint(cal);
    askForZone(cal);
  }

  // --- arrow keys: days in the month, start times (and empty cells) in the time grid ---
  var DELTA = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };

  function byPosition(col) {
    var items = Array.prototype.slice.call(col.querySelectorAll(".cal-start, .cal-ask"));
    return items.sort(function (a, b) {
      return a.getBoundingClientRect().top - b.getBoundingClientRect().top;
    });
  }

  function nearest(items, y) {
    var best = items[0];
    items.forEach(function (el) {
      if (Math.abs(el.getBoundingClientRect().top - y) < Math.abs(best.getBoundingClientRect().top - y)) best = el;
    });
    return best;
  }

  function moveInGrid(el, key) {
    var col = el.closest(".cal-col");
    if (key === "ArrowUp" || key === "ArrowDown") {
      var list = byPosition(col);
      return list[list.indexOf(el) + (key === "ArrowDown" ? 1 : -1)] || null;
    }
    var cols = Array.prototype.slice.call(document.querySelectorAll("#calendar .cal-col"));
    var step = key === "ArrowRight" ? 1 : -1;
    var y = el.getBoundingClientRect().top;
    for (var i = cols.indexOf(col) + step; i >= 0 && i < cols.length; i += step) {
      var found = byPosition(cols[i]);
      if (found.length) return nearest(found, y);
    }
    return null;
  }

  function moveInList(el, selector, delta) {
    var list = Array.prototype.slice.call(document.querySelectorAll(selector));
    return list[list.indexOf(el) + delta] || null;
  }

  document.addEventListener("keydown", function (event) {
    if (!(event.key in DELTA) || event.altKey || event.ctrlKey || event.metaKey) return;
    var el = event.target;
    if (!(el instanceof Element) || !el.closest("#calendar")) return;
    var next = null;
    if (el.classList.contains("cal-day")) {
      next = moveInList(el, "#calendar .cal-day", DELTA[event.key]);
    } else if (el.classList.contains("cal-start") || el.classList.contains("cal-ask")) {
      next = moveInGrid(el, event.key);
    } else if (el.classList.contains("cal-time")) {
      next = moveInList(el, "#calendar a.cal-time", DELTA[event.key] > 0 ? 1 : -1);
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // --- empty time: open the modal at the quarter hour that was clicked ---
  function iso(date) {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  document.addEventListener("click", function (event) {
    var cell = event.target instanceof Element && event.target.closest("#calendar .cal-ask");
    if (!cell || !window.htmx) return;
    event.preventDefault();
    var length = minutes(cell, "data-height");
    var offset = 0;
    if (event.detail > 0) { // a pointer click, not Enter
      var rect = cell.getBoundingClientRect();
      var fraction = Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 0.999);
      offset = Math.floor((fraction * length) / STEP) * STEP;
    }
    var start = new Date(Date.parse(cell.getAttribute("data-start")) + offset * 60000);
    var url = new URL(cell.getAttribute("href"), window.location.href);
    url.searchParams.set("start", iso(start));
    if (cell.getAttribute("data-mode") === "window") {
      var until = Date.parse(cell.getAttribute("data-until"));
      url.searchParams.set("end", iso(new Date(Math.min(start.getTime() + 3600000, until))));
    }
    window.htmx.ajax("GET", url.pathname + url.search, {
      source: cell, target: "#modal-root", swap: "innerHTML"
    });
  });

  // Keep the time grid's scroll position when the calendar is swapped for another week
  // or refreshed after a booking.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    var box = target && target.id === "calendar" && target.querySelector(".cal-scroll");
    keptScroll = box ? box.scrollTop : null;
  });

  // (base.html's htmx-config keeps "style" out of attributesToSettle: the CSP would block it.)
  document.addEventListener("DOMContentLoaded", layout);
  document.addEventListener("htmx:load", layout);
  document.addEventListener("htmx:historyRestore", layout);
})();
