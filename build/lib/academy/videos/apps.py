from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "academy.videos"
    label = "videos"

    def ready(self):
        from academy.progress.registry import TaskKind, kind_register
        from academy.videos import selectors, services

        kind_register(TaskKind(
            name="video",
            load=selectors.video_state_load,
            unfinished=selectors.video_unfinished_states,
            render=selectors.video_progress_render,
            fail=services.video_fail_stuck,
        ))
