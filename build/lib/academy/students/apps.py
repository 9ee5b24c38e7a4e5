from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "academy.students"
    label = "students"

    def ready(self):
        # Registers the "excel_student_import" job type with the jobs registry.
        from academy.students import handlers  # noqa: F401
