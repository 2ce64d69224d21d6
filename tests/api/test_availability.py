"""POST, PUT and DELETE /api/bookings/availability: one-off and weekly windows, a whole
series or one occurrence (SPEC sections 4 "Availability", 8 and 8.1)."""

from __future__ import annotations

from datetime import date

import pytest

from models import AvailabilityException, AvailabilityWindow
from tests.api.scheduling import (
    WINDOWS_URL,
    create_window,
    day_range,
    free_time,
    get_calendar,
    local,
    z,
)
from tests.factories import make_client, make_coach, make_session_type
from tests.helpers import assert_error, count

MONDAY, TUESDAY = 3, 4  # June 2030: nothing here depends on today's date
WEEKLY = {"weekdays": ["MO", "WE"], "count": 3}


def berlin(day: int, hour: int, minute: int = 0):
    """A wall-clock time in the coach's zone on a day of June 2030 (UTC+2)."""
    return local(date(2030, 6, day), hour, minute)


def window_url(window_id: int, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{WINDOWS_URL}/{window_id}" + (f"?{suffix}" if suffix else "")


def put(api, path: str, **kwargs):
    return api.request("PUT", path, **kwargs)


def times(day: int, start_hour: int, end_hour: int) -> dict:
    return {"start": berlin(day, start_hour).isoformat(), "end": berlin(day, end_hour).isoformat()}


def free_in_june(api, coach) -> list[tuple[str, str]]:
    return free_time(get_calendar(api, coach.id, day_range(date(2030, 6, 1), 30), as_=coach))


def nothing_written(app, windows: int = 0) -> bool:
    return count(app, AvailabilityWindow) == windows and count(app, AvailabilityException) == 0


def first_three_weekly(api, coach) -> dict:
    """Mondays and Wednesdays 09:00-17:00 from June 3rd, three occurrences."""
    return create_window(api, coach, berlin(MONDAY, 9), berlin(MONDAY, 17), recurrence=WEEKLY)


NINE_TO_FIVE = [
    (z(berlin(3, 9)), z(berlin(3, 17))),
    (z(berlin(5, 9)), z(berlin(5, 17))),
    (z(berlin(10, 9)), z(berlin(10, 17))),
]


# --- creating ---------------------------------------------------------------------------


def test_a_one_off_window_is_created_with_the_resource_shape(app, api):
    coach = make_coach(app)
    response = api.post(WINDOWS_URL, json=times(MONDAY, 9, 17), as_=coach)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"availability"}
    window = body["availability"]
    assert isinstance(window["id"], int)
    assert {k: window[k] for k in ("coach_id", "start", "end")} == {
        "coach_id": coach.id,
        "start": "2030-06-03T07:00:00Z",
        "end": "2030-06-03T15:00:00Z",
    }
    assert window["session_type_id"] is None
    assert window["instant_booking"] is True
    assert window["recurrence"] is None
    assert free_in_june(api, coach) == [("2030-06-03T07:00:00Z", "2030-06-03T15:00:00Z")]


def test_a_weekly_window_with_a_count_has_that_many_occurrences(app, api):
    coach = make_coach(app)
    session_type = make_session_type(app, coach)
    window = create_window(
        api,
        coach,
        berlin(MONDAY, 9),
        berlin(MONDAY, 17),
        recurrence={"weekdays": ["WE", "MO"], "count": 3},
        session_type_id=session_type,
        instant_booking=False,
    )
    assert window["recurrence"] == {"weekdays": ["MO", "WE"], "count": 3}
    assert window["session_type_id"] == session_type
    assert window["instant_booking"] is False
    assert free_in_june(api, coach) == NINE_TO_FIVE


def test_a_weekly_window_until_a_date_ends_on_that_date(app, api):
    coach = make_coach(app)
    window = create_window(
        api,
        coach,
        berlin(MONDAY, 9),
        berlin(MONDAY, 12),
        recurrence={"weekdays": ["MO", "FR"], "until": "2030-06-14"},
    )
    assert window["recurrence"] == {"weekdays": ["MO", "FR"], "until": "2030-06-14"}
    days = [start[:10] for start, _ in free_in_june(api, coach)]
    assert days == ["2030-06-03", "2030-06-07", "2030-06-10", "2030-06-14"]


def test_the_first_occurrence_must_fall_on_a_listed_weekday(app, api):
    coach = make_coach(app)
    payload = {**times(TUESDAY, 9, 17), "recurrence": {"weekdays": ["MO"], "count": 2}}
    response = api.post(WINDOWS_URL, json=payload, as_=coach)
    assert_error(response, 400, "validation_error", ("recurrence.weekdays",))
    assert nothing_written(app)


# --- editing and deleting -----------------------------------------------------------------


