from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "academy.videos"
    label = "videos"

    def ready(self):
        from academy.progress import api as progress
        from academy.videos import selectors, services
        from academy.videos.models import Video, VideoStatus

        progress.kind_register(progress.TaskKind(
            name=progress.KIND_VIDEO,
            model=Video,
            success=VideoStatus.READY,
            state=selectors.video_state,
            render=selectors.video_progress_render,
            enqueue=services.video_enqueue,
            parse_id=selectors.video_id_parse,
            error_field="error_reason",
            retry_clear={"error_reason": "", "error_code": "", "error_params": {}, "hls_path": ""},
        ))
