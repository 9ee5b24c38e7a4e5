"""Video endpoints: upload and retry write the DB; progress from Redis only; detail from
the DB; HLS files behind signed URLs, with no SQL."""
from pathlib import PurePath

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from academy import polls
from academy.errors import ApplicationError, error_response, method_not_allowed
from academy.pagination import KeysetPage, task_page_response
from academy.access.roles import task_readable
from academy.progress import api as progress
from academy.tenants.permissions import IsStaff
from academy.uploads import SizeLimitUploadHandler
from academy.validators import single_line
from academy.videos import services
from academy.videos.models import Video, VideoStatus
from academy.videos.playback import playback_file, playback_urls
from academy.videos.selectors import video_get, video_list, video_ref


class VideoProgressApi(APIView):
    """Token -> one Redis round trip -> response. SQL only on a cache miss (single-flight)."""

    revocation_check_in_view = True
    poll_kind = progress.KIND_VIDEO  # GET is answered by academy/polls.py before Django's handler

    @extend_schema(responses={200: dict})
    def get(self, request, video_id: int):
        # video_id is canonical (the path converter): one spelling, one Redis key.
        return Response(polls.progress_poll(identity=request.user, kind=self.poll_kind, task_id=str(video_id)))


class VideoOutputSerializer(serializers.ModelSerializer):
    playback_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = ["id", "title", "status", "attempt", "hls_path", "duration", "error_reason", "error_code",
                  "error_params", "created_at", "updated_at", "playback_url", "poster_url"]

    def _url(self, video: Video, which: int) -> str | None:
        if video.status != VideoStatus.READY:
            return None
        urls = playback_urls(tenant_id=video.tenant_id, video_id=video.pk, attempt=video.attempt)
        return self.context["request"].build_absolute_uri(urls[which])

    def get_playback_url(self, video: Video) -> str | None:
        return self._url(video, 0)

    def get_poster_url(self, video: Video) -> str | None:
        return self._url(video, 1) if video.poster_path else None


class VideoListItemSerializer(VideoOutputSerializer):
    """A video in the library; `live` is its progress body while it encodes."""

    live = serializers.SerializerMethodField()

    class Meta(VideoOutputSerializer.Meta):
        fields = VideoOutputSerializer.Meta.fields + ["started_at", "finished_at", "live"]

    def get_live(self, video: Video) -> dict | None:
        return self.context["live"].get(video_ref(video))


class VideoPage(KeysetPage):
    ordering = ("-id",)  # ids grow with creation: newest first


class VideoUploadApi(APIView):
    """POST: multipart upload -> storage (size checked while it streams) -> PENDING row -> encoding queued.
    GET: the library, newest first (`?q=` title words, `?status=`): one statement for the page,
    one Redis round trip for the live progress of its encoding videos."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)
        status = serializers.ChoiceField(choices=VideoStatus.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "VideoListFilters"

    @extend_schema(parameters=[FilterSerializer], responses={200: VideoListItemSerializer(many=True)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return task_page_response(request, view=self, paginator=VideoPage(), serializer=VideoListItemSerializer,
                                  queryset=video_list(tenant_id=request.user.tenant_id, **filters.validated_data),
                                  ref=video_ref)

    class InputSerializer(serializers.Serializer):
        # Empty files pass: the worker fails them with a reason the user can read.
        file = serializers.FileField(allow_empty_file=True)
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, validators=[single_line])

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


class VideoDetailApi(APIView):
    def get_permissions(self):
        # Reading is for staff and the video's uploader (academy/access/roles.py); deleting is staff work.
        return [IsStaff()] if self.request.method == "DELETE" else super().get_permissions()

    @extend_schema(responses={200: VideoOutputSerializer})
    def get(self, request, video_id: int):
        video = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if video is None or not task_readable(request.user, owner_id=video.created_by_id):
            raise NotFound
        return Response(VideoOutputSerializer(video, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, video_id: int):
        """Delete a video that is not encoding, with its files (409 task_running while it encodes)."""
        if not services.video_delete(tenant_id=request.user.tenant_id, video_id=video_id):
            raise NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


class VideoRetryApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, video_id: int):
        found = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if found is None:
            raise NotFound
        video = services.video_retry(tenant_id=request.user.tenant_id, video_id=found.pk)
        if video is None:
            raise ApplicationError("retry_not_allowed", "Only a failed, cancelled or stuck video can be retried.")
        return Response({"id": video.pk, "status": video.status, "attempt": video.attempt},
                        status=status.HTTP_202_ACCEPTED)


class VideoCancelApi(APIView):
    """Stop a waiting or running encode: it ends CANCELLED now; the worker kills its ffmpeg within seconds."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, video_id: int):
        found = video_get(tenant_id=request.user.tenant_id, video_id=video_id)
        if found is None:
            raise NotFound
        video = services.video_cancel(tenant_id=request.user.tenant_id, video_id=video_id)
        if video is None:
            raise ApplicationError("cancel_not_allowed", "Only a waiting or encoding video can be cancelled.",
                                   {"status": found.status}, status=409)
        return Response({"id": video.pk, "status": video.status}, status=status.HTTP_202_ACCEPTED)


def hls_file(request, token: str, path: str):
    """Signed URL -> one HLS file from storage. No bearer header and no SQL: the token is the permission.

    A bad path, a tampered, expired or foreign token and a missing file all answer the same 404.
    """
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request, ["GET", "HEAD"])
    found = playback_file(token=token, path=path)
    if found is None:
        return error_response(code="not_found", message="Not found.", status=404)
    if found.redirect is not None:
        # Object storage serves the bytes: a sync web worker only signs the URL.
        response = HttpResponseRedirect(found.redirect)
    elif found.text is not None:
        response = HttpResponse(found.text, content_type=found.content_type)
    else:
        response = FileResponse(found.file, content_type=found.content_type)
    # An attempt's files never change, and the token in the URL expires on its own.
    response["Cache-Control"] = "private, max-age=3600"
    return response