def test_editing_the_series_changes_every_occurrence_and_keeps_omitted_fields(app, api):
    coach = make_coach(app)
    session_type = make_session_type(app, coach)
    window = create_window(
        api,
        coach,
        berlin(MONDAY, 9),
        berlin(MONDAY, 17),
        recurrence=WEEKLY,
        session_type_id=session_type,
        instant_booking=False,
    )
    response = put(api, window_url(window["id"]), json=times(MONDAY, 10, 12), as_=coach)
    assert response.status_code == 200
    edited = response.get_json()["availability"]
    assert edited["start"] == "2030-06-03T08:00:00Z"
    assert edited["end"] == "2030-06-03T10:00:00Z"
    assert edited["recurrence"] == {"weekdays": ["MO", "WE"], "count": 3}
    assert edited["session_type_id"] == session_type
    assert edited["instant_booking"] is False
    assert free_in_june(api, coach) == [
        (z(berlin(day, 10)), z(berlin(day, 12))) for day in (3, 5, 10)
    ]


def test_moving_one_occurrence_shows_the_new_time_and_leaves_the_others(app, api):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    occurrence = z(berlin(5, 9))
    response = put(
        api,
        window_url(window["id"], scope="occurrence", occurrence=occurrence),
        json=times(6, 13, 15),
        as_=coach,
    )
    assert response.status_code == 200
    assert free_in_june(api, coach) == [
        NINE_TO_FIVE[0],
        (z(berlin(6, 13)), z(berlin(6, 15))),
        NINE_TO_FIVE[2],
    ]
    moved = get_calendar(api, coach.id, day_range(date(2030, 6, 6)), as_=coach)
    assert [(i["id"], i["occurrence"]) for i in moved] == [(window["id"], occurrence)]


def test_deleting_one_occurrence_removes_only_that_one(app, api):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    path = window_url(window["id"], scope="occurrence", occurrence=z(berlin(5, 9)))
    response = api.delete(path, as_=coach)
    assert response.status_code == 204
    assert free_in_june(api, coach) == [NINE_TO_FIVE[0], NINE_TO_FIVE[2]]


def test_deleting_the_series_removes_every_occurrence(app, api):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    response = api.delete(window_url(window["id"], scope="series"), as_=coach)
    assert response.status_code == 204
    assert free_in_june(api, coach) == []
    assert nothing_written(app)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_an_occurrence_that_does_not_exist_is_not_found(app, api, method):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    for missing in (berlin(4, 9), berlin(3, 10), berlin(12, 9)):  # Tuesday, 10:00, 4th
        path = window_url(window["id"], scope="occurrence", occurrence=z(missing))
        response = api.request(method, path, json=times(4, 9, 10), as_=coach)
        assert_error(response, 404, "not_found")
    assert nothing_written(app, windows=1)
    assert free_in_june(api, coach) == NINE_TO_FIVE


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_one_off_window_has_just_one_occurrence(app, api, method):
    coach = make_coach(app)
    window = create_window(api, coach, berlin(MONDAY, 9), berlin(MONDAY, 17))
    path = window_url(window["id"], scope="occurrence", occurrence=z(berlin(MONDAY, 10)))
    response = api.request(method, path, json=times(4, 9, 10), as_=coach)
    assert_error(response, 404, "not_found")
    assert free_in_june(api, coach) == [NINE_TO_FIVE[0]]
    path = window_url(window["id"], scope="occurrence", occurrence=z(berlin(MONDAY, 9)))
    assert api.request(method, path, json=times(4, 9, 10), as_=coach).status_code < 300


@pytest.mark.parametrize("day", [1, 20], ids=["before the series", "after the series"])
def test_an_occurrence_moved_outside_the_series_dates_shows_on_its_new_day(app, api, day):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    path = window_url(window["id"], scope="occurrence", occurrence=z(berlin(10, 9)))
    assert put(api, path, json=times(day, 9, 12), as_=coach).status_code == 200
    moved = get_calendar(api, coach.id, day_range(date(2030, 6, day)), as_=coach)
    assert free_time(moved) == [(z(berlin(day, 9)), z(berlin(day, 12)))]
    assert moved[0]["occurrence"] == z(berlin(10, 9))


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_window_that_does_not_exist_is_not_found(app, api, method):
    coach = make_coach(app)
    response = api.request(method, window_url(123456), json=times(3, 9, 10), as_=coach)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize(
    "scope", [{}, {"scope": "occurrence", "occurrence": "2030-06-05T07:00:00Z"}]
)
@pytest.mark.parametrize("privacy, status", [("public", 403), ("connected", 404), ("private", 404)])
def test_another_coachs_window_is_forbidden_or_unknown(app, api, method, scope, privacy, status):
    """403 to a coach who may see the calendar (and so the window); to one who may not,
    the 404 a missing window gets."""
    owner, other = make_coach(app, calendar_privacy=privacy), make_coach(app)
    window = first_three_weekly(api, owner)
    response = api.request(
        method, window_url(window["id"], **scope), json=times(3, 10, 11), as_=other
    )
    assert_error(response, status, "forbidden" if status == 403 else "not_found")
    if status == 404:
        missing = api.request(
            method, window_url(2_000_000_000, **scope), json=times(3, 10, 11), as_=other
        )
        assert response.get_json() == missing.get_json()
    assert nothing_written(app, windows=1)
    assert free_in_june(api, owner) == NINE_TO_FIVE


