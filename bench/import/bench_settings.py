"""Settings of the import benchmark: the app's, plus django-import-export (a bench-only dependency)."""
from academy.settings import *  # noqa: F401,F403
from academy.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
