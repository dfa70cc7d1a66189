"""Pages of the teams app: home (landing by role), the work queue and the dashboards."""

from teams.views.dashboards import department_dashboard, prosecutor_dashboard, team_dashboard, unit_dashboard
from teams.views.home import glossary, home, landing_url, work_queue

__all__ = [
    "department_dashboard",
    "glossary",
    "home",
    "landing_url",
    "prosecutor_dashboard",
    "team_dashboard",
    "unit_dashboard",
    "work_queue",
]
