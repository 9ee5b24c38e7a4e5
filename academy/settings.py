"""Settings, read from the environment (see the README's configuration table)."""
import ipaddress
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACADEMY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Return an environment flag: 1/true/yes/on are true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int | None) -> int | None:
    """Return an integer from the environment; empty means None."""
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip() == "":
        return None
    return int(value)


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (make demo and make test set one for you).")
    SECRET_KEY = "insecure-debug-only-key"
# Old keys still accepted for verifying tokens, so keys can be rotated without logging everyone out.
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "academy.tenants",
    "academy.progress",
    "academy.jobs",
    "academy.videos",
    "academy.messaging",
    "academy.ai",
    "academy.students",
]

# Deliberately short: no sessions and no auth middleware. Identity comes from the bearer
# token in DRF's authentication class, so a poll touches neither the session table nor users.
MIDDLEWARE = [
    "academy.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "academy.urls"
WSGI_APPLICATION = "academy.wsgi.application"
ASGI_APPLICATION = "academy.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'academy.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 20),
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction pooling mode (DB_TRANSACTION_POOLING=1) consecutive
# transactions of one Django connection may run on different server connections, so nothing
# may live in the server session: psycopg must not prepare statements server-side, and
# QuerySet.iterator() must not DECLARE a cursor WITH HOLD (Django's server-side cursors).
DB_TRANSACTION_POOLING = env_bool("DB_TRANSACTION_POOLING", False)
if DB_TRANSACTION_POOLING:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web server and a worker on one SQLite file: wait for locks, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenants.User"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_POOL_SIZE = env_int("REDIS_POOL_SIZE", 50)
# The longest a request waits on an unresponsive Redis (a frozen server, a cut network).
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5"))
# After this many consecutive Redis timeouts a process skips Redis for PROGRESS_BREAKER_OPEN_SECONDS
# (progress is read from the DB), then probes it again (academy/progress/breaker.py).
PROGRESS_BREAKER_FAILURES = env_int("PROGRESS_BREAKER_FAILURES", 3)
PROGRESS_BREAKER_OPEN_SECONDS = float(os.environ.get("PROGRESS_BREAKER_OPEN_SECONDS", "5"))
# While Redis is out, one DB read per task per process serves the polls of this many seconds.
PROGRESS_FALLBACK_CACHE_SECONDS = float(os.environ.get("PROGRESS_FALLBACK_CACHE_SECONDS", "1.0"))

# Progress store policy: a running status expires unless its worker writes again (a dead
# worker's task cannot look alive for ever); a terminal one stays; writes are coalesced.
PROCESSING_STATUS_TTL = env_int("PROCESSING_STATUS_TTL", 6 * 3600)
TERMINAL_STATUS_TTL = env_int("TERMINAL_STATUS_TTL", None)
TERMINAL_STATUS_TTL_JITTER = float(os.environ.get("TERMINAL_STATUS_TTL_JITTER", "0.1"))
PROGRESS_MIN_INTERVAL = float(os.environ.get("PROGRESS_MIN_INTERVAL", "0.5"))
PROGRESS_MISSING_TTL = env_int("PROGRESS_MISSING_TTL", 30)
# At most this many "no such task" markers per tenant live at once (each for PROGRESS_MISSING_TTL).
PROGRESS_MISSING_CAP = env_int("PROGRESS_MISSING_CAP", 1000)
PROGRESS_HEARTBEAT_TIMEOUT = env_int("PROGRESS_HEARTBEAT_TIMEOUT", 15 * 60)
# Reconcile (academy/progress/reconcile.py): a PENDING task older than the grace with no run in
# the broker is queued again; a stuck PROCESSING one is queued again up to this many attempts,
# then FAILED. A broker that cannot be listed (SQS) re-queues PENDING tasks after the timeout.
PROGRESS_PENDING_GRACE = env_int("PROGRESS_PENDING_GRACE", 60)
PROGRESS_PENDING_TIMEOUT = env_int("PROGRESS_PENDING_TIMEOUT", 3600)
PROGRESS_STUCK_MAX_ATTEMPTS = env_int("PROGRESS_STUCK_MAX_ATTEMPTS", 3)
# The worker running an attempt holds a Redis lease renewed every third of this; a second
# delivery of the attempt waits this long and tries again (academy/progress/lease.py).
TASK_LEASE_TTL = env_int("TASK_LEASE_TTL", 60)
# Push (GET /api/v1/progress/stream/): each tenant's capped event stream replays missed events
# to a reconnecting viewer; older gaps are answered with the current states instead.
PROGRESS_STREAM_MAXLEN = env_int("PROGRESS_STREAM_MAXLEN", 1000)
PROGRESS_STREAM_TTL = env_int("PROGRESS_STREAM_TTL", 15 * 60)
PROGRESS_STREAM_HEARTBEAT = float(os.environ.get("PROGRESS_STREAM_HEARTBEAT", "15"))
PROGRESS_STREAM_TICKET_TTL = env_int("PROGRESS_STREAM_TICKET_TTL", 30)
# Events held per viewer while it reads slowly (one per task: the latest); past it, a resync.
PROGRESS_STREAM_PENDING_MAX = env_int("PROGRESS_STREAM_PENDING_MAX", 256)

# A Redis Cluster (REDIS_URL=redis+cluster://...) may hold progress but not the broker:
# Celery's Redis transport needs one server (see the README's deployment guide).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if not CELERY_BROKER_URL:
    if REDIS_URL.partition("://")[0].endswith("+cluster"):
        raise ImproperlyConfigured("REDIS_URL names a Redis Cluster: set CELERY_BROKER_URL to a single Redis or sqs://.")
    CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# visibility_timeout: how long a taken, unacknowledged message stays hidden (Redis and SQS
# alike). Tasks ack late, so it must outlast the longest task: see the check below
# VIDEO_ENCODE_TIMEOUT. CELERY_BROKER_TRANSPORT_OPTIONS (JSON) adds to it, e.g. for SQS
# {"region": "ap-northeast-2", "queue_name_prefix": "academy-"}.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 6 * 3600,
    **json.loads(os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS") or "{}"),
}
BROKER_IS_SQS = CELERY_BROKER_URL.startswith("sqs://")
# SQS has no broadcast without SNS: no remote control (celery inspect/control) over it.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = not BROKER_IS_SQS
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport with the fix that keeps a worker alive when Redis drops while
    # tasks run (academy/broker.py).
    CELERY_BROKER_TRANSPORT = "academy.broker:Transport"
    # Short socket timeouts: a frozen Redis is noticed in seconds, not at the TCP timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(socket_timeout=5, socket_connect_timeout=5, socket_keepalive=True,
                                           health_check_interval=10)
