"""HSDS 3.0 service directory: organisations, services, locations, eligibility, capacity."""

from django.db import models  # noqa: F401