def test_a_client_may_not_create_or_change_availability(app, api):
    coach, client = make_coach(app), make_client(app)
    window = first_three_weekly(api, coach)
    assert_error(api.post(WINDOWS_URL, json=times(3, 9, 17), as_=client), 403, "forbidden")
    assert_error(
        put(api, window_url(window["id"]), json=times(3, 9, 10), as_=client), 403, "forbidden"
    )
    assert_error(api.delete(window_url(window["id"]), as_=client), 403, "forbidden")
    assert nothing_written(app, windows=1)


def test_signed_out_callers_get_401(app, api):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    assert_error(api.post(WINDOWS_URL, json=times(3, 9, 17)), 401, "unauthorized")
    assert_error(put(api, window_url(window["id"]), json=times(3, 9, 10)), 401, "unauthorized")
    assert_error(api.delete(window_url(window["id"])), 401, "unauthorized")
    assert_error(
        api.post(WINDOWS_URL, json=times(3, 9, 17), headers={"Authorization": "Bearer nope"}),
        401,
        "unauthorized",
    )
    assert nothing_written(app, windows=1)


# --- bad input: 400 with details, nothing written ------------------------------------------

MONDAY_9_TO_5 = times(MONDAY, 9, 17)
BAD_WINDOWS = {
    "naive start": ({**MONDAY_9_TO_5, "start": "2030-06-03T09:00:00"}, "start"),
    "naive end": ({**MONDAY_9_TO_5, "end": "2030-06-03T17:00:00"}, "end"),
    "end before start": (times(MONDAY, 17, 9), "end"),
    "end equal to start": (times(MONDAY, 9, 9), "end"),
    "one-off longer than 7 days": (
        {"start": berlin(3, 9).isoformat(), "end": berlin(10, 9, 15).isoformat()},
        "end",
    ),
    "weekday XX": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": ["MO", "XX"]}},
        "recurrence.weekdays.1",
    ),
    "weekday in lower case": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": ["mo"]}},
        "recurrence.weekdays.0",
    ),
    "no weekdays": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": [], "count": 2}},
        "recurrence.weekdays",
    ),
    "until and count": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": ["MO"], "until": "2030-07-01", "count": 2}},
        "recurrence.count",
    ),
    "until before start": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": ["MO"], "until": "2030-06-02"}},
        "recurrence.until",
    ),
    "count 0": (
        {**MONDAY_9_TO_5, "recurrence": {"weekdays": ["MO"], "count": 0}},
        "recurrence.count",
    ),
}


@pytest.mark.parametrize("payload, field", BAD_WINDOWS.values(), ids=BAD_WINDOWS.keys())
def test_bad_windows_are_refused_and_nothing_is_written(app, api, payload, field):
    coach = make_coach(app)
    response = api.post(WINDOWS_URL, json=payload, as_=coach)
    assert_error(response, 400, "validation_error", (field,))
    assert nothing_written(app)


def test_another_coachs_session_type_is_refused(app, api):
    coach, other = make_coach(app), make_coach(app)
    foreign_type = make_session_type(app, other)
    response = api.post(
        WINDOWS_URL, json={**MONDAY_9_TO_5, "session_type_id": foreign_type}, as_=coach
    )
    assert_error(response, 400, "validation_error", ("session_type_id",))
    assert nothing_written(app)


def test_malformed_json_is_refused(app, api):
    coach = make_coach(app)
    response = api.post(
        WINDOWS_URL,
        data='{"start": "2030-06-03T09:00:00+02:00",',
        content_type="application/json",
        as_=coach,
    )
    error = assert_error(response, 400, "validation_error")
    assert error["details"]
    assert nothing_written(app)


@pytest.mark.parametrize(
    "query, field",
    [({"scope": "occurrence"}, "occurrence"), ({"scope": "bogus"}, "scope")],
    ids=["occurrence scope without occurrence", "unknown scope"],
)
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_bad_scope_is_refused_and_nothing_changes(app, api, method, query, field):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    response = api.request(
        method, window_url(window["id"], **query), json=times(5, 13, 14), as_=coach
    )
    assert_error(response, 400, "validation_error", (field,))
    assert nothing_written(app, windows=1)
    assert free_in_june(api, coach) == NINE_TO_FIVE


def test_a_bad_series_edit_is_refused_and_nothing_changes(app, api):
    coach = make_coach(app)
    window = first_three_weekly(api, coach)
    for payload, field in BAD_WINDOWS.values():
        response = put(api, window_url(window["id"]), json=payload, as_=coach)
        assert_error(response, 400, "validation_error", (field,))
    assert nothing_written(app, windows=1)
    assert free_in_june(api, coach) == NINE_TO_FIVE
