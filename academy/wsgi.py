"""WSGI entry point: the fast path for the request/response API (gunicorn).

GET and HEAD of the two progress polls are answered by academy/polls.py's PollApp before
Django's handler (what that handler and the middleware would add, it adds itself); every
other request is Django's.
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
django_application = get_wsgi_application()

from academy.polls import PollApp  # noqa: E402  (needs the apps loaded)

application = PollApp(django_application)
