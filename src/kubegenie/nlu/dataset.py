"""The shipped labelled utterances (`data/train.yaml`, `data/heldout.yaml`) and the cluster they are asked
about (`data/context.yaml`): loading, and turning a case's labelled slots into the request it expects.
The held-out file is read only by tests and the benchmark, never by training.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kubegenie.domain.intents import REQUEST_MODELS, Intent, Request, TimeWindow
from kubegenie.nlu.context import NluContext

Split = Literal["train", "heldout"]
UNKNOWN = "unknown"
"""The label of messages KubeGenie cannot act on (they must get a clarification)."""


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    intent: str
    """An Intent value, or "unknown"."""
    slots: dict[str, Any] = Field(default_factory=dict)
    clarify: bool = False
    """True when the right answer is a question back (a change without its target, say)."""

    @property
    def label(self) -> Intent | None:
        return None if self.intent == UNKNOWN else Intent(self.intent)


def _read(name: str) -> Any:
    text = resources.files("kubegenie.nlu").joinpath("data", name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader; the C one when libyaml is there


@lru_cache(maxsize=2)
def load_cases(split: Split) -> tuple[Case, ...]:
    return tuple(Case.model_validate(raw) for raw in _read(f"{split}.yaml"))


@lru_cache(maxsize=1)
def load_context() -> NluContext:
    """The cluster the utterances talk about, with a fixed clock so time windows are reproducible."""
    return NluContext.model_validate(_read("context.yaml"))


_DURATION = re.compile(r"^-?(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def window_from_label(label: Any, now: datetime) -> TimeWindow:
    """A labelled window: "2h" (the last two hours), "today", "yesterday", "since-yesterday", "this-week", or
    {since, until} timestamps."""
    if isinstance(label, dict):
        return TimeWindow.model_validate(label)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    named = {"today": TimeWindow(since=midnight),
             "yesterday": TimeWindow(since=midnight - timedelta(days=1), until=midnight),
             "since-yesterday": TimeWindow(since=midnight - timedelta(days=1)),
             "this-week": TimeWindow(since=midnight - timedelta(days=now.weekday()))}
    if label in named:
        return named[label]
    match = _DURATION.match(str(label))
    if not match:
        raise ValueError(f"unreadable window label {label!r}")
    return TimeWindow(since=now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))


def expected_request(case: Case, context: NluContext) -> Request | None:
    """The request a case's labels describe (None for unknown or clarification cases)."""
    if case.label is None or case.clarify:
        return None
    slots = dict(case.slots)
    if "window" in slots:
        slots["window"] = window_from_label(slots["window"], context.now)
    return REQUEST_MODELS[case.label].model_validate(slots)
