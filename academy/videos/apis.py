"""Video endpoints: progress from Redis only; detail from the DB."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.progress.keys import TaskRef
from academy.progress.selectors import progress_get
from academy.videos.models import Video
from academy.videos.selectors import video_get, video_progress_render


class VideoProgressApi(APIView):
    """Token -> one Redis round trip -> response. SQL only on a cache miss (single-flight)."""

    @extend_schema(responses={200: dict})
    def get(self, request, video_id: str):
        if not video_id.isdigit():
            raise NotFound
        state = progress_get(TaskRef(request.user.tenant_id, "video", video_id))
        if state is None:
            raise NotFound
        return Response(video_progress_render(video_id, state))


class VideoOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Video
        fields = ["id", "title", "status", "attempt", "hls_path", "duration", "error_reason", "created_at",
                  "updated_at"]


class VideoDetailApi(APIView):
    @extend_schema(responses={200: VideoOutputSerializer})
    def get(self, request, video_id: str):
        video = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if video is None:
            raise NotFound
        return Response(VideoOutputSerializer(video).data)
