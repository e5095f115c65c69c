"""Consented closed-loop referrals between organisations and their share packets."""

from django.db import models  # noqa: F401