# Keep retrying the broker forever: the worker waits out a Redis restart instead of exiting.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Encodes run for minutes to hours, jobs for seconds: separate queues, so a burst of encodes
# (one academy's, say) never delays an import or a message. Production runs one worker per
# queue (deploy/systemd/); `celery -A academy worker -Q video,jobs` serves both.
VIDEO_QUEUE = os.environ.get("VIDEO_QUEUE", "video")
JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "jobs")
CELERY_TASK_DEFAULT_QUEUE = JOBS_QUEUE
# A worker started without -Q consumes both (tests, the e2e run); production splits them.
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in (JOBS_QUEUE, VIDEO_QUEUE)}
CELERY_TASK_ROUTES = {
    "academy.videos.tasks.video_encode": {"queue": VIDEO_QUEUE},
    "academy.jobs.tasks.job_run": {"queue": JOBS_QUEUE},
}
# At most this many encodes of one tenant run at once; the others wait in the queue, so
# one academy's uploads cannot occupy every encoding slot (0 = no cap).
VIDEO_TENANT_MAX_CONCURRENT = env_int("VIDEO_TENANT_MAX_CONCURRENT", 1)
VIDEO_TENANT_DEFER_SECONDS = float(os.environ.get("VIDEO_TENANT_DEFER_SECONDS", "10"))
CELERY_IMPORTS = ("academy.maintenance",)
CELERY_BEAT_SCHEDULE = {
    "progress-reconcile": {"task": "academy.progress.tasks.progress_reconcile",
                           "schedule": float(os.environ.get("PROGRESS_RECONCILE_INTERVAL", "60"))},
    "retention-sweep": {"task": "academy.maintenance.retention_sweep", "schedule": 24 * 3600.0},
}
# Days a FAILED video's upload and a stored roster file are kept (the daily retention sweep).
VIDEO_FAILED_SOURCE_RETENTION_DAYS = env_int("VIDEO_FAILED_SOURCE_RETENTION_DAYS", 7)
STUDENT_IMPORT_FILE_RETENTION_DAYS = env_int("STUDENT_IMPORT_FILE_RETENTION_DAYS", 7)

MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))
MEDIA_URL = "/media/files/"
STATIC_URL = "/static/"
STATIC_ROOT = str(VAR_DIR / "static")

TOKEN_TTL = env_int("TOKEN_TTL", 3600)

# Applied on every password set: provisioning, activation, change.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Days an imported student's one-time activation code stays valid.
ACTIVATION_CODE_TTL_DAYS = env_int("ACTIVATION_CODE_TTL_DAYS", 30)

# Login abuse limits (academy/access/throttle.py): attempts per window, counted in Redis.
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 900)
LOGIN_THROTTLE_SUBJECT_LIMIT = env_int("LOGIN_THROTTLE_SUBJECT_LIMIT", 10)  # per (tenant, username)
# Per client address: a school behind one NAT logs in together, so well above one user's limit.
LOGIN_THROTTLE_ADDRESS_LIMIT = env_int("LOGIN_THROTTLE_ADDRESS_LIMIT", 100)
# /metrics: a scraper sends "Authorization: Bearer <METRICS_BEARER_TOKEN>", or comes from one of
# METRICS_ALLOWED_NETWORKS (CIDRs, comma-separated). Both empty: /metrics refuses everyone.
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [n.strip() for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "").split(",") if n.strip()]
for _network in METRICS_ALLOWED_NETWORKS:
    ipaddress.ip_network(_network, strict=False)  # a typo fails at start, not at the first scrape
# How many reverse proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["academy.tenants.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["academy.tenants.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "academy.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "academy.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "academy API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Two models have a `status` with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "academy.jobs.models.JobStatus",
                            "VideoStatusEnum": "academy.videos.models.VideoStatus"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The web app's Content-Security-Policy (academy/webapp.py): its own scripts and styles only.
# blob: for media and workers: hls.js feeds the <video> through MediaSource and may run a worker.
# CSP_MEDIA_ORIGINS: where playback may fetch besides this origin (an S3 bucket's presigned
# URLs, space-separated origins, e.g. "https://bucket.s3.ap-northeast-2.amazonaws.com").
_MEDIA_ORIGINS = os.environ.get("CSP_MEDIA_ORIGINS", "").strip()
_media = f" {_MEDIA_ORIGINS}" if _MEDIA_ORIGINS else ""
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY") or "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src 'self' data: blob:{_media}",
    f"media-src 'self' blob:{_media}", "worker-src 'self' blob:", f"connect-src 'self'{_media}",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
# TLS deployments (README "Security model"): off by default so the demo runs on plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# JSON request bodies: Django's 2.5 MB (its default) except where a view sets `body_limit`.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# The AI job's body: grading accepts 5,000 submissions x 500 answers (academy/ai/grading.py),
# about 40 MB of JSON with short answers.
AI_JOB_MAX_BODY_BYTES = env_int("AI_JOB_MAX_BODY_BYTES", 64 * 1024 * 1024)

# Job results larger than this stay in the DB; Redis keeps a summary and a reference.
JOB_RESULT_REDIS_MAX_BYTES = env_int("JOB_RESULT_REDIS_MAX_BYTES", 8192)

