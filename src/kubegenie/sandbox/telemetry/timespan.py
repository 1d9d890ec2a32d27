"""Durations as people type them on the command line (`7d`, `90m`, `60s`, `1h30m`), in seconds."""

from __future__ import annotations

import re

_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")


def parse_span(text: str) -> float:
    """Seconds in `text`; a bare number means seconds. Raises ValueError on anything else."""
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty duration")
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        if value < 0:
            raise ValueError(f"negative duration {text!r}")
        return value
    position, total = 0, 0.0
    for match in _PART.finditer(raw):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(raw):
        raise ValueError(f"invalid duration {text!r}: use a number with w, d, h, m or s, such as 7d or 60s")
    return total


def format_span(seconds: float) -> str:
    """The shortest `7d`/`36h`/`90m`/`60s` spelling of a whole number of seconds."""
    whole = int(seconds)
    for suffix in ("d", "h", "m"):
        size = int(_UNITS[suffix])
        if whole and whole % size == 0:
            return f"{whole // size}{suffix}"
    return f"{whole}s"
