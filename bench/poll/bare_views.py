"""A bare Django function view: one HGETALL of a task's status hash, encoded as JSON."""
import orjson
import redis
from django.conf import settings
from django.http import HttpResponse

_client = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
    settings.REDIS_URL, max_connections=50, decode_responses=True))


def bare_progress(request, key: str) -> HttpResponse:
    return HttpResponse(orjson.dumps(_client.hgetall(key)), content_type="application/json")


def healthz(request) -> HttpResponse:
    return HttpResponse(b"ok")
