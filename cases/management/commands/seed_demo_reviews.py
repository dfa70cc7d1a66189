"""`manage.py seed_demo_reviews`: quality reviews for the demo office, through the real workflow."""

from django.core.management.base import BaseCommand, CommandError

from cases.review_demo import seed_demo_reviews


class Command(BaseCommand):
    help = "Sample the last months' closed cases and review them (run after seed_demo; adds nothing twice)."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=6)
        parser.add_argument("--percentage", type=float, default=10)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, months: int, percentage: float, seed: int, **options):
        try:
            counts = seed_demo_reviews(seed=seed, months=months, percentage=percentage)
        except ValueError as error:
            raise CommandError(str(error)) from None
        shown = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"
        self.stdout.write(f"quality reviews: {shown}")
