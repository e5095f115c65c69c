"""JSON API of the referrals app, mounted by reclaim/api.py."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["referrals"])
