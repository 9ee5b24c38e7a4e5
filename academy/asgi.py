"""ASGI entry point: serves the whole API, and the progress stream without Django's stack.

GET /api/v1/progress/stream/ goes straight to a plain ASGI app: a long-lived connection and
its events pay none of Django's middleware (sync middleware under ASGI costs a thread
hand-off each). Everything else is Django's.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
django_application = get_asgi_application()

from academy.progress.api import STREAM_PATH, stream_app  # noqa: E402  (needs the apps loaded)


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        return await stream_app(scope, receive, send)
    return await django_application(scope, receive, send)
