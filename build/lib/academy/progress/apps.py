from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "academy.progress"
    label = "progress"
