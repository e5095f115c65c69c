from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "reclaim.referrals"
    label = "referrals"
