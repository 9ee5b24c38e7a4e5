"""The bare server's two URLs: the poll and the health check the bench waits for."""
from django.urls import path

from bench.poll import bare_views

urlpatterns = [
    path("bare/<str:key>", bare_views.bare_progress),
    path("healthz", bare_views.healthz),
]
