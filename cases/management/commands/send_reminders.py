"""Send each user's daily reminder e-mail (deadlines, review results, objections); once per day."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.reminders import send_digests


class Command(BaseCommand):
    help = "E-mail the daily reminder digest to every user who has something to act on (once per day)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day of the digest (ISO date; default today, Asia/Shanghai)")
        parser.add_argument("--dry-run", action="store_true", help="count the digests without sending")

    def handle(self, *args, date=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: not an ISO date ({date})") from exc
        sent, skipped = send_digests(day, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        self.stdout.write(
            f"{day.isoformat()}: {verb} {sent} digest(s), {skipped} user(s) with nothing new or already sent"
        )
