"""Refresh the README screenshots: ``python scripts/screenshots.py http://127.0.0.1:5000``.

Needs a running, seeded site (``make run``) and Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main(base_url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(f"{base_url}/")
        page.screenshot(path=OUT / "landing.png", full_page=True)
        page.goto(f"{base_url}/login")
        page.fill("#email", "coach@example.com")
        page.fill("#password", "demo-coach-pass")
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        page.screenshot(path=OUT / "dashboard-coach.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
