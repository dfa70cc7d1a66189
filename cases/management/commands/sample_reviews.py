"""`manage.py sample_reviews --month 2025-06 --percentage 5 --seed 42`: draw the month's review sample."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cases.review_workflow import ReviewWorkflowError
from cases.sampling import SamplingError, create_sampled_reviews, sample_cases


class Command(BaseCommand):
    help = "Draw the monthly quality-review sample (key cases always); with --create, open draft reviews."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM: cases closed in this month")
        parser.add_argument("--percentage", type=float, required=True, help="share of each prosecutor's cases")
        parser.add_argument("--seed", required=True, help="any text or number; the same seed draws the same sample")
        parser.add_argument("--unit", help="unit code or name (with the units below it); default every unit")
        parser.add_argument("--create", action="store_true", help="open a draft review for each assigned case")
        parser.add_argument("--lead", help="username of the review lead opening the drafts (with --create)")

    def handle(self, *args, **options):
        try:
            result = sample_cases(options["month"], options["percentage"], options["seed"], options["unit"])
        except SamplingError as error:
            raise CommandError(f"{error.field}: {error}") from None
        for sampled in result.cases:
            reviewer = sampled.reviewer.get_username() if sampled.reviewer else "-"
            self.stdout.write(
                f"{sampled.case.case_no}\t{sampled.case.prosecutor.staff_code}\t{sampled.reason}\t{reviewer}"
            )
        self.stdout.write(f"{len(result.cases)} case(s) drawn, {len(result.unassigned)} without a reviewer")
        if options["create"]:
            lead = get_user_model().objects.filter(username=options["lead"] or "").first()
            if lead is None:
                raise CommandError("--create needs --lead USERNAME of a review lead")
            try:
                made = create_sampled_reviews(result, lead)
            except ReviewWorkflowError as error:
                raise CommandError(f"{error.field or 'review'}: {error.message}") from None
            self.stdout.write(f"{len(made)} draft review(s) opened")
