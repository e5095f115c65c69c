"""Server-rendered SVG charts of progress (pygal), safe to serve under the strict CSP.

pygal embeds a small configuration <script> even with `js=[]`; it is removed, so the SVG
carries no script at all. Its <style> elements get the request's CSP nonce, so the default
policy (no 'unsafe-inline') still lets them apply. Labels are escaped by pygal's XML writer.
"""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

from . import scoring
from .instruments import INSTRUMENTS

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_STYLE = re.compile(r"<style\b", re.IGNORECASE)
MAX_ITEM = {"phq9": 27, "gad7": 21, "pcl5": 80}
BAND_EDGES = {
    "phq9": [edge for edge, _band in scoring.PHQ9_BANDS[1:]],
    "gad7": [edge for edge, _band in scoring.GAD7_BANDS[1:]],
    "pcl5": [scoring.PCL5_CUT_POINT],
}
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    font_family="system-ui, sans-serif",
    colors=("#1d4ed8", "#b45309", "#047857", "#9d174d", "#6d28d9", "#0e7490", "#4d7c0f"),
)


def _safe_svg(svg: str, *, nonce: str) -> str:
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    return _STYLE.sub(f'<style nonce="{nonce}"', svg)


def _config(**overrides: Any) -> dict[str, Any]:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "width": 800,
        "height": 420,
        "legend_at_bottom": True,
        "truncate_legend": 40,
        "x_label_rotation": 30,
        "print_values": False,
        **overrides,
    }


def domains_chart(progress: dict[str, Any], *, title: str, nonce: str) -> str:
    """Scores 1-5 per domain over the assessment dates (N/A and not discussed are gaps)."""
    dates = progress["assessments"]
    chart = pygal.Line(**_config(title=title, range=(1, 5), allow_interruptions=True))
    chart.x_labels = [day.isoformat() for day in dates]
    if dates:  # pygal cannot place fixed y labels on an empty chart
        chart.y_labels = [1, 2, 3, 4, 5]
    for domain in progress["domains"]:
        by_date = {point["date"]: point["score"] for point in domain["points"]}
        chart.add(domain["label"], [by_date.get(day) for day in dates])
    return _safe_svg(chart.render(is_unicode=True), nonce=nonce)


def screening_chart(progress: dict[str, Any], instrument: str, *, title: str, nonce: str) -> str:
    """Totals of one instrument over time, with its band edges as reference lines."""
    points: list[dict[str, Any]] = next(
        (s["points"] for s in progress["screenings"] if s["instrument"] == instrument), []
    )
    chart = pygal.Line(**_config(title=title, range=(0, MAX_ITEM[instrument])))
    chart.x_labels = [point["date"].isoformat() for point in points]
    chart.add(INSTRUMENTS[instrument].name, [point["total"] for point in points])
    for edge in BAND_EDGES[instrument]:
        chart.add(
            f"≥ {edge}",
            [edge] * len(points),
            show_dots=False,
            stroke_style={"width": 1, "dasharray": "4, 4"},
        )
    return _safe_svg(chart.render(is_unicode=True), nonce=nonce)
