"""Needs assessments, screenings, service plans, notes and appointments (see DESIGN.md)."""

from django.db import models  # noqa: F401
