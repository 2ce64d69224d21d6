"""The browser setup itself: chromium starts, pages load under the CSP without console
errors, the toast region and the bell are there, and axe finds nothing blocking."""

from __future__ import annotations

from tests.factories import make_client


def test_the_landing_page_loads_signed_out_and_signed_in(app, web):
    web.goto("/")
    assert web.page.get_by_role("link", name="Create account").is_visible()
    web.check_accessibility("landing page")
    web.check_narrow("landing page")
    client = make_client(app, name="Ada Client")
    web.sign_in(client)
    assert web.page.locator("#toasts .toast").first.inner_text().startswith("Signed in")
    assert web.page.locator("#bell").get_attribute("aria-label") == "Notifications, 0 unread"
    web.check_accessibility("dashboard")
