"""Label selectors: the `k=v,k2 in (a,b),!k3` text form and the structured matchLabels/matchExpressions
form, parsed and matched with the apiserver's grammar and error messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class LabelSelectorError(ValueError):
    """The text is not a valid label selector; the message is the apiserver's."""


_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the key too.
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(req.matches(labels) for req in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _check_key(key: str) -> None:
    if not _LABEL_KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise LabelSelectorError(f"unable to parse requirement: {_key_message(key)}")


def _key_message(key: str) -> str:
    return (f'invalid label key "{key}": name part must consist of alphanumeric characters, \'-\', \'_\' or '
            f"'.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
            f"'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


def _check_value(value: str) -> None:
    if not _LABEL_VALUE.match(value) or len(value) > 63:
        raise LabelSelectorError(
            f'unable to parse requirement: values[0][]: Invalid value: "{value}": a valid label must be an '
            f"empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            f"with an alphanumeric character")


_SET_EXPR = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `?labelSelector=`; raises a 400 ApiError when malformed."""
    if not text or not text.strip():
        return LabelSelector(())
    requirements = []
    for part in _split_top_level(text):
        set_match = _SET_EXPR.match(part)
        if set_match:
            key, op, values_text = set_match.groups()
            _check_key(key)
            values = tuple(v.strip() for v in values_text.split(",") if v.strip())
            for value in values:
                _check_value(value)
            requirements.append(Requirement(key, op, values))
            continue
        for op in ("!=", "==", "="):
            if op in part:
                key, _, value = part.partition(op)
                key, value = key.strip(), value.strip()
                _check_key(key)
                _check_value(value)
                requirements.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
                break
        else:
            if part.startswith("!"):
                key = part[1:].strip()
                _check_key(key)
                requirements.append(Requirement(key, "!"))
            elif " " in part or "(" in part:
                raise LabelSelectorError(f"unable to parse requirement: found '{part}', expected: in, notin, "
                                         f"=, ==, !=, gt, lt")
            else:
                _check_key(part)
                requirements.append(Requirement(part, "exists"))
    return LabelSelector(tuple(requirements))


def selector_from_match(match_labels: Mapping[str, str] | None,
                        match_expressions: list[dict[str, Any]] | None = None) -> LabelSelector:
    """A LabelSelector from the structured `{matchLabels, matchExpressions}` form used in specs."""
    requirements = [Requirement(key, "=", (value,)) for key, value in sorted((match_labels or {}).items())]
    for expr in match_expressions or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(expr.get("operator", ""))
        if op is None:
            continue
        requirements.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return LabelSelector(tuple(requirements))


def format_selector(match_labels: Mapping[str, str] | None,
                    match_expressions: list[dict[str, Any]] | None = None) -> str:
    """The `k=v,k2 in (a,b)` text of a structured selector, as `kubectl` and Scale status print it."""
    parts = [f"{key}={value}" for key, value in sorted((match_labels or {}).items())]
    for expr in match_expressions or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
