from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "reclaim.referrals"
    label = "referrals"

    def ready(self) -> None:
        from reclaim.survivors.signals import survivor_erased

        from .services import cancel_referrals_of_erased_survivor

        survivor_erased.connect(
            cancel_referrals_of_erased_survivor, dispatch_uid="referrals.cancel_on_erasure"
        )
