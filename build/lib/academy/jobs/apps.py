from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "academy.jobs"
    label = "jobs"

    def ready(self):
        from academy.jobs import selectors
        from academy.progress.registry import TaskKind, kind_register

        from academy.jobs import services

        kind_register(TaskKind(
            name="job",
            load=selectors.job_state_load,
            unfinished=selectors.job_unfinished_states,
            render=selectors.job_progress_render,
            fail=services.job_fail_stuck,
        ))
