"""The functions CRD validation rules call in CEL: size, matches, startsWith, endsWith, contains,
lowerAscii, upperAscii, trim, split, join, duration, timestamp, int, uint, double, string, bytes, bool,
isSorted, sum, min, max, indexOf, lastIndexOf, find, findAll, and the Duration value they work with.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class CELError(Exception):
    """The expression is not understood, or evaluating it failed (no such key, bad types...)."""


def number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CELError("no such overload")
    return value


def compare(operator: str, a: Any, b: Any) -> bool:
    comparable = (isinstance(a, int | float) and isinstance(b, int | float)
                  and not isinstance(a, bool) and not isinstance(b, bool)) \
        or (type(a) is type(b) and isinstance(a, str | bytes | bool | Duration | datetime))
    if not comparable:
        raise CELError("no such overload")
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator])


@dataclass(frozen=True)
class Duration:
    seconds: float

    def __lt__(self, other: Duration) -> bool:
        return self.seconds < other.seconds

    def __le__(self, other: Duration) -> bool:
        return self.seconds <= other.seconds


# --- functions ---------------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> Duration:
    """Go's time.ParseDuration: `1h30m`, `500ms`, `-2.5s`."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return Duration(0.0)
    position, total = 0, 0.0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None:
            raise CELError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not body:
        raise CELError(f'time: invalid duration "{text}"')
    return Duration(sign * total)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | dict):
        return len(value)
    raise CELError("no such overload")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CELError("no such overload")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError as exc:
            raise CELError(f"cannot convert {value!r} to int") from exc
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise CELError("no such overload")


def _string_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str | int | float):
        return str(value)
    raise CELError("no such overload")


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise CELError(f"cannot parse timestamp {value!r}") from exc


GLOBALS: dict[str, Callable[..., Any]] = {
    "size": _size,
    "int": _to_int,
    "uint": _to_int,
    "double": lambda value: float(number(value)) if not isinstance(value, str) else float(value),
    "string": _string_of,
    "bytes": lambda value: str(value).encode(),
    "bool": lambda value: value if isinstance(value, bool) else {"true": True, "false": False}[str(value)],
    "duration": lambda value: parse_duration(str(value)),
    "timestamp": _timestamp,
    "dyn": lambda value: value,
    "type": lambda value: type(value).__name__,
}


def _matches(text: Any, pattern: Any) -> bool:
    try:
        return re.search(str(pattern), str(text)) is not None
    except re.error as exc:
        raise CELError(f"invalid regular expression: {exc}") from exc


def _sorted(values: Any) -> bool:
    return all(not compare("<", b, a) for a, b in itertools.pairwise(values))


METHODS: dict[str, Callable[..., Any]] = {
    "size": _size,
    "matches": _matches,
    "startsWith": lambda text, prefix: str(text).startswith(str(prefix)),
    "endsWith": lambda text, suffix: str(text).endswith(str(suffix)),
    "contains": lambda text, part: str(part) in str(text),
    "lowerAscii": lambda text: str(text).lower(),
    "upperAscii": lambda text: str(text).upper(),
    "trim": lambda text: str(text).strip(),
    "split": lambda text, separator, *limit: str(text).split(str(separator)) if not limit
    else str(text).split(str(separator), max(int(limit[0]) - 1, 0)),
    "join": lambda items, separator="": str(separator).join(str(item) for item in items),
    "indexOf": lambda container, item: container.index(item) if item in container else -1,
    "lastIndexOf": lambda container, item: len(container) - 1 - container[::-1].index(item)
    if item in container else -1,
    "isSorted": _sorted,
    "sum": lambda items: sum(items),
    "min": lambda items: min(items),
    "max": lambda items: max(items),
    "find": lambda text, pattern: (found.group() if (found := re.search(str(pattern), str(text))) else ""),
    "findAll": lambda text, pattern, *limit: re.findall(str(pattern), str(text))[: int(limit[0]) if limit else None],
    "getSeconds": lambda value: int(value.seconds) if isinstance(value, Duration) else int(value.timestamp()),
    "getMilliseconds": lambda value: int(value.seconds * 1000) % 1000 if isinstance(value, Duration)
    else value.microsecond // 1000,
}


