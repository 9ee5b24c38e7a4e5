"""The baseline: progress polling as the seed's system did it, from the database.

Per poll: Django session authentication (SessionMiddleware loads the session row,
AuthenticationMiddleware the user row) and a read of the task row. The body is rendered by
the same functions as the product's progress endpoints, so only where the data comes from
differs. The tenant is kept in the session (no extra query), which favours the baseline.
"""
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from academy.jobs.selectors import job_get, job_progress_render, job_state
from academy.videos.selectors import video_get, video_progress_render, video_state


class BaselineJobProgressApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request, job_id: str):
        job = job_get(tenant_id=request.session["tenant_id"], job_id=job_id)
        if job is None:
            raise NotFound
        return Response(job_progress_render(str(job.job_id), job_state(job)))


class BaselineVideoProgressApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request, video_id: str):
        video = video_get(tenant_id=request.session["tenant_id"], video_id=video_id)
        if video is None:
            raise NotFound
        return Response(video_progress_render(str(video.pk), video_state(video)))
