"""Backup and restore round trips: every count, ratio, review and login comes back identical.

The portable pair (export_portable / import_portable, scripts/backup.sh on SQLite) runs on both
databases; the pg_dump pair (scripts/backup.sh + scripts/restore.sh) runs when the suite is on
PostgreSQL, whose test database is then backed up, emptied and restored in place.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection

from cases import backup, rollup, services
from cases.models import Case, Finding, ProceduralEvent, QualityReview, ReviewTransition
from cases.ratio import ratio_for
from teams.models import ApiToken, Membership, Prosecutor
from tests.reviews_kit import closed_case, final_review, make_review_office

D = datetime.date
REPO = Path(__file__).resolve().parent.parent
ROUND_TRIP = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def build_office_data() -> None:
    """An office with open and closed cases, extras, a correction, final reviews, logins and a token."""
    ro = make_review_office()
    p1, p2, p3 = ro.prosecutors
    team = ro.office.team
    c1 = closed_case(p1, D(2025, 3, 20), [("supplementary_investigation", D(2025, 2, 25))], team=team)
    c2 = closed_case(p2, D(2025, 4, 10), [("review_extension", D(2025, 3, 25))], title="张某某涉嫌诈骗案")
    open_case = Case.objects.create(
        case_no="检刑受[2025]900001号", title="李某涉嫌盗窃案", unit=p3.unit, department=p3.department, prosecutor=p3
    )
    services.log_event(open_case, "arrest_review", D(2025, 5, 2))
    services.log_event(open_case, "arrest_reconsideration", D(2025, 5, 12))
    event = services.log_event(open_case, "prosecution_review", D(2025, 6, 1), note="原备注")
    services.update_event(event, note="更正后的备注")  # leaves an audit entry
    closed_case(p3, D(2025, 7, 1), [("state_compensation", D(2025, 8, 3))])
    final_review(c1, ro.reviewer, [("PR-F01", 2, "未及时告知")], on=D(2025, 5, 1))
    final_review(c2, ro.reviewer2, on=D(2025, 5, 2), merit=True)
    Membership.objects.create(team=team, prosecutor=p2, role=Membership.Role.MEMBER, date_from=D(2025, 1, 1))
    ApiToken.objects.create(user=ro.lead, name="报表系统", prefix="cq_abcdefg", key_hash="0" * 64)
    ro.lead.set_password("a-long-passphrase-9")
    ro.lead.save()


def fingerprint() -> dict:
    """Everything a user could notice: counts, ratios by several groupings, reviews, logins, tokens."""
    ratios = {}
    for basis in ("flow", "cohort"):
        for group_by in ("month", "team,prosecutor", "unit,department,line,category"):
            report = ratio_for(group_by=group_by, basis=basis, date_from=D(2024, 1, 1), date_to=D(2025, 12, 31))
            rows = [(sorted(r.keys.items()), r.cases, r.items, sorted(r.extras.items())) for r in report.rows]
            ratios[(basis, group_by)] = (sorted(rows, key=repr), report.total.cases, report.total.items)
    ids = {
        "units": sorted(Prosecutor.objects.values_list("staff_code", "unit__code", "department__code")),
    }
    return {
        "counts": backup.counts(),
        "rollup": rollup.snapshot(),
        "ratios": ratios,
        "cases": list(Case.objects.order_by("case_no").values()),
        "events": list(ProceduralEvent.objects.order_by("pk").values()),
        "reviews": list(QualityReview.objects.order_by("pk").values()),
        "findings": list(Finding.objects.order_by("pk").values()),
        "transitions": list(ReviewTransition.objects.order_by("pk").values()),
        "event_history": list(
            ProceduralEvent.history.order_by("history_id").values_list("id", "note", "history_type", "history_user_id")
        ),
        "logins": sorted(get_user_model().objects.values_list("username", "password", "is_superuser")),
        "tokens": list(ApiToken.objects.values_list("user__username", "prefix", "key_hash", "can_write")),
        "organisation": ids,
    }


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()
    assert not Case.objects.exists()


def test_excluded_models_are_derived_or_transient():
    labels = {m._meta.label for m in backup.portable_models()}
    assert {"cases.Case", "cases.ProceduralEvent", "cases.HistoricalProceduralEvent", "auth.User"} <= labels
    assert {"cases.QualityReview", "teams.ApiToken", "teams.Membership", "cases.EventType"} <= labels
    assert not labels & {"cases.RatioFact", "auth.Permission", "contenttypes.ContentType", "sessions.Session"}


@ROUND_TRIP
def test_portable_round_trip_leaves_everything_identical(tmp_path):
    build_office_data()
    before = fingerprint()
    assert before["counts"]["cases.QualityReview"] == 2 and before["counts"]["cases.HistoricalProceduralEvent"] > 0
    file = tmp_path / "office.jsonl.gz"

    call_command("export_portable", str(file), verbosity=0)
    manifest = json.loads(backup.manifest_path(file).read_text(encoding="utf-8"))
    assert manifest["counts"] == before["counts"]
    with gzip.open(file, "rt", encoding="utf-8") as lines:
        labels = {json.loads(line)["model"] for line in lines}
    assert "cases.ratiofact" not in labels and "cases.case" in labels

    wipe()
    call_command("import_portable", str(file), verbosity=0)

    assert fingerprint() == before
    # A restored database keeps working: the next event goes through the rules and the roll-up.
    case = Case.objects.get(case_no="检刑受[2025]900001号")
    services.log_event(case, "review_extension", D(2025, 6, 20))
    maintained = rollup.snapshot()
    rollup.rebuild()
    assert rollup.snapshot() == maintained


@ROUND_TRIP
def test_portable_restore_is_all_or_nothing(tmp_path):
    build_office_data()
    file = tmp_path / "office.jsonl.gz"
    backup.export_portable(file)
    before = fingerprint()

    with pytest.raises(CommandError, match="already holds cases"):
        call_command("import_portable", str(file), verbosity=0)

    # A tampered manifest (a case lost in transit) rolls the whole restore back.
    manifest = json.loads(backup.manifest_path(file).read_text(encoding="utf-8"))
    manifest["counts"]["cases.Case"] += 1
    backup.manifest_path(file).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CommandError, match="differs from the manifest"):
        call_command("import_portable", str(file), "--replace", verbosity=0)
    assert fingerprint() == before

    # A truncated file fails to load and leaves the data as it was.
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(file.read_bytes()[: len(file.read_bytes()) // 2])
    backup.manifest_path(broken).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - gzip/JSON/deserialisation: any error, nothing written
        call_command("import_portable", str(broken), "--replace", verbosity=0)
    assert fingerprint() == before

    with pytest.raises(CommandError, match="no such backup file"):
        call_command("import_portable", str(tmp_path / "missing.jsonl.gz"), verbosity=0)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO / "scripts" / script), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


@ROUND_TRIP
def test_backup_scripts_round_trip(tmp_path):
    """scripts/backup.sh + restore.sh: pg_dump/pg_restore on PostgreSQL, the portable pair on SQLite."""
    build_office_data()
    before = fingerprint()
    env = {**os.environ, "PYTHON": str(REPO / ".venv" / "bin" / "python")}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = _database_url()
        file = tmp_path / "office.dump"
        made = _run("backup.sh", str(file), env=env)
        assert made.returncode == 0, made.stderr
        wipe()
        connection.close()  # pg_restore --clean drops and recreates the tables this session used
        restored = _run("restore.sh", str(file), env=env)
        assert restored.returncode == 0, restored.stderr
    else:
        # The scripts' SQLite path is the portable pair (the in-memory test database is not
        # reachable from a child process, so the script's own command is called in-process).
        file = tmp_path / "office.jsonl.gz"
        script = (REPO / "scripts" / "backup.sh").read_text() + (REPO / "scripts" / "restore.sh").read_text()
        assert "manage.py export_portable" in script and "manage.py import_portable" in script
        call_command("export_portable", str(file), verbosity=0)
        wipe()
        call_command("import_portable", str(file), verbosity=0)
    assert fingerprint() == before
