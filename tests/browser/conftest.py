"""Browser tests: Playwright driving Debian's chromium against the app served on 127.0.0.1.

Every test here is marked ``browser``. ``web`` is the page of a fresh browser context
with the checks every journey shares: no console error, no request to another host, and
helpers to sign in, check accessibility (axe-core: no serious or critical violation),
check a 375 px wide viewport and write screenshots for the README and docs/.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}
# A form refused on purpose answers 400 and htmx swaps the form with its messages in;
# chromium and htmx both log that answer as a console error.
REFUSED_FORM = ("status of 400 (BAD REQUEST)", "Response Status Error Code 400 from ")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_FLAGS}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/Berlin"}


@dataclass
class Web:
    """The page under test, the served app's base URL, and what went wrong on the way."""

    page: object
    base: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    allow_refused_forms: bool = False  # set by a test that submits bad input on purpose

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def sign_in(self, person) -> None:
        page = self.page
        page.goto(self.url("/login"))
        page.get_by_label("E-mail").fill(person.email)
        page.get_by_label("Password").fill(person.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_url(self.url("/"))

    def check_accessibility(self, what: str = "") -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{what or self.page.url}: {blocking}"

    def check_narrow(self, what: str = "") -> None:
        """At 375 px wide the page does not scroll sideways."""
        page = self.page
        size = page.viewport_size
        page.set_viewport_size({"width": 375, "height": 800})
        try:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{what or page.url}: {width} px wide at 375 px"
        finally:
            page.set_viewport_size(size)

    def screenshot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def web(page, served):
    host, port = served
    base = f"http://{host}:{port}"
    checks = Web(page, base)
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not (checks.allow_refused_forms and any(t in message.text for t in REFUSED_FORM))
            and checks.console_errors.append(f"{message.text} @ {page.url}")
        ),
    )
    page.on("pageerror", lambda error: checks.console_errors.append(f"{error} @ {page.url}"))
    page.on(
        "request",
        lambda request: (
            not request.url.startswith((base, "data:", "about:", "blob:"))
            and checks.foreign_requests.append(request.url)
        ),
    )
    yield checks
    assert not checks.console_errors, checks.console_errors
    assert not checks.foreign_requests, checks.foreign_requests
