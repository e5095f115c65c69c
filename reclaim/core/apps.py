from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "reclaim.core"
    label = "core"
    verbose_name = "Reclaim core"

    def ready(self) -> None:
        from tqdm import tqdm

        from . import checks  # noqa: F401  (registers the project's deploy checks)

        # No tqdm monitor thread: once started it lives as long as the process, and audit
        # verification does not fork its workers from a process that runs other threads.
        tqdm.monitor_interval = 0
