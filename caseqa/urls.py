"""URL configuration of caseqa."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from ops.health import healthz, readyz
from ops.metrics import metrics
from teams.views import home

# The admin is where an office edits its catalogues and seeded rules: name it for them, not "Django".
admin.site.site_header = _("caseqa 案件质量管理后台")
admin.site.site_title = _("caseqa 管理后台")
admin.site.index_title = _("目录与数据维护")

urlpatterns = [
    path("", home, name="home"),
    # Monitoring (docs/deploy.md): liveness, readiness, Prometheus metrics.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("teams.urls")),
    path("", include("cases.urls")),
    path("api/", include("caseqa.api_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "caseqa.errors.not_found"
