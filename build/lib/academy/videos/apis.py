"""Video endpoints: upload and retry write the DB; progress from Redis only; detail from
the DB; HLS files behind signed URLs, with no SQL."""
from pathlib import PurePath

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.progress.keys import TaskRef
from academy.progress.selectors import progress_get
from academy.tenants.permissions import IsStaff
from academy.uploads import SizeLimitUploadHandler
from academy.videos import services
from academy.videos.models import Video, VideoStatus
from academy.videos.playback import playback_file_open, playback_urls
from academy.videos.selectors import video_get, video_progress_render


class VideoUploadApi(APIView):
    """Multipart upload -> storage (size checked while it streams) -> PENDING row -> encoding queued."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        # Empty files pass: the worker fails them with a reason the user can read.
        file = serializers.FileField(allow_empty_file=True)
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)

        class Meta:
            ref_name = "VideoUploadInput"  # the schema's name; "Input" alone clashes with other apps

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: dict})
    def post(self, request):
        # Before the body is read: the limit applies while the upload streams in.
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit=settings.VIDEO_MAX_UPLOAD_BYTES))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        title = data.validated_data.get("title") or PurePath(file.name).stem[:200] or "Untitled video"
        video = services.video_upload(tenant_id=request.user.tenant_id, title=title, file=file,
                                      created_by_id=request.user.user_id)
        return Response({"id": video.pk, "status": video.status}, status=status.HTTP_201_CREATED)


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
    playback_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = ["id", "title", "status", "attempt", "hls_path", "duration", "error_reason", "created_at",
                  "updated_at", "playback_url", "poster_url"]

    def _url(self, video: Video, which: int) -> str | None:
        if video.status != VideoStatus.READY:
            return None
        urls = playback_urls(tenant_id=video.tenant_id, video_id=video.pk, attempt=video.attempt)
        return self.context["request"].build_absolute_uri(urls[which])

    def get_playback_url(self, video: Video) -> str | None:
        return self._url(video, 0)

    def get_poster_url(self, video: Video) -> str | None:
        return self._url(video, 1) if video.poster_path else None


class VideoDetailApi(APIView):
    @extend_schema(responses={200: VideoOutputSerializer})
    def get(self, request, video_id: str):
        video = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if video is None:
            raise NotFound
        return Response(VideoOutputSerializer(video, context={"request": request}).data)


class VideoRetryApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, video_id: str):
        found = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if found is None:
            raise NotFound
        video = services.video_retry(tenant_id=request.user.tenant_id, video_id=found.pk)
        if video is None:
            raise ValidationError({"detail": "Only a FAILED video can be retried."})
        return Response({"id": video.pk, "status": video.status, "attempt": video.attempt},
                        status=status.HTTP_202_ACCEPTED)


@require_safe
def hls_file(request, token: str, path: str):
    """Signed URL -> one HLS file from storage. No bearer header and no SQL: the token is the permission.

    A bad path, a tampered, expired or foreign token and a missing file all answer the same 404.
    """
    opened = playback_file_open(token=token, path=path)
    if opened is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    file, content_type = opened
    response = FileResponse(file, content_type=content_type)
    # An attempt's files never change, and the token in the URL expires on its own.
    response["Cache-Control"] = "private, max-age=3600"
    return response
