"""Inline SVG charts for the dashboard, drawn server-side: no script, nothing from a CDN.

Every text that reaches the SVG goes through ``escape``; numbers are formatted by us.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from sync.selectors.dashboard import JobPoint

PUSHED_COLOUR, UNCHANGED_COLOUR, DURATION_COLOUR, FAILED_COLOUR = "#2b6cb0", "#a0aec0", "#dd6b20", "#c53030"


def _duration_label(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def jobs_chart_svg(points: Sequence[JobPoint], *, width: int = 760, height: int = 260) -> SafeString:
    """Stacked bars of pushed vs unchanged records per job (left axis), job duration as a line (right axis)."""
    if not points:
        return mark_safe('<p class="ib-empty">No job has run yet.</p>')
    left, right, top, bottom = 56, 64, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    max_records = max(max(p.pushed + p.unchanged for p in points), 1)
    max_seconds = max(max(p.duration_seconds for p in points), 1.0)
    slot = plot_w / len(points)
    bar_w = max(min(slot * 0.6, 40), 2)
    parts = [
        f'<svg class="ib-chart" role="img" aria-label="Recent sync jobs" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        "<title>Recent sync jobs: pushed and unchanged records, duration</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#718096"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#718096"/>',
        f'<line x1="{left + plot_w}" y1="{top}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#718096"/>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h - fraction * plot_h
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{round(max_records * fraction)}</text>')
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" fill="{DURATION_COLOUR}">'
            f"{escape(_duration_label(max_seconds * fraction))}</text>"
        )
    line: list[str] = []
    for index, point in enumerate(points):
        x = left + slot * index + (slot - bar_w) / 2
        pushed_h = point.pushed / max_records * plot_h
        unchanged_h = point.unchanged / max_records * plot_h
        base = top + plot_h
        tip = escape(
            f"Job #{point.job_id} {point.kind} {point.data_type} ({point.state}): {point.pushed} pushed, "
            f"{point.unchanged} unchanged, {point.issues} issues, {_duration_label(point.duration_seconds)}"
        )
        outline = f' stroke="{FAILED_COLOUR}" stroke-width="2"' if point.state == "failed" else ""
        parts.append(f'<g class="ib-bar" data-job="{point.job_id}"><title>{tip}</title>')
        parts.append(
            f'<rect x="{x:.1f}" y="{base - pushed_h:.1f}" width="{bar_w:.1f}" height="{pushed_h:.1f}" '
            f'fill="{PUSHED_COLOUR}"{outline}/>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{base - pushed_h - unchanged_h:.1f}" width="{bar_w:.1f}" '
            f'height="{unchanged_h:.1f}" fill="{UNCHANGED_COLOUR}"{outline}/>'
        )
        parts.append("</g>")
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base + 14}" text-anchor="middle">#{point.job_id}</text>')
        if slot >= 64:  # room for the type under the bar; otherwise the tooltip names it
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{base + 27}" text-anchor="middle" fill="#4a5568">'
                f"{escape(point.data_type[:10])}</text>"
            )
        line.append(f"{x + bar_w / 2:.1f},{top + plot_h - point.duration_seconds / max_seconds * plot_h:.1f}")
    parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{DURATION_COLOUR}" stroke-width="2"/>')
    for coordinates in line:
        cx, cy = coordinates.split(",")
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{DURATION_COLOUR}"/>')
    legend = [(PUSHED_COLOUR, "pushed"), (UNCHANGED_COLOUR, "unchanged"), (DURATION_COLOUR, "duration (right axis)")]
    x = left
    for colour, label in legend:
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="17">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped text above


def intake_chart_svg(
    per_hour: Sequence[tuple[datetime, int, int]], *, width: int = 760, height: int = 90
) -> SafeString:
    """Webhook deliveries per hour over the last day; the failed part of each bar in red."""
    left, right, top, bottom = 56, 64, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([received for _hour, received, _failed in per_hour] + [1])
    slot = plot_w / max(len(per_hour), 1)
    parts = [
        f'<svg class="ib-chart" role="img" aria-label="Webhook deliveries per hour" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#718096"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">{peak}/h</text>',
    ]
    for index, (hour, received, failed) in enumerate(per_hour):
        x = left + slot * index + 1
        received_h = received / peak * plot_h
        failed_h = failed / peak * plot_h
        base = top + plot_h
        parts.append(
            f"<g><title>{escape(hour.strftime('%H:00'))}: {received} received, {failed} failed</title>"
            f'<rect x="{x:.1f}" y="{base - received_h:.1f}" width="{max(slot - 2, 1):.1f}" height="{received_h:.1f}" '
            f'fill="{PUSHED_COLOUR}"/>'
            f'<rect x="{x:.1f}" y="{base - failed_h:.1f}" width="{max(slot - 2, 1):.1f}" height="{failed_h:.1f}" '
            f'fill="{FAILED_COLOUR}"/></g>'
        )
        if index % 6 == 0:
            parts.append(f'<text x="{x:.1f}" y="{base + 14}">{escape(hour.strftime("%H:00"))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped text above