# Video pipeline (academy/videos). Empty VIDEO_MAX_DURATION / VIDEO_ENCODE_TIMEOUT = no limit.
VIDEO_MAX_UPLOAD_BYTES = env_int("VIDEO_MAX_UPLOAD_BYTES", 2 * 1024**3)
VIDEO_MAX_DURATION = env_int("VIDEO_MAX_DURATION", 4 * 3600)  # seconds of video
# Below PROCESSING_STATUS_TTL and the broker's visibility timeout (6 h), so a slow encode
# ends FAILED before its status could expire or its message be delivered twice.
VIDEO_ENCODE_TIMEOUT = env_int("VIDEO_ENCODE_TIMEOUT", 5 * 3600)
# A message hidden for less than an encode may take is handed to a second worker while the
# first still encodes. One hour of margin covers the probe, the download of the source
# and the upload of the output around ffmpeg's own limit. SQS allows at most 12 hours.
_visibility = CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
if VIDEO_ENCODE_TIMEOUT is None or _visibility < VIDEO_ENCODE_TIMEOUT + 3600:
    raise ImproperlyConfigured(
        f"The broker's visibility_timeout ({_visibility} s) must exceed VIDEO_ENCODE_TIMEOUT "
        f"({VIDEO_ENCODE_TIMEOUT} s) by an hour, or a long encode is delivered twice.")
if BROKER_IS_SQS and _visibility > 12 * 3600:
    raise ImproperlyConfigured("SQS allows a visibility_timeout of at most 43200 s (12 h).")
VIDEO_PLAYBACK_TTL = env_int("VIDEO_PLAYBACK_TTL", 4 * 3600)  # lifetime of a signed HLS URL
# One progress write per second at most: viewers poll every 1-5 s anyway.
VIDEO_PROGRESS_INTERVAL = float(os.environ.get("VIDEO_PROGRESS_INTERVAL", "1.0"))
# Uploads above this stream to a temp file (FILE_UPLOAD_TEMP_DIR) instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None
# Uploads and HLS output go through the default storage: MEDIA_ROOT, or an S3-compatible
# bucket with STORAGE_BACKEND=storages.backends.s3.S3Storage and STORAGE_OPTIONS='{"bucket_name": ...}'.
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Excel student import (academy/students): limits of one uploaded roster.
STUDENT_IMPORT_MAX_BYTES = env_int("STUDENT_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
STUDENT_IMPORT_MAX_ROWS = env_int("STUDENT_IMPORT_MAX_ROWS", 100_000)

# Messaging (academy/messaging). SMS: "outbox" (a JSON-lines file, the demo default) or
# "http" (a gateway at MESSAGING_SMS_URL). E-mail: Django's mail backend; the demo default
# writes files next to the SMS outbox, production sets EMAIL_BACKEND to SMTP.
MESSAGING_SMS_PROVIDER = os.environ.get("MESSAGING_SMS_PROVIDER", "outbox")
MESSAGING_SMS_URL = os.environ.get("MESSAGING_SMS_URL", "")
MESSAGING_SMS_API_KEY = os.environ.get("MESSAGING_SMS_API_KEY", "")
MESSAGING_SMS_TIMEOUT = float(os.environ.get("MESSAGING_SMS_TIMEOUT", "10"))
MESSAGING_OUTBOX_DIR = os.environ.get("MESSAGING_OUTBOX_DIR") or os.path.join(MEDIA_ROOT, "outbox")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or os.path.join(MESSAGING_OUTBOX_DIR, "email")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Academy <noreply@academy.local>")
# Per-tenant sending rate, shared by all workers (a token bucket in Redis).
MESSAGING_RATE_PER_SECOND = float(os.environ.get("MESSAGING_RATE_PER_SECOND", "50"))
MESSAGING_RATE_BURST = env_int("MESSAGING_RATE_BURST", 100)
MESSAGING_BATCH_SIZE = env_int("MESSAGING_BATCH_SIZE", 100)  # deliveries per SELECT and per UPDATE
MESSAGING_MAX_RECIPIENTS = env_int("MESSAGING_MAX_RECIPIENTS", 10_000)
MESSAGING_BODY_MAX_CHARS = env_int("MESSAGING_BODY_MAX_CHARS", 2000)
