"""Take the README screenshots of the main pages with the demo data (Playwright + Debian Chromium).

    .venv/bin/python manage.py seed_demo            # once, on the database the server uses
    .venv/bin/python manage.py runserver 127.0.0.1:8000 &
    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000]

Logs in as the demo accounts (password caseqa-demo) and writes PNGs next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "caseqa-demo"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")


def shot(page, name: str, full: bool = False) -> None:
    page.wait_for_timeout(1200)  # let the charts finish their animation
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=full)
    print("wrote", name)


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        sign_in(page, base, "team_lead")
        shot(page, "team-dashboard")
        page.locator("#table-change").scroll_into_view_if_needed()
        shot(page, "team-dashboard-details")
        page.locator("table[data-table=extras] tbody a").last.click()
        page.wait_for_load_state("networkidle")
        shot(page, "drill-down-case-list")
        page.locator("table[data-table=cases] tbody a").first.click()
        page.wait_for_load_state("networkidle")
        shot(page, "case-page", full=True)
        sign_in(page, base, "leader")
        shot(page, "unit-dashboard")
        sign_in(page, base, "prosecutor")
        shot(page, "prosecutor-dashboard")
        sign_in(page, base, "clerk")
        shot(page, "work-queue")
        page.goto(f"{base}/imports/upload/")
        bad = HERE / "bad-events.csv"
        bad.write_text("case_no,event,date\n无此案号,supplementary_investigation,2025-03-01\n", encoding="utf-8")
        page.set_input_files("#id_file", str(bad))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("[data-import-ok]")
        bad.unlink()
        shot(page, "import-report")
        sign_in(page, base, "team_lead")
        page.select_option("#language-select", "en")
        page.click("#language-submit")
        page.wait_for_load_state("networkidle")
        shot(page, "team-dashboard-en")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
