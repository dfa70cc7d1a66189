"""Incoming events against stored ones, case by case: match (case, event, date), apply DOMAIN §5, derive dates.

Cases are processed in chunks: the stored events of a chunk are read in a few batched queries,
incoming rows are matched to them (an exact match is the same event: unchanged or updated), and
the rest are checked with `cases.sequence_rules.check_sequence` together with the stored ones.
Calling that function for a million cases would take minutes, so a vectorised screen first picks
the cases that could break a rule at all; only those are checked one by one (the screen may pick
too many, never too few: it flags every case where any rule could fire, ties in date included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from cases import services
from cases.codes import INDICTMENT, PROSECUTION_REVIEW, RESUBMISSION, REVIEW_EXTENSION, SUPPLEMENTARY_INVESTIGATION
from cases.importer.context import LINES, as_date
from cases.importer.db import select_in
from cases.importer.parsing import ordinal_to_date
from cases.importer.validate_common import ImportContext
from cases.importer.validate_events import with_persons
from cases.models import EventType, ProceduralEvent
from cases.sequence_rules import (
    CASE_FIELD_RULES,
    EARLIEST_DATE,
    MAX_SUPPLEMENTARY_ROUNDS,
    NEEDS_INDICTMENT,
    NEEDS_PREDECESSOR,
    NEEDS_PROSECUTION_REVIEW,
    ONE_INTAKE_CODES,
    REVIEW_STAGE_ONLY,
    EventRecord,
    Violation,
    check_sequence,
)

CASES_PER_CHUNK = 20_000


@dataclass
class Outcome:
    """What the events of the import do: rows to insert, stored events to update, cases touched."""

    new_positions: list[np.ndarray] = field(default_factory=list)  # positions in the event arrays
    # (id, persons, staff, note, outcomes)
    updates: list[tuple[int, int, int, str | None, dict | None]] = field(default_factory=list)
    touched_keys: list[np.ndarray] = field(default_factory=list)

    def positions(self) -> np.ndarray:
        return np.concatenate(self.new_positions) if self.new_positions else np.zeros(0, dtype=np.int64)


def _json(value):
    """A stored JSON cell as Python (raw cursors hand JSON back as text on both databases)."""
    if value is None or isinstance(value, dict):
        return value
    return json.loads(value)


def check_all(context: ImportContext) -> Outcome:
    """Match, check and derive for every case the import touches; errors and warnings go to the report."""
    return _Checker(context).run()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Concatenation with an empty frame turns ints into floats and bools into objects: restore them."""
    for name in ("case", "code", "date", "id", "position", "row"):
        if name in frame:
            frame[name] = frame[name].fillna(-1).astype(np.int64)
    for name in ("base", "incoming"):
        frame[name] = frame[name].eq(True)  # NaN → False
    return frame


