"""What understanding a message yields: either a typed request with a confidence (`Understood`) or a short
question back with the closest options (`Clarification`). Both are serialisable values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.domain.intents import AnyRequest, Intent


class Understood(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["understood"] = "understood"
    request: AnyRequest
    confidence: float
    """0..1: 1.0 for kubectl command lines, the model's probability otherwise."""
    notes: tuple[str, ...] = ()
    """What was assumed on the way ("'chekout' taken as deployment checkout")."""

    @property
    def intent(self) -> Intent:
        return self.request.intent


class ClarificationReason(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BINARY = "binary"
    NO_WORDS = "no_words"
    UNSAFE = "unsafe"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    UNCONFIRMED_CHANGE = "unconfirmed_change"
    MISSING = "missing"
    AMBIGUOUS_NAME = "ambiguous_name"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_NAMESPACE = "unknown_namespace"
    UNKNOWN_CLUSTER = "unknown_cluster"


class Option(BaseModel):
    """One thing the user may have meant; `request` is ready to run when the option is complete."""

    model_config = ConfigDict(frozen=True)

    label: str
    """What to say (or click) to choose it, e.g. "list pods in payments"."""
    request: AnyRequest | None = None


class Clarification(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["clarification"] = "clarification"
    reason: ClarificationReason
    question: str
    """One or two plain sentences, ending in the question."""
    options: tuple[Option, ...] = ()
    intent: Intent | None = None
    """The intent KubeGenie thinks is meant, when it has one."""


Understanding = Annotated[Understood | Clarification, Field(discriminator="kind")]
