from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView

from academy import health, metrics, polls, webapp
from academy.converters import CanonicalIntConverter, CanonicalUUIDConverter
from academy.jobs import apis as jobs
from academy.messaging import apis as messaging
from academy.progress import apis as progress
from academy.students import apis as students
from academy.tenants import apis as tenants
from academy.videos import apis as videos

# Ids in paths: only the canonical spelling reaches a view (academy/converters.py).
register_converter(CanonicalUUIDConverter, "uuid_id")
register_converter(CanonicalIntConverter, "int_id")

# Errors Django answers itself (no route, a body over its limit, a crash): JSON on /api/ and /media/.
handler400 = "academy.errors.bad_request"
handler403 = "academy.errors.permission_denied"
handler404 = "academy.errors.page_not_found"
handler500 = "academy.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/auth/token/", tenants.TokenObtainApi.as_view(), name="auth-token"),
    path("api/v1/auth/password/", tenants.PasswordChangeApi.as_view(), name="auth-password"),
    path("api/v1/auth/activate/", tenants.AccountActivateApi.as_view(), name="auth-activate"),
    # The poll path: plain views for GET (academy/polls.py), DRF for the rest and the schema.
    path("api/v1/tasks/active/", polls.lean(progress.ActiveTasksApi), name="tasks-active"),
    path("api/v1/progress/stream-ticket/", progress.StreamTicketApi.as_view(), name="progress-stream-ticket"),
    path("api/v1/jobs/", jobs.JobListApi.as_view(), name="job-list"),
    path("api/v1/jobs/<uuid_id:job_id>/progress/", polls.lean(jobs.JobProgressApi),
         name="job-progress"),
    path("api/v1/jobs/<uuid_id:job_id>/retry/", jobs.JobRetryApi.as_view(), name="job-retry"),
    path("api/v1/jobs/<uuid_id:job_id>/cancel/", jobs.JobCancelApi.as_view(), name="job-cancel"),
    path("api/v1/jobs/<uuid_id:job_id>/", jobs.JobDetailApi.as_view(), name="job-detail"),
    path("api/v1/ai/jobs/", jobs.AiJobCreateApi.as_view(), name="ai-job-create"),
    path("api/v1/messages/", messaging.MessageCreateApi.as_view(), name="message-create"),
    path("api/v1/students/import/", students.StudentImportApi.as_view(), name="student-import"),
    path("api/v1/students/import/template/", students.StudentImportTemplateApi.as_view(),
         name="student-import-template"),
    path("api/v1/students/", students.StudentListApi.as_view(), name="student-list"),
    path("api/v1/students/<int_id:student_id>/", students.StudentDetailApi.as_view(), name="student-detail"),
    path("api/v1/students/<int_id:student_id>/restore/", students.StudentRestoreApi.as_view(),
         name="student-restore"),
    path("api/v1/parents/", students.ParentListApi.as_view(), name="parent-list"),
    path("media/videos/", videos.VideoUploadApi.as_view(), name="video-upload"),
    path("media/videos/<int_id:video_id>/retry/", videos.VideoRetryApi.as_view(), name="video-retry"),
    path("media/videos/<int_id:video_id>/cancel/", videos.VideoCancelApi.as_view(), name="video-cancel"),
    path("media/hls/<str:token>/<path:path>", videos.hls_file, name="video-hls"),
    path("media/videos/<int_id:video_id>/progress/", polls.lean(videos.VideoProgressApi),
         name="video-progress"),
    path("media/videos/<int_id:video_id>/", videos.VideoDetailApi.as_view(), name="video-detail"),
    # Last: everything else is the web app (its assets and its client-side routes).
    re_path(r"^(?P<path>(?!api/|media/).*)$", webapp.web_file, name="web"),
]