class _Checker:
    def __init__(self, context: ImportContext):
        self.context = context
        self.report = context.report
        self.registry = context.cases
        self.events = context.event_sheet
        self.cases_sheet = context.case_sheet
        self.today = services.today().toordinal()
        self.codes = context.catalogue.codes
        self.code_index = context.catalogue.code_index
        self.ids = np.frombuffer(self.registry.ids, dtype=np.int64) if len(self.registry) else np.zeros(0, np.int64)
        new_closed = np.frombuffer(self.registry.new_closed, dtype=np.int32) if len(self.registry) else np.zeros(0)
        stored_closed = (
            np.frombuffer(self.registry.stored_closed, dtype=np.int32) if len(self.registry) else np.zeros(0)
        )
        self.stored_closed = stored_closed
        self.closed = np.where(new_closed > 0, new_closed, stored_closed)
        self.line, self.stored_line = self.registry.line_indexes()
        self.outcome = Outcome()

    def run(self) -> Outcome:
        keys = self._keys_to_check()
        if self.events is not None and len(self.events.rows):
            order = np.argsort(self.events.case_keys, kind="stable")
            self.order, self.sorted_keys = order, self.events.case_keys[order]
        else:
            self.order = self.sorted_keys = np.zeros(0, dtype=np.int64)
        for start in range(0, len(keys), CASES_PER_CHUNK):
            self._chunk(keys[start : start + CASES_PER_CHUNK])
            self.context.tell("sequence", min(start + CASES_PER_CHUNK, len(keys)), len(keys))
        self._finish()
        return self.outcome

    def _keys_to_check(self) -> np.ndarray:
        changed = (self.closed != self.stored_closed) | (self.line != self.stored_line)
        wanted = [np.flatnonzero(changed & (self.ids > 0))]
        if self.events is not None:
            wanted.append(np.unique(self.events.case_keys))
        if self.cases_sheet is not None:
            wanted.append(np.fromiter(self.cases_sheet.received.keys(), dtype=np.int64))
        keys = np.unique(np.concatenate(wanted)).astype(np.int64)
        if self.events is not None and self.events.unparsed_cases:
            # DOMAIN §5 holds for every case whose rows parse; the others already carry an error.
            keys = np.setdiff1d(keys, np.fromiter(self.events.unparsed_cases, dtype=np.int64))
        return keys

    def _chunk(self, keys: np.ndarray) -> None:
        stored = self._stored(keys)
        lo = np.searchsorted(self.sorted_keys, keys[0], side="left")
        hi = np.searchsorted(self.sorted_keys, keys[-1], side="right")
        positions = self.order[lo:hi]
        incoming = self._incoming(positions)
        new = self._match(incoming, stored)
        combined = _typed(
            pd.concat([stored[["case", "code", "date", "base", "id"]].assign(incoming=False), new], ignore_index=True)
        )
        self._check(combined)
        self._derive_received(combined)
        self.outcome.new_positions.append(new["position"].to_numpy(dtype=np.int64))
        self.outcome.touched_keys.append(np.unique(incoming["case"].to_numpy()))

    def _stored(self, keys: np.ndarray) -> pd.DataFrame:
        """The stored events of the chunk's cases, in a few batched queries."""
        ids = self.ids[keys]
        key_of = dict(zip(ids[ids > 0].tolist(), keys[ids > 0].tolist(), strict=True))
        events, types = ProceduralEvent._meta.db_table, EventType._meta.db_table
        sql = (
            f"SELECT e.id, e.case_id, t.code, t.kind, e.date, e.persons, e.prosecutor_id, e.note, e.outcomes "
            f"FROM {events} e JOIN {types} t ON t.id = e.event_type_id WHERE e.case_id {{in}}"
        )
        columns = ("id", "case_id", "code", "kind", "date", "persons", "prosecutor_id", "note", "outcomes")
        frame = pd.DataFrame.from_records(list(select_in(sql, sorted(key_of))), columns=columns)
        dates, uniques = pd.factorize(frame["date"], sort=False)
        ordinals = np.array([as_date(d).toordinal() for d in uniques] + [0], dtype=np.int64)
        return pd.DataFrame(
            {
                "id": frame["id"].astype(np.int64),
                "case": frame["case_id"].map(key_of).astype(np.int64),
                "code": frame["code"].map(self.code_index).fillna(-1).astype(np.int64),
                "date": ordinals[dates],
                "base": (frame["kind"] == EventType.Kind.BASE).astype(bool),
                "persons": frame["persons"].astype(np.int64),
                "prosecutor": frame["prosecutor_id"].fillna(0).astype(np.int64),
                "note": frame["note"].astype(object),
                "outcomes": frame["outcomes"].map(_json).astype(object),
            }
        )

    def _incoming(self, positions: np.ndarray) -> pd.DataFrame:
        e = self.events
        if e is None or not len(positions):
            return pd.DataFrame({name: [] for name in ("position", "case", "code", "date", "base", "row")})
        return pd.DataFrame(
            {
                "position": positions,
                "case": e.case_keys[positions],
                "code": e.codes[positions].astype(np.int64),
                "date": e.dates[positions].astype(np.int64),
                "base": e.is_base[positions],
                "row": e.rows[positions],
            }
        )

    def _match(self, incoming: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
        """Split incoming rows into matches of stored events (unchanged / updated) and new events."""
        if not len(incoming):
            return incoming.assign(incoming=True, id=0)
        on = ["case", "code", "date"]
        merged = incoming.merge(stored[[*on, "id", "persons", "prosecutor", "note", "outcomes"]], how="left", on=on)
        found = merged["id"].notna().to_numpy()
        if found.any():
            self._updates(merged[found])
        new = merged.loc[~found, list(incoming.columns)].assign(incoming=True, id=0)
        self.report.count("events", "created", len(new))
        return new

    def _updates(self, matched: pd.DataFrame) -> None:
        e = self.events
        updated = 0
        for position, pk, persons, prosecutor, note, outcomes in zip(
            matched["position"].astype(np.int64).tolist(),
            matched["id"].astype(np.int64).tolist(),
            matched["persons"].astype(np.int64).tolist(),
            matched["prosecutor"].astype(np.int64).tolist(),
            matched["note"].tolist(),
            matched["outcomes"].tolist(),
            strict=True,
        ):
            staff_index = int(e.staff[position])
            new_persons = int(e.persons[position]) or persons
            new_note = e.notes[position] if e.notes[position] is not None else note
            new_outcomes = with_persons(e.outcomes[position], new_persons) if e.outcomes[position] else outcomes
            if new_outcomes and sum(new_outcomes.values()) != new_persons:
                # New persons against the stored outcomes: they must still add up (cases.outcomes).
                message = _("各结果人数之和（%(total)d）应等于涉及人数（%(persons)d）；请同时填写 outcome")
                total = sum(new_outcomes.values())
                self.report.error(
                    "events",
                    int(e.rows[position]),
                    "persons",
                    str(new_persons),
                    message % {"total": total, "persons": new_persons},
                )
                continue
            staff_changed = staff_index >= 0 and e.staff_refs[staff_index].id != prosecutor
            if new_persons != persons or new_note != note or staff_changed or new_outcomes != outcomes:
                self.outcome.updates.append((pk, new_persons, staff_index, new_note, new_outcomes))
                updated += 1
        self.report.count("events", "updated", updated)
        self.report.count("events", "unchanged", len(matched) - updated)

    def _check(self, combined: pd.DataFrame) -> None:
        if not len(combined):
            return
        suspects = self._suspects(combined)
        if suspects:
            for key, rows in combined[combined["case"].isin(suspects)].groupby("case", sort=True):
                self._check_case(int(key), rows)

    def _suspects(self, df: pd.DataFrame) -> set[int]:
        """Cases where some sequence rule could fire (a superset: ties in date are always suspect)."""
        code = df["code"].to_numpy(dtype=np.int64)
        date = df["date"].to_numpy(dtype=np.int64)
        case = df["case"].to_numpy(dtype=np.int64)
        idx = self.code_index.get
        flagged = df["incoming"].to_numpy(dtype=bool) & ((date < EARLIEST_DATE.toordinal()) | (date > self.today))
        needs = [(x, PROSECUTION_REVIEW) for x in NEEDS_PROSECUTION_REVIEW] + list(NEEDS_PREDECESSOR.items())
        needs += [(x, INDICTMENT) for x in NEEDS_INDICTMENT]
        for needed in {y for _x, y in needs}:
            first = df[code == idx(needed, -2)].groupby("case")["date"].min()
            first_of_row = pd.Series(case).map(first).to_numpy(dtype=float)
            for x in (x for x, y in needs if y == needed):
                rows = code == idx(x, -2)
                flagged |= rows & ~(first_of_row < date)  # NaN (no predecessor) compares False: flagged
        si, rs = idx(SUPPLEMENTARY_INVESTIGATION, -2), idx(RESUBMISSION, -2)
        rounds = df[(code == si) | (code == rs)].sort_values(["case", "date"], kind="stable")
        if len(rounds):
            tie = rounds.duplicated(["case", "date"], keep=False)
            previous = rounds.groupby("case")["code"].shift()
            orphan = (rounds["code"] == rs) & (previous != si)
            flagged_cases = set(rounds.loc[tie | orphan, "case"].tolist())
            counts = rounds[rounds["code"] == si].groupby("case").size()
            flagged_cases.update(counts[counts > MAX_SUPPLEMENTARY_ROUNDS].index.tolist())
        else:
            flagged_cases = set()
        extensions = df[code == idx(REVIEW_EXTENSION, -2)].groupby("case").size()
        flagged_cases.update(extensions[extensions > 1].index.tolist())
        for intake in ONE_INTAKE_CODES:
            intakes = df[code == idx(intake, -2)].groupby("case").size()
            flagged_cases.update(intakes[intakes > 1].index.tolist())
        flagged |= (self.line[case] != 0) | (self.stored_line[case] != 0)  # rule 9: a case of another line
        stage_only = np.isin(code, [idx(c, -2) for c in REVIEW_STAGE_ONLY])
        closed = self.closed[case]
        flagged |= stage_only & (closed > 0) & (date > closed)
        flagged_cases.update(np.unique(case[flagged]).tolist())
        return {int(k) for k in flagged_cases}

    def _check_case(self, key: int, rows: pd.DataFrame) -> None:
        stored, incoming = [], []
        for record in rows.sort_values(["incoming", "id", "row"]).itertuples():
            code = self.codes[record.code] if record.code >= 0 else "?"
            kind = "base" if record.base else "other"
            day = ordinal_to_date(record.date)
            if record.incoming:
                incoming.append(EventRecord(code, day, ("row", int(record.row), int(record.position)), True, kind))
            else:
                stored.append(EventRecord(code, day, ("id", int(record.id)), False, kind))
        closed = ordinal_to_date(self.closed[key])
        stored_closed = ordinal_to_date(self.stored_closed[key])
        line, stored_line = LINES[self.line[key]], LINES[self.stored_line[key]]
        for violation in check_sequence(
            stored, incoming, closed, services.today(), stored_closed, line=line, stored_line=stored_line
        ):
            self._report(key, violation, incoming)

    def _report(self, key: int, violation: Violation, incoming: list[EventRecord]) -> None:
        reason = str(violation)
        if not violation.event.incoming:
            reason += _("（因本次导入而违反规则的已登记环节：%(code)s %(date)s）") % {
                "code": violation.event.code,
                "date": violation.event.date,
            }
        blamed = violation.blamed
        if blamed is None and violation.rule not in CASE_FIELD_RULES and incoming:
            blamed = incoming[0]
        if blamed is not None:
            column = "date" if violation.rule == "date_range" else "event"
            value = blamed.date.isoformat() if column == "date" else blamed.code
            self.report.error("events", blamed.ref[1], column, value, reason)
            return
        row = self.registry.case_rows[key]
        if violation.rule == "case_line":
            self.report.error("cases", row or 1, "line", LINES[self.line[key]], reason)
            return
        closed = ordinal_to_date(self.closed[key])
        self.report.error("cases", row or 1, "closed_on", closed.isoformat() if closed else "", reason)

    def _derive_received(self, combined: pd.DataFrame) -> None:
        """Warn where a given received date differs from the derived one (DOMAIN §4)."""
        if self.cases_sheet is None or not self.cases_sheet.received:
            return
        firsts = combined[combined["base"].astype(bool)].groupby("case")["date"].min()
        for key in combined["case"].unique().tolist():
            self._warn_received(int(key), firsts.get(key))

    def _warn_received(self, key: int, first: int | None) -> None:
        entry = self.cases_sheet.received.pop(key, None)
        if entry is None:
            return
        row, given, cell = entry
        if first is not None and int(first) == given:
            return
        if first is None:
            reason = _("受理日期以最早的基础环节（审查逮捕或审查起诉受理）日期为准；该案件尚无基础环节，暂不计入受理")
        else:
            reason = _("受理日期以最早的基础环节日期为准，已按 %(date)s 计") % {"date": ordinal_to_date(first)}
        self.report.warn("cases", row, "received_on", cell, reason)

    def _finish(self) -> None:
        """Cases with a received date but nothing stored or incoming: warn as well."""
        for key in list(self.cases_sheet.received) if self.cases_sheet is not None else []:
            self._warn_received(key, None)
