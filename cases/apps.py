from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def fill_empty_count_tables(sender, using="default", verbosity=1, **kwargs) -> None:
    """After `migrate`: a count table a release has just added starts empty while the ledger already
    holds cases, and every statistic would read zeros for whole months. Rebuild the roll-ups then, once,
    with the final schema (a data migration would run the product's code against an older one)."""
    from cases import rollup
    from cases.models import Case, IndicatorFact, QualityReview, RatioFact, ReviewFact

    counted = Case.objects.using(using).filter(received_on__isnull=False)
    if not counted.exists():
        return
    empty = not RatioFact.objects.using(using).exists() or not IndicatorFact.objects.using(using).exists()
    final = QualityReview.objects.using(using).filter(status=QualityReview.Status.FINAL)
    empty = empty or (final.exists() and not ReviewFact.objects.using(using).exists())
    if empty and using == "default":
        rows = rollup.rebuild()
        if verbosity:
            print(f"caseqa: filled the empty count tables from the raw rows ({rows} roll-up rows)")


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("案件与案-件比")

    def ready(self) -> None:
        post_migrate.connect(fill_empty_count_tables, sender=self, dispatch_uid="caseqa-fill-count-tables")
