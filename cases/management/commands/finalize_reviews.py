"""`manage.py finalize_reviews`: make final every submitted review whose 5-day objection period is over."""

from django.core.management.base import BaseCommand

from cases.review_workflow import finalize_lapsed


class Command(BaseCommand):
    help = "Finalise submitted quality reviews nobody accepted or objected to within 5 days (run daily)."

    def handle(self, *args, **options):
        count = finalize_lapsed()
        self.stdout.write(f"finalised {count} review(s) whose objection period lapsed")
