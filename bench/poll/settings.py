"""Bench-only settings: production settings plus the seed's session authentication.

The baseline endpoints (`bench/poll/views.py`) run behind SessionMiddleware and
AuthenticationMiddleware, as the seed's system did. Everything else is `academy.settings`
unchanged, so the two servers the bench compares differ only in what the baseline needs.
"""
from academy.settings import *  # noqa: F401,F403
from academy.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.sessions"]

# Django's default order: sessions after security, authentication after common.
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
MIDDLEWARE = [
    *MIDDLEWARE[: _security + 1],
    "django.contrib.sessions.middleware.SessionMiddleware",
    *MIDDLEWARE[_security + 1:],
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "bench.poll.urls"
