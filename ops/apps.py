from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(using: str = "default", **kwargs) -> None:
    """`createcachetable` after every `migrate`: the throttle counts need the table, and a newcomer
    runs `migrate`, not a command they have never heard of. Idempotent; a no-op for Redis."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("运行维护")

    def ready(self):
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="ops.create_cache_table")
