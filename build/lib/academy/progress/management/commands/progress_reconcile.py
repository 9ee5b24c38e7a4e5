from django.core.management.base import BaseCommand

from academy.progress.reconcile import progress_reconcile


class Command(BaseCommand):
    help = "Re-warm Redis from the DB and fail tasks stuck in PROCESSING past the heartbeat timeout."

    def add_arguments(self, parser):
        parser.add_argument("--heartbeat-timeout", type=int, default=None,
                            help="Seconds without a progress write before a task counts as dead.")

    def handle(self, *args, heartbeat_timeout, **options):
        report = progress_reconcile(heartbeat_timeout=heartbeat_timeout)
        self.stdout.write(f"rewarmed={report.rewarmed} failed_stuck={report.failed_stuck} "
                          f"unchanged={report.unchanged}")
