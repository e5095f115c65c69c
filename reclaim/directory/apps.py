from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "reclaim.directory"
    label = "directory"
