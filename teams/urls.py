"""Dashboards and the work queue."""

from django.urls import path

from teams import views
from teams.views import plans as plan_views
from teams.views import yearend as yearend_views
from teams.views.reports import team_half_year_report, team_monthly_report, unit_monthly_report

app_name = "teams"

urlpatterns = [
    path("work/", views.work_queue, name="work"),
    path("glossary/", views.glossary, name="glossary"),
    path("teams/<str:team_code>/", views.team_dashboard, name="team"),
    path("teams/<str:team_code>/report/<str:month>/", team_monthly_report, name="team_report"),
    path("teams/<str:team_code>/half-year/<int:year>/<int:half>/", team_half_year_report, name="team_half_report"),
    path("teams/<str:team_code>/plan/<int:year>/", plan_views.team_plan, name="team_plan"),
    path(
        "teams/<str:team_code>/plan/<int:year>/achievements/new/",
        plan_views.achievement_create,
        name="plan_achievement",
    ),
    path(
        "teams/<str:team_code>/plan/<int:year>/achievements/<int:pk>/delete/",
        plan_views.achievement_delete,
        name="achievement_delete",
    ),
    path(
        "teams/<str:team_code>/plan/<int:year>/achievements/<int:pk>/file/",
        plan_views.achievement_file,
        name="achievement_file",
    ),
    path("teams/<str:team_code>/yearend/<int:year>/", yearend_views.team_yearend, name="team_yearend"),
    path("teams/<str:team_code>/yearend/<int:year>/rating/", yearend_views.team_rating, name="team_rating"),
    path("units/<str:code>/report/<str:month>/", unit_monthly_report, name="unit_report"),
    path("units/<str:code>/yearend/<int:year>/", yearend_views.unit_yearend, name="unit_yearend"),
    path("prosecutors/<str:staff_code>/", views.prosecutor_dashboard, name="prosecutor"),
    path("departments/<str:code>/", views.department_dashboard, name="department"),
    path("units/<str:code>/", views.unit_dashboard, name="unit"),
]
