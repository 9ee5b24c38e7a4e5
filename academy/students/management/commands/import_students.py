"""Import a roster file synchronously, with a progress bar on stderr."""
import json

from django.core.management.base import BaseCommand, CommandError

from academy.progress.api import KIND_JOB, ProgressReporter, TaskRef
from academy.students.parsing import ImportFileError
from academy.students.services import IMPORT_STEPS, student_import_run
from academy.tenants.models import Tenant

BAR_WIDTH = 30


def progress_bar_write(stream):
    """Return a reporter `write` that draws the state as one \\r-rewritten line."""

    def write(ref, state) -> bool:
        percent = int(state.progress.get("percent") or 0)
        filled = BAR_WIDTH * percent // 100
        step = f"{state.step['index']}/{state.step['total']} {state.step['name']}"
        stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}%  {step:<28}", ending="")
        stream.flush()
        return True

    return write


class Command(BaseCommand):
    help = "Import students from an .xlsx roster into a tenant; print the report as JSON."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--tenant", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")

    def handle(self, *args, file, tenant, dry_run, **options):
        if not Tenant.objects.filter(pk=tenant).exists():
            raise CommandError(f"No tenant {tenant}.")
        self.stderr.style_func = None  # a bar, not an error: no colour
        reporter = ProgressReporter(TaskRef(tenant, KIND_JOB, "cli"), attempt=1, steps=IMPORT_STEPS,
                                    min_interval=0.1, write=progress_bar_write(self.stderr))
        try:
            result = student_import_run(tenant_id=tenant, source=file, dry_run=dry_run, reporter=reporter)
        except ImportFileError as exc:
            raise CommandError(exc.reason) from None
        except FileNotFoundError:
            raise CommandError(f"No file {file}.") from None
        else:
            reporter.update(1.0, force=True)  # the bar ends full: the last in-step update may be coalesced
        finally:
            self.stderr.write("")
        # default=list: the accounts come as an EncodedList (JSON bytes), decoded here.
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=list))
