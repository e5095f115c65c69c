from django.apps import AppConfig


class SurvivorsConfig(AppConfig):
    name = "reclaim.survivors"
    label = "survivors"
