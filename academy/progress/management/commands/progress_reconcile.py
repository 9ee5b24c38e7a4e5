from django.core.management.base import BaseCommand

from academy.progress.reconcile import progress_reconcile


class Command(BaseCommand):
    help = ("Repair Redis and the queue from the DB: re-queue lost and stuck tasks (failing those out of "
            "attempts), rewrite finished tasks Redis shows as running, re-warm the rest.")

    def add_arguments(self, parser):
        parser.add_argument("--heartbeat-timeout", type=int, default=None,
                            help="Seconds without a progress write before a task counts as dead.")

    def handle(self, *args, heartbeat_timeout, **options):
        report = progress_reconcile(heartbeat_timeout=heartbeat_timeout)
        self.stdout.write(" ".join(f"{name}={value}" for name, value in vars(report).items()))
