"""Bench-only settings of the bare server: one Django function view, no apps, no middleware.

What a poll costs when Django does nothing but route the request and one HGETALL: the
ceiling the product's progress endpoints are measured against (issue 17), served by the
same WSGI server with the same options in the same run.
"""
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.poll.bare_urls"
DATABASES: dict = {}
USE_TZ = True
REDIS_URL = os.environ["REDIS_URL"]
