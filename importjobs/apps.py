from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportJobsConfig(AppConfig):
    """Uploads imported in the background (django-tasks, database backend)."""

    name = "importjobs"
    verbose_name = _("后台导入")
    default_auto_field = "django.db.models.BigAutoField"
