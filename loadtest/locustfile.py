"""Load test: tens of logged-in users reading dashboards and statistics while clerks log events.

Run by loadtest/run.sh (loopback only, bounded users and time) against gunicorn + PostgreSQL with
the demo data; every request must succeed (a refusal by a sequence rule would be a test bug: the
writers only log valid sequences on cases they register themselves).
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import re
import uuid

from locust import HttpUser, between, task

PASSWORD = os.getenv("LOAD_PASSWORD", "caseqa-demo")
_serial = itertools.count(1)
_RUN = uuid.uuid4().hex[:6].upper()


class Session(HttpUser):
    """A logged-in browser session; unsafe requests carry the CSRF token like the pages' own forms."""

    abstract = True
    username = ""

    def on_start(self) -> None:
        login = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")
        self.csrf = self.client.cookies.get("csrftoken")
        self.teams = [t["team_code"] for t in self.get_json("/api/v1/teams/", "teams")["results"]]
        self.units = [u["code"] for u in self.get_json("/api/v1/units/", "units")["results"]]

    def get_json(self, url: str, name: str, **params) -> dict:
        response = self.client.get(url, params=params, name=name)
        response.raise_for_status()
        return response.json()

    def post_json(self, url: str, body: dict, name: str) -> dict:
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + "/"}
        response = self.client.post(url, json=body, headers=headers, name=name)
        response.raise_for_status()
        return response.json()


class Reader(Session):
    """Leadership and team leads, prosecutors: their dashboards and the statistics API."""

    weight = 4
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.username = random.choice(["leader", "leader", "team_lead", "prosecutor"])
        super().on_start()

    @task(3)
    def landing(self) -> None:
        # Each role lands on its own dashboard (team, prosecutor or unit).
        self.client.get("/", name="landing (own dashboard)")

    @task(3)
    def team_dashboard(self) -> None:
        if self.username == "leader" and self.teams:
            self.client.get(f"/teams/{random.choice(self.teams)}/", name="team dashboard")

    @task(2)
    def unit_dashboard(self) -> None:
        if self.username == "leader" and self.units:
            self.client.get(f"/units/{random.choice(self.units)}/", name="unit dashboard")

    @task(4)
    def ratio_by_month(self) -> None:
        year = random.choice([2025, 2026])
        self.get_json(
            "/api/v1/stats/ratio/",
            "stats/ratio month,team",
            group_by="month,team",
            basis=random.choice(["flow", "cohort"]),
            date_from=f"{year}-01-01",
            date_to=f"{year}-12-31",
        )

    @task(2)
    def ratio_by_unit(self) -> None:
        self.get_json("/api/v1/stats/ratio/", "stats/ratio unit,quarter", group_by="unit,quarter")

    @task(1)
    def indicators(self) -> None:
        self.get_json("/api/v1/stats/indicators/", "stats/indicators", group_by="unit")

    @task(1)
    def at_risk(self) -> None:
        self.get_json("/api/v1/cases/at-risk/", "cases/at-risk")


class Clerk(Session):
    """Case management: registers a case, then logs a valid sequence of its procedural events."""

    weight = 1
    wait_time = between(0.5, 1.5)
    username = "clerk"

    def on_start(self) -> None:
        super().on_start()
        prosecutors = self.get_json("/api/v1/prosecutors/", "prosecutors")["results"]
        self.staff_codes = [p["staff_code"] for p in prosecutors]

    @task
    def register_and_log(self) -> None:
        case_no = f"检刑受[2026]L{_RUN}{next(_serial):06d}号"
        body = {"case_no": case_no, "title": "负载测试案件", "prosecutor": random.choice(self.staff_codes)}
        self.post_json("/api/v1/cases/", body, "cases (register)")
        start = datetime.date(2026, 1, 5) + datetime.timedelta(days=random.randint(0, 200))
        steps = [("prosecution_review", 0), ("supplementary_investigation", 10), ("resubmission", 40)]
        steps += random.choice([[("review_extension", 45)], [("supplementary_investigation", 50)], []])
        for code, offset in steps:
            day = start + datetime.timedelta(days=offset)
            self.post_json("/api/v1/events/", {"case": case_no, "event": code, "date": day.isoformat()}, "events (log)")
