// Live updates (SPEC 7) for signed-in pages: one Socket.IO connection per tab, WebSocket
// only (several app processes serve production; long-polling would need sticky sessions).
// The page refetches what an event touched: the calendar (its section listens for
// "calendar-changed"), the booking page's main section, the bell and the notifications
// list. Events are best-effort: after a dropped connection the calendar is fetched once.
(function () {
  "use strict";

  if (!window.io || !window.htmx) return;

  var DEBOUNCE_MS = 150;
  var OWN_CHANGE_MS = 5000; // a notification this soon after this tab's own action: no toast
  var BOOKING_PATH = /^\/bookings\/(\d+)(?:\/|$)/;
  var NEW_BOOKING_PATH = /^\/coaches\/[^/]+\/book(?:$|[/?])/;

  var socket = window.io({ transports: ["websocket"] });
  var connectedBefore = false;
  var calendarTimer = null;
  var ownBookings = {}; // booking id -> when this tab last acted on it
  var ownBookingRequest = 0; // when this tab last asked for a new booking (id unknown yet)

  function number(value) {
    var n = parseInt(value, 10);
    return isNaN(n) ? null : n;
  }

  function shownCoach() {
    var cal = document.getElementById("calendar");
    return cal ? number(cal.getAttribute("data-coach-id")) : null;
  }

  function shownBooking() {
    var main = document.getElementById("booking-main");
    return main ? number(main.getAttribute("data-booking-id")) : null;
  }

  function refreshCalendar() {
    window.clearTimeout(calendarTimer);
    calendarTimer = window.setTimeout(function () {
      if (document.getElementById("calendar")) window.htmx.trigger(document.body, "calendar-changed");
    }, DEBOUNCE_MS);
  }

  function refreshBooking() {
    var id = shownBooking();
    if (id === null) return;
    window.htmx.ajax("GET", "/bookings/" + id, { target: "#booking-main", swap: "outerHTML" });
  }

  // The newest page of the notifications list (an older page keeps what it shows).
  function refreshNotifications() {
    if (!document.getElementById("nt-main")) return;
    if (new URLSearchParams(window.location.search).has("before")) return;
    window.htmx.ajax("GET", window.location.pathname, { target: "#nt-main", swap: "outerHTML" });
  }

  function showUnread(count) {
    if (typeof count !== "number" || count < 0) return;
    var badge = document.getElementById("unread-count");
    if (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("zero", count === 0);
    }
    var bell = document.getElementById("bell");
    if (bell) bell.setAttribute("aria-label", "Notifications, " + count + " unread");
    var line = document.getElementById("nt-count");
    if (line) line.textContent = count + " unread";
  }

  function causedHere(url) {
    var now = Date.now();
    var match = BOOKING_PATH.exec(url || "");
    if (match && now - (ownBookings[match[1]] || 0) < OWN_CHANGE_MS) return true;
    return Boolean(match) && now - ownBookingRequest < OWN_CHANGE_MS;
  }

  // Remember what this tab changed, so its own changes do not come back as toasts.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail || {};
    if (!detail.verb || detail.verb.toLowerCase() === "get") return;
    var path = detail.path || "";
    var match = BOOKING_PATH.exec(path);
    if (match) ownBookings[match[1]] = Date.now();
    else if (NEW_BOOKING_PATH.test(path)) ownBookingRequest = Date.now();
  });
  // A booking request counts from its answer too: the events may come before it or after.
  document.addEventListener("htmx:afterRequest", function (event) {
    var path = (event.detail && event.detail.requestConfig && event.detail.requestConfig.path) || "";
    if (NEW_BOOKING_PATH.test(path)) ownBookingRequest = Date.now();
  });

  socket.on("connect", function () {
    var coach = shownCoach();
    if (coach !== null) socket.emit("join_calendar", { coach_id: coach }, function () {});
    // Rooms are per connection and events are not replayed: what was missed is fetched.
    if (connectedBefore) {
      refreshCalendar();
      refreshBooking();
    }
    connectedBefore = true;
  });

  socket.on("availability_update", function (data) {
    if (data && data.coach_id === shownCoach()) refreshCalendar();
  });

  socket.on("booking_update", function (data) {
    if (!data) return;
    if (data.coach_id === shownCoach()) refreshCalendar();
    if (data.booking_id === shownBooking()) refreshBooking();
  });

  socket.on("payment_update", function (data) {
    if (data && data.booking_id === shownBooking()) refreshBooking();
  });

  socket.on("notification", function (data) {
    if (!data) return;
    showUnread(data.unread_count);
    if (data.title && !causedHere(data.url) && window.coachbookToast) {
      window.coachbookToast(data.title, "info");
    }
    refreshNotifications();
  });

  socket.on("notification_read", function (data) {
    if (data) showUnread(data.unread_count);
  });
})();
