"""A piece of text being read slot by slot: each extractor finds a pattern, records the value and replaces the
span with a placeholder, so later extractors and the classifier never see it twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

NAME = r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?"
"""A token that could be a Kubernetes name (underscores and dots let invalid names be caught and reported)."""
START = r"(?<![\w./=:-])"
END = r"(?![\w/=:-]|\.\w)"


class Scan:
    """Mutable reading state: the remaining text plus the values found so far."""

    def __init__(self, text: str) -> None:
        self.text = f" {text} "
        self.values: dict[str, Any] = {}
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.singular_kinds: set[str] = set()
        """Kinds written in the singular ("service web"), where the next word is a name even when unknown."""

    def sub(self, pattern: re.Pattern[str], handler: Callable[[re.Match[str]], str | None], count: int = 0) -> int:
        """Replace matches by what `handler` returns (None keeps the match); returns how many were replaced."""
        replaced = 0

        def apply(match: re.Match[str]) -> str:
            nonlocal replaced
            if count and replaced >= count:
                return match.group(0)
            result = handler(match)
            if result is None:
                return match.group(0)
            replaced += 1
            return f" {result} " if result else " "

        self.text = re.sub(r"\s+", " ", pattern.sub(apply, self.text))
        if not self.text.startswith(" "):
            self.text = " " + self.text
        if not self.text.endswith(" "):
            self.text += " "
        return replaced

    def set(self, slot: str, value: Any) -> None:
        """First value wins: the earliest, most explicit pattern is the one that counts."""
        self.values.setdefault(slot, value)

    def has(self, slot: str) -> bool:
        return slot in self.values

    @property
    def words(self) -> list[str]:
        return self.text.split()

    @property
    def masked(self) -> str:
        return self.text.strip()


def words(*alternatives: str) -> str:
    """A regex alternation of literal phrases, longest first, with spaces matching any whitespace."""
    ordered = sorted(set(alternatives), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in ordered) + ")"
