from tests.factories import make_coach
from tests.helpers import assert_error


def test_me_answers_the_signed_in_coach(app, api):
    coach = make_coach(app, name="Dana")
    response = api.get("/api/me", as_=coach)
    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "Dana"


def test_me_without_credentials_is_401(api):
    assert_error(api.get("/api/me"), 401, "unauthorized")
