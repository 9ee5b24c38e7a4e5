from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "academy.jobs"
    label = "jobs"

    def ready(self):
        from academy.jobs import selectors, services
        from academy.jobs.models import Job, JobStatus
        from academy.progress import api as progress

        progress.kind_register(progress.TaskKind(
            name=progress.KIND_JOB,
            model=Job,
            success=JobStatus.DONE,
            state=selectors.job_state,
            render=selectors.job_progress_render,
            enqueue=services.job_enqueue,
            parse_id=selectors.job_id_parse,
            error_field="error_message",
            retry_clear={"result": None, "error_message": "", "error_code": "", "error_params": {}},
        ))
