"""How the operator console shows a moment: to the second, with the time zone, and how long ago.

``when`` renders ``<time datetime="…" title="…">2026-12-02 10:02:13 UTC</time> <span>(3 min ago)</span>``;
``ago`` is the short relative part alone (lists that have no room for both). Plain functions returning
escaped HTML, usable from any admin (``connections`` and ``sync`` alike) and from templates through the
``console_time`` filters (``sync/templatetags/console_time.py``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

FORMAT = "%Y-%m-%d %H:%M:%S %Z"


def local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def stamp(value: datetime) -> str:
    """ "2026-12-02 10:02:13 UTC"."""
    return local(value).strftime(FORMAT)


def ago(value: datetime, *, now: datetime | None = None) -> str:
    """ "12 s ago", "3 min ago", "2 h ago", "4 d ago"; "in 20 s" for a moment still to come."""
    seconds = ((now or timezone.now()) - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        text = f"{seconds:.0f} s"
    elif seconds < 3600:
        text = f"{seconds // 60:.0f} min"
    elif seconds < 86400 * 2:
        text = f"{seconds // 3600:.0f} h"
    else:
        text = f"{seconds // 86400:.0f} d"
    return f"in {text}" if future else f"{text} ago"


def when(value: datetime | None, *, empty: str = "—", relative: bool = True, now: datetime | None = None) -> SafeString:
    """The moment to the second with its time zone, then "(x ago)"; ``empty`` for None."""
    if value is None:
        return format_html('<span class="ib-never">{}</span>', empty)
    if not relative:
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), stamp(value))
    return format_html(
        '<time datetime="{}" title="{}">{}</time> <span class="ib-ago">({})</span>',
        value.isoformat(),
        stamp(value),
        stamp(value),
        ago(value, now=now),
    )


def when_short(value: datetime | None, *, empty: str = "never", now: datetime | None = None) -> SafeString:
    """ "3 min ago", with the full moment (seconds, time zone) in the tooltip: for narrow list columns."""
    if value is None:
        return format_html('<span class="ib-never">{}</span>', empty)
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), stamp(value), ago(value, now=now))
