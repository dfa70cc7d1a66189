"""Dependencies run one way (docs/architecture.md): a module may import the layers below it only.

Read from the source (ast), not from a running process, so an import inside a function counts too.
Where the layout still crosses a layer (issue 11 moves those modules), the crossing is listed here:
the lists may shrink, never grow — a new crossing fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("caseqa", "cases", "teams", "importjobs", "ops")

# The ledger: the write path, its rules and the importer.
LEDGER = (
    "cases.services",
    "cases.sequence_rules",
    "cases.deadlines",
    "cases.dates",
    "cases.codes",
    "cases.case_numbers",
    "cases.outcomes",
    "cases.charges",
    "cases.versions",
    "cases.importer",
    "cases.models",
)
# Above the ledger: reviews, statistics, pages and the API.
ABOVE_LEDGER = (
    "cases.review_",
    "cases.reviews",
    "cases.sampling",
    "cases.assessment",
    "cases.stats_query",
    "cases.ratio",
    "cases.indicators",
    "cases.facts",
    "cases.rollup",
    "cases.projection",
    "cases.views",
    "cases.api",
    "teams.views",
    "teams.dashboards",
    "teams.sections",
    "teams.tables",
    "teams.api",
)
# The roll-up is kept in the same transaction as every write: the write path calls its maintenance.
LEDGER_MAY_USE = {
    "cases.services": {"cases.rollup"},
    "cases.importer.writer": {"cases.rollup"},
    "cases.models.review": {"cases.review_access"},
}
# teams holds the organisation (the bottom layer) and, until they move, the dashboards above everything.
TEAMS_MODULES_READING_CASES = {
    "teams.access",
    "teams.admin",
    "teams.assessment_section",  # moved out of teams.sections (a dashboard section, as that module)
    "teams.api.tokens",
    "teams.api.views",
    "teams.dashboards",
    "teams.glossary",
    "teams.periods",
    "teams.queue",
    "teams.ratio_change",
    "teams.sections",
    "teams.tables",
    "teams.unit_report",
    "teams.views.dashboards",
    "teams.yearend",
}


def _modules() -> dict[str, set[str]]:
    found = {}
    for top in PRODUCT:
        for path in (REPO / top).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            imported = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
                elif isinstance(node, ast.Import):
                    imported |= {alias.name for alias in node.names}
            found[name] = imported
    return found


MODULES = _modules()


def _inside(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p if p.endswith("_") else p + ".") for p in prefixes)


def test_the_product_never_imports_the_tests():
    assert {m for m, imported in MODULES.items() if any(i.split(".")[0] == "tests" for i in imported)} == set()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _inside(m, LEDGER)))
def test_the_ledger_imports_no_layer_above_it(module):
    above = {i for i in MODULES[module] if _inside(i, ABOVE_LEDGER)}
    assert above <= LEDGER_MAY_USE.get(module, set()), f"{module} imports {sorted(above)}"


def test_no_new_teams_module_reads_the_cases_app():
    reading = {
        m for m, imported in MODULES.items() if m.startswith("teams") and any(_inside(i, ("cases",)) for i in imported)
    }
    assert reading <= TEAMS_MODULES_READING_CASES, f"new crossings: {sorted(reading - TEAMS_MODULES_READING_CASES)}"


def test_the_ledger_list_names_real_modules():
    """A renamed module would silently drop out of the check."""
    assert all(any(_inside(m, (prefix,)) for m in MODULES) for prefix in LEDGER)
