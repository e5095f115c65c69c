from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "reclaim.care"
    label = "care"
