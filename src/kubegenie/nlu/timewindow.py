"""Time windows in plain words and kubectl flags: "last 2 hours", "in the past 30 min", "since yesterday",
"today", "--since=1h", "since 9am". Everything is relative to the `now` the caller passes, so results are
deterministic; days start at midnight UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from kubegenie.domain.intents import TimeWindow
from kubegenie.nlu.vocabulary import MASK_WINDOW, NUMBER_WORDS

_UNITS: dict[str, timedelta] = {}
for _names, _delta in (
    (("s", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
):
    for _name in _names:
        _UNITS[_name] = _delta

_UNIT = r"(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
_NUMBER = r"(?P<n>\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"|an|a)"
_LEAD = r"(?:(?:in|over|during|for|from|within)\s+)?(?:the\s+)?"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"--since[= ](?P<n>\d+)" + _UNIT + r"\b"), "ago"),
    (re.compile(_LEAD + r"(?:last|past|previous)\s+(?:half\s+an?\s+hour|30\s*mins?)\b"), "half-hour"),
    (re.compile(_LEAD + r"(?:last|past|previous)\s+" + _NUMBER + r"(?:\s+of)?\s*" + _UNIT + r"\b"), "ago"),
    (re.compile(_LEAD + r"(?:last|past|previous)\s+" + _UNIT + r"\b"), "one"),
    (re.compile(r"(?:since\s+)?" + _NUMBER + r"\s*" + _UNIT + r"\s+ago\b"), "ago"),
    (re.compile(r"since\s+" + _NUMBER + r"\s*" + _UNIT + r"\b"), "ago"),
    (re.compile(r"since\s+yesterday\b"), "since-yesterday"),
    (re.compile(r"(?:from\s+|during\s+|for\s+)?yesterday\b"), "yesterday"),
    (re.compile(r"(?:since\s+this\s+morning|(?:from\s+|for\s+|since\s+)?today|so\s+far\s+today)\b"), "today"),
    (re.compile(r"(?:since\s+the\s+start\s+of\s+|during\s+|for\s+)?this\s+week\b"), "this-week"),
    (re.compile(r"since\s+(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?\b"), "clock"),
]


def _count(raw: str) -> int:
    if raw.isdigit():
        return int(raw)
    if raw in ("a", "an"):
        return 1
    return NUMBER_WORDS[raw]


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _window(kind: str, match: re.Match[str], now: datetime) -> TimeWindow | None:
    groups = match.groupdict()
    if kind == "ago":
        return TimeWindow(since=now - _count(groups["n"]) * _UNITS[groups["unit"]])
    if kind == "one":
        return TimeWindow(since=now - _UNITS[groups["unit"]])
    if kind == "half-hour":
        return TimeWindow(since=now - timedelta(minutes=30))
    if kind == "since-yesterday":
        return TimeWindow(since=_midnight(now) - timedelta(days=1))
    if kind == "yesterday":
        return TimeWindow(since=_midnight(now) - timedelta(days=1), until=_midnight(now))
    if kind == "today":
        return TimeWindow(since=_midnight(now))
    if kind == "this-week":
        return TimeWindow(since=_midnight(now) - timedelta(days=now.weekday()))
    hour, minute = int(groups["hour"]), int(groups["minute"] or 0)
    if groups["ampm"] == "pm" and hour < 12:
        hour += 12
    elif groups["ampm"] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or (groups["ampm"] is None and groups["minute"] is None):
        return None
    since = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    # "since 9pm" said at 8am means last night.
    return TimeWindow(since=since if since <= now else since - timedelta(days=1))


def extract_window(text: str, now: datetime) -> tuple[TimeWindow | None, str]:
    """The first time window in `text`, and the text with it replaced by a placeholder."""
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(text):
            window = _window(kind, match, now)
            if window is not None:
                return window, f"{text[: match.start()]} {MASK_WINDOW} {text[match.end():]}".strip()
    return None, text
