"""The coach's availability editor /coach/availability (SPEC 4 "Availability", 6, 8.2): the
page and its fragments, creating one-off windows and weekly series with the values the
API stores, validation next to the fields with nothing written, editing and deleting one
occurrence or the series, the free-time preview, the new-window dialog the calendar opens,
CSRF, who may see what, and escaping. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from extensions import db
from models import AvailabilityException, AvailabilityWindow
from tests.api.scheduling import MONDAY, WINDOWS_URL, create_window, local, z
from tests.factories import PASSWORD, make_booking, make_client, make_coach, make_session_type
from tests.helpers import count, csrf_token, web_login

HTMX = {"HX-Request": "true"}
PAGE = "/coach/availability"
NEW = "/coach/availability/new"
MISSING = 2_000_000_000
WEEK = MONDAY.isoformat()
SKIPPED = {"id", "created_at", "updated_at"}


def _browser(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, PASSWORD).status_code == 302
    return browser


def _token(browser) -> str:
    return csrf_token(browser, "/dashboard")


def _post(browser, url, data, htmx=True, token=True):
    data = dict(data)
    if token:
        data["csrf_token"] = _token(browser)
    return browser.post(url, data=data, headers=HTMX if htmx else {})


def _weekly(**changes) -> dict:
    values = {
        "new-kind_choice": "weekly",
        "new-weekdays": ["MO", "WE"],
        "new-start_time": "09:00",
        "new-end_time": "17:00",
        "new-from_date": WEEK,
        "new-until": (MONDAY + timedelta(weeks=4)).isoformat(),
        "new-instant_booking": "y",
    }
    return {k: v for k, v in (values | changes).items() if v is not None}


def _one_off(**changes) -> dict:
    values = {
        "new-kind_choice": "one_off",
        "new-start": f"{WEEK}T09:00",
        "new-end": f"{WEEK}T12:30",
        "new-instant_booking": "y",
    }
    return {k: v for k, v in (values | changes).items() if v is not None}


def _rows(app, coach_id) -> list[dict]:
    with app.app_context():
        windows = db.session.scalars(
            db.select(AvailabilityWindow)
            .where(AvailabilityWindow.coach_id == coach_id)
            .order_by(AvailabilityWindow.id)
        )
        return [
            {c.key: getattr(w, c.key) for c in AvailabilityWindow.__table__.columns}
            for w in windows
        ]


def _stored(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in SKIPPED}


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">([^<]*)<', html)
    assert match, f"no message next to {field_id}: {html[:3000]}"
    return match.group(1)


def _occurrence_url(kind: str, window_id: int, start) -> str:
    path = {"edit": "occurrence", "delete": "delete"}[kind]
    return f"/coach/availability/{window_id}/{path}?occurrence={z(start)}"


# --- the page ------------------------------------------------------------------------


def test_the_page_is_for_coaches_signed_out_visitors_go_to_sign_in(app, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    person = make_client(app)
    response = _browser(app, person).get(PAGE)
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    assert _browser(app, person).get(NEW).status_code == 403


def test_the_full_page_and_the_htmx_listing_fragment(app, api):
    coach = make_coach(app)
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 17))
    browser = _browser(app, coach)
    page = browser.get(f"{PAGE}?week={WEEK}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" in html and "Add availability" in html
    assert 'id="avail-listing"' in html and "Europe/Berlin" in html
    fragment = browser.get(f"{PAGE}?week={WEEK}", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and "Add availability" not in fragment
    assert fragment.lstrip().startswith('<div id="avail-listing"')
    assert 'hx-trigger="calendar-changed from:body"' in fragment
    assert "Once: Mon" in fragment and "09:00\u201317:00" in fragment
    assert "Edit this occurrence" in fragment and "Delete this occurrence" in fragment
    later = (MONDAY + timedelta(weeks=4)).isoformat()
    assert f"week={later}" in fragment


def test_a_bad_week_is_a_400_not_a_500(app):
    browser = _browser(app, make_coach(app))
    for week in ("soon", "2027-02-30", "9999-01-01", "0001-01-01"):
        assert browser.get(f"{PAGE}?week={week}").status_code == 400
        response = browser.get(f"{PAGE}?week={week}", headers=HTMX)
        assert response.status_code == 400
        assert "toast" in _triggers(response)


# --- creating ------------------------------------------------------------------------


def test_a_weekly_series_from_the_page_is_stored_as_the_api_stores_it(app, api):
    coach = make_coach(app)
    type_id = make_session_type(app, coach, name="Deep work")
    browser = _browser(app, coach)
    data = _weekly(**{"new-session_type_id": str(type_id), "new-instant_booking": None})
    response = _post(browser, PAGE, data)
    assert response.status_code == 200, response.get_data(as_text=True)
    triggers = _triggers(response)
    assert "calendar-changed" in triggers
    assert triggers["toast"]["items"][0] == {"message": "Availability added.", "level": "success"}
    assert 'id="avail-create-form"' in response.get_data(as_text=True)  # a fresh form
    create_window(
        api,
        coach,
        local(MONDAY, 9),
        local(MONDAY, 17),
        session_type_id=type_id,
        instant_booking=False,
        recurrence={"weekdays": ["MO", "WE"], "until": data["new-until"]},
    )
    page_row, api_row = _rows(app, coach.id)
    assert _stored(page_row) == _stored(api_row)
    assert page_row["recurrence_weekdays"] == "MO,WE" and page_row["instant_booking"] is False


def test_the_first_occurrence_is_the_first_chosen_weekday_from_the_start_day(app, api):
    coach = make_coach(app)
    browser = _browser(app, coach)
    tuesday = (MONDAY + timedelta(days=1)).isoformat()
    data = _weekly(**{"new-from_date": tuesday, "new-until": None, "new-count": "5"})
    assert _post(browser, PAGE, data).status_code == 200
    create_window(
        api,
        coach,
        local(MONDAY + timedelta(days=2), 9),
        local(MONDAY + timedelta(days=2), 17),
        recurrence={"weekdays": ["MO", "WE"], "count": 5},
    )
    page_row, api_row = _rows(app, coach.id)
    assert _stored(page_row) == _stored(api_row)


def test_a_one_off_window_without_htmx_redirects_back(app, api):
    coach = make_coach(app)
    browser = _browser(app, coach)
    response = _post(browser, PAGE, _one_off(), htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PAGE)
    assert "Availability added." in browser.get(PAGE).get_data(as_text=True)  # the flash
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 12, 30))
    page_row, api_row = _rows(app, coach.id)
    assert _stored(page_row) == _stored(api_row)
    assert page_row["recurrence_weekdays"] is None


BAD_INPUT = {
    "end before start": (_one_off(**{"new-end": f"{WEEK}T08:00"}), "new-end", "Must be after"),
    "weekly end before start": (
        _weekly(**{"new-end_time": "08:00"}),
        "new-end_time",
        "Must be after",
    ),
    "no weekday": (_weekly(**{"new-weekdays": None}), "new-weekdays", "at least one weekday"),
    "an unknown weekday": (_weekly(**{"new-weekdays": ["XX"]}), "new-weekdays", "valid choice"),
    "until before start": (
        _weekly(**{"new-until": (MONDAY - timedelta(days=1)).isoformat()}),
        "new-until",
        "Must not be before the first occurrence.",
    ),
    "until and count": (_weekly(**{"new-count": "3"}), "new-count", "not both"),
    "a count of zero": (_weekly(**{"new-until": None, "new-count": "0"}), "new-count", "1 to 520"),
    "until years away": (
        _weekly(**{"new-until": (MONDAY + timedelta(days=800)).isoformat()}),
        "new-until",
        "At most 2 years ahead.",
    ),
    "a start in year 9999": (
        _weekly(**{"new-from_date": "9999-12-31", "new-until": None}),
        "new-from_date",
        "1970 to 2199",
    ),
    "a one-off in year 9999": (
        _one_off(**{"new-start": "9999-12-31T23:00"}),
        "new-start",
        "1970 to 2199",
    ),
    "a one-off of ten days": (
        _one_off(**{"new-end": f"{(MONDAY + timedelta(days=10)).isoformat()}T09:00"}),
        "new-end",
        "at most 7 days",
    ),
    "no start": (_one_off(**{"new-start": None}), "new-start", "required"),
    "a start that is not a time": (_one_off(**{"new-start": "tomorrow"}), "new-start", "valid"),
    "no times for a series": (_weekly(**{"new-start_time": ""}), "new-start_time", "required"),
    "a session type id that is not a number": (
        _one_off(**{"new-session_type_id": "abc"}),
        "new-session_type_id",
        "Not one of your session types.",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(app, case):
    data, field_id, message = BAD_INPUT[case]
    browser = _browser(app, make_coach(app))
    response = _post(browser, PAGE, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="avail-create-form"')
    assert message in _error_of(html, field_id)
    assert f'aria-describedby="{field_id}-error"' in html
    assert count(app, AvailabilityWindow) == 0
    page = _post(browser, PAGE, data, htmx=False)  # without htmx: the whole page, same message
    assert page.status_code == 400
    assert message in _error_of(page.get_data(as_text=True), field_id)
    assert count(app, AvailabilityWindow) == 0


def test_another_coachs_session_type_is_refused_as_the_api_refuses_it(app, api):
    coach, other = make_coach(app), make_coach(app)
    foreign_type = make_session_type(app, other)
    browser = _browser(app, coach)
    response = _post(browser, PAGE, _one_off(**{"new-session_type_id": str(foreign_type)}))
    assert response.status_code == 400
    message = _error_of(response.get_data(as_text=True), "new-session_type_id")
    refused = api.post(
        WINDOWS_URL,
        json={
            "start": z(local(MONDAY, 9)),
            "end": z(local(MONDAY, 12)),
            "session_type_id": foreign_type,
        },
        as_=coach,
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"]["details"]["session_type_id"] == [message]
    assert count(app, AvailabilityWindow) == 0


# --- editing and deleting ------------------------------------------------------------


def _series(api, coach, **extra) -> dict:
    return create_window(
        api,
        coach,
        local(MONDAY, 9),
        local(MONDAY, 17),
        recurrence={"weekdays": ["MO", "WE"], "count": 6},
        **extra,
    )


def test_editing_one_occurrence_moves_only_it(app, api):
    coach = make_coach(app)
    window = _series(api, coach)
    browser = _browser(app, coach)
    wednesday = MONDAY + timedelta(days=2)
    url = _occurrence_url("edit", window["id"], local(wednesday, 9))
    dialog = browser.get(url, headers=HTMX).get_data(as_text=True)
    assert dialog.lstrip().startswith('<dialog class="modal')
    assert f'value="{wednesday.isoformat()}T09:00"' in dialog
    assert f'value="{wednesday.isoformat()}T17:00"' in dialog
    data = {"occ-start": f"{wednesday.isoformat()}T10:00", "occ-end": f"{wednesday}T12:00"}
    response = _post(browser, url, data)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#modal-root"
    assert response.get_data(as_text=True) == ""
    assert "calendar-changed" in _triggers(response)
    with app.app_context():
        (edit,) = db.session.scalars(db.select(AvailabilityException)).all()
        assert (edit.kind, edit.start_at, edit.end_at, edit.instant_booking) == (
            "modified",
            local(wednesday, 10),
            local(wednesday, 12),
            False,
        )
    listing = browser.get(f"{PAGE}?week={WEEK}", headers=HTMX).get_data(as_text=True)
    assert "10:00\u201312:00" in listing and "changed" in listing


def test_a_bad_occurrence_edit_keeps_the_dialog_with_the_message(app, api):
    coach = make_coach(app)
    window = _series(api, coach)
    browser = _browser(app, coach)
    url = _occurrence_url("edit", window["id"], local(MONDAY, 9))
    response = _post(browser, url, {"occ-start": f"{WEEK}T10:00", "occ-end": f"{WEEK}T09:00"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "Must be after start." in _error_of(
        html, "occ-end"
    )
    assert count(app, AvailabilityException) == 0
    not_one = _occurrence_url("edit", window["id"], local(MONDAY, 10))
    assert browser.get(not_one).status_code == 404
    for bad in ("soon", "2027-01-04T09:00", "9999-12-31T23:00:00-05:00"):
        bad_url = f"/coach/availability/{window['id']}/occurrence?occurrence={bad}"
        assert browser.get(bad_url).status_code == 400


def test_editing_the_series_changes_it_whole(app, api):
    coach = make_coach(app)
    window = _series(api, coach)
    browser = _browser(app, coach)
    url = f"/coach/availability/{window['id']}/edit"
    dialog = browser.get(url, headers=HTMX).get_data(as_text=True)
    assert "Edit the series" in dialog
    assert 'value="09:00"' in dialog and 'value="6"' in dialog
    assert re.search(r'value="MO"[^>]*checked|checked[^>]*value="MO"', dialog)
    data = {
        "series-kind_choice": "weekly",
        "series-weekdays": ["MO"],
        "series-start_time": "08:00",
        "series-end_time": "16:00",
        "series-from_date": WEEK,
        "series-count": "3",
    }
    response = _post(browser, url, data)
    assert response.status_code == 200, response.get_data(as_text=True)
    (row,) = _rows(app, coach.id)
    assert (row["start_at"], row["end_at"]) == (local(MONDAY, 8), local(MONDAY, 16))
    assert (row["recurrence_weekdays"], row["recurrence_count"]) == ("MO", 3)
    assert row["instant_booking"] is False  # the box was not ticked
    refused = _post(browser, url, data | {"series-weekdays": []})
    assert refused.status_code == 400
    assert "at least one weekday" in _error_of(refused.get_data(as_text=True), "series-weekdays")


def test_deleting_one_occurrence_then_the_series(app, api):
    coach = make_coach(app)
    window = _series(api, coach)
    browser = _browser(app, coach)
    url = _occurrence_url("delete", window["id"], local(MONDAY, 9))
    confirm = browser.get(url, headers=HTMX).get_data(as_text=True)
    assert "Delete this occurrence?" in confirm and "Only the occurrence" in confirm
    assert "Delete the whole series?" not in confirm
    response = _post(browser, url, {})
    assert response.status_code == 200
    assert _triggers(response)["toast"]["items"][0]["message"] == "Occurrence deleted."
    with app.app_context():
        (edit,) = db.session.scalars(db.select(AvailabilityException)).all()
        assert (edit.kind, edit.occurrence_start) == ("deleted", local(MONDAY, 9))
    assert browser.get(url).status_code == 404  # it is gone
    series_url = f"/coach/availability/{window['id']}/delete"
    confirm = browser.get(series_url, headers=HTMX).get_data(as_text=True)
    assert "Delete the whole series?" in confirm and "with all its occurrences" in confirm
    page = _post(browser, series_url, {}, htmx=False)
    assert page.status_code == 302
    assert count(app, AvailabilityWindow) == 0


# --- the preview ---------------------------------------------------------------------


def test_the_preview_leaves_out_a_booked_hour(app, api):
    coach, person = make_coach(app), make_client(app)
    type_id = make_session_type(app, coach)
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 17))
    browser = _browser(app, coach)
    before = browser.get(f"{PAGE}?week={WEEK}", headers=HTMX).get_data(as_text=True)
    assert 'class="avail-times">09:00\u201317:00<' in before
    make_booking(app, coach, person, type_id, local(MONDAY, 10), local(MONDAY, 11))
    after = browser.get(f"{PAGE}?week={WEEK}", headers=HTMX).get_data(as_text=True)
    assert 'class="avail-times">09:00\u201310:00, 11:00\u201317:00<' in after
    assert 'data-from="540" data-to="600"' in after and 'data-from="660" data-to="1020"' in after
    assert person.name not in after  # a preview of free time, nobody's booking


# --- the new-window dialog of the calendar -------------------------------------------


def test_the_new_window_dialog_is_prefilled_and_creates_the_window(app, api):
    coach = make_coach(app)
    browser = _browser(app, coach)
    query = {"start": z(local(MONDAY, 9)), "end": z(local(MONDAY, 10, 30))}
    dialog = browser.get(NEW, query_string=query, headers=HTMX)
    html = dialog.get_data(as_text=True)
    assert dialog.status_code == 200
    assert html.lstrip().startswith('<dialog class="modal')
    assert f'value="{WEEK}T09:00"' in html and f'value="{WEEK}T10:30"' in html
    page = browser.get(NEW, query_string=query).get_data(as_text=True)
    assert "<dialog" not in page and "<h1>Add a one-off window</h1>" in page
    data = {"win-start": f"{WEEK}T09:00", "win-end": f"{WEEK}T10:30", "win-instant_booking": "y"}
    response = _post(browser, NEW, data)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert response.headers["HX-Retarget"] == "#modal-root"
    triggers = _triggers(response)
    assert "calendar-changed" in triggers and triggers["toast"]["items"][0]["level"] == "success"
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 10, 30))
    page_row, api_row = _rows(app, coach.id)
    assert _stored(page_row) == _stored(api_row)
    direct = _post(browser, NEW, data, htmx=False)
    assert direct.status_code == 302 and direct.headers["Location"].endswith(PAGE)


def test_the_new_window_dialog_shows_messages_in_its_form(app):
    browser = _browser(app, make_coach(app))
    response = _post(browser, NEW, {"win-start": f"{WEEK}T09:00", "win-end": f"{WEEK}T08:00"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and 'hx-post="/coach/availability/new"' in html
    assert "Must be after start." in _error_of(html, "win-end")
    page = _post(browser, NEW, {"win-start": f"{WEEK}T09:00", "win-end": f"{WEEK}T08:00"}, False)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "<h1>Add a one-off window</h1>" in html and "hx-post" not in html.split("<main")[1]
    assert "Must be after start." in _error_of(html, "win-end")
    assert count(app, AvailabilityWindow) == 0


@pytest.mark.parametrize(
    "query",
    [
        {"start": "soon", "end": "later"},
        {"start": "2027-01-04T09:00", "end": "2027-01-04T10:00"},  # no offset
        {"start": "9999-12-31T23:00:00-05:00", "end": "9999-12-31T23:30:00-05:00"},
        {"start": "2027-01-04T10:00:00Z", "end": "2027-01-04T09:00:00Z"},
        {"start": "2027-01-04T10:00:00Z"},
    ],
)
def test_bad_start_or_end_for_the_dialog_is_a_400(app, query):
    browser = _browser(app, make_coach(app))
    page = browser.get(NEW, query_string=query)
    assert page.status_code == 400
    assert "That did not work" in page.get_data(as_text=True)
    fragment = browser.get(NEW, query_string=query, headers=HTMX)
    assert fragment.status_code == 400
    assert _triggers(fragment)["toast"]["items"][0]["level"] == "error"


# --- CSRF, privacy, escaping ---------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(app, api):
    coach = make_coach(app)
    window = _series(api, coach)
    browser = _browser(app, coach)
    for url, data in (
        (PAGE, _one_off()),
        (NEW, {"win-start": f"{WEEK}T09:00", "win-end": f"{WEEK}T10:00"}),
        (f"/coach/availability/{window['id']}/delete", {}),
        (_occurrence_url("delete", window["id"], local(MONDAY, 9)), {}),
    ):
        assert _post(browser, url, data, token=False).status_code == 400
        assert _post(browser, url, data, htmx=False, token=False).status_code == 400
    assert count(app, AvailabilityWindow) == 1 and count(app, AvailabilityException) == 0


def _window_urls(window_id: int) -> list[str]:
    return [
        f"/coach/availability/{window_id}/edit",
        f"/coach/availability/{window_id}/delete",
        _occurrence_url("edit", window_id, local(MONDAY, 9)),
        _occurrence_url("delete", window_id, local(MONDAY, 9)),
    ]


@pytest.mark.parametrize("privacy", ["connected", "private"])
def test_another_coachs_window_is_a_404_like_a_missing_one(app, api, privacy):
    owner = make_coach(app, calendar_privacy=privacy)
    window = _series(api, owner)
    browser = _browser(app, make_coach(app))
    token = _token(browser)
    for url, missing in zip(_window_urls(window["id"]), _window_urls(MISSING), strict=True):
        for method in ("GET", "POST"):
            answer = browser.open(url, method=method, data={"csrf_token": token})
            assert answer.status_code == 404, (method, url)
            assert (
                browser.open(missing, method=method, data={"csrf_token": token}).status_code == 404
            )
    assert count(app, AvailabilityWindow) == 1 and count(app, AvailabilityException) == 0


def test_a_public_coachs_window_is_a_403_for_another_coach(app, api):
    owner = make_coach(app, calendar_privacy="public")
    window = _series(api, owner)
    browser = _browser(app, make_coach(app))
    token = _token(browser)
    for url in _window_urls(window["id"]):
        assert browser.get(url).status_code == 403
        assert browser.post(url, data={"csrf_token": token}).status_code == 403
    assert count(app, AvailabilityWindow) == 1 and count(app, AvailabilityException) == 0
    client_browser = _browser(app, make_client(app))
    for url in _window_urls(window["id"]):
        assert client_browser.get(url).status_code == 403


def test_session_type_names_are_escaped(app, api):
    coach = make_coach(app)
    name = '<script>alert("x")</script> & Co'
    type_id = make_session_type(app, coach, name=name)
    window = create_window(api, coach, local(MONDAY, 9), local(MONDAY, 17), session_type_id=type_id)
    browser = _browser(app, coach)
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"
    for url in (
        f"{PAGE}?week={WEEK}",
        NEW,
        f"/coach/availability/{window['id']}/edit",
    ):
        html = browser.get(url).get_data(as_text=True)
        assert escaped in html, url
        assert "<script>alert" not in html, url
