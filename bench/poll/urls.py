"""The product's URLs plus the baseline progress endpoints (before the web app's catch-all)."""
from django.urls import path

from academy.urls import urlpatterns as academy_urlpatterns
from bench.poll import views

urlpatterns = [
    path("bench/baseline/jobs/<str:job_id>/progress/", views.BaselineJobProgressApi.as_view(),
         name="baseline-job-progress"),
    path("bench/baseline/videos/<str:video_id>/progress/", views.BaselineVideoProgressApi.as_view(),
         name="baseline-video-progress"),
    *academy_urlpatterns,
]
