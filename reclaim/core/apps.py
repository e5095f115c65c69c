from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "reclaim.core"
    label = "core"
    verbose_name = "Reclaim core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the project's deploy checks)
