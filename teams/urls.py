"""Dashboards and the work queue."""

from django.urls import path

from teams import views
from teams.views.reports import team_monthly_report

app_name = "teams"

urlpatterns = [
    path("work/", views.work_queue, name="work"),
    path("glossary/", views.glossary, name="glossary"),
    path("teams/<str:team_code>/", views.team_dashboard, name="team"),
    path("teams/<str:team_code>/report/<str:month>/", team_monthly_report, name="team_report"),
    path("prosecutors/<str:staff_code>/", views.prosecutor_dashboard, name="prosecutor"),
    path("departments/<str:code>/", views.department_dashboard, name="department"),
    path("units/<str:code>/", views.unit_dashboard, name="unit"),
]
