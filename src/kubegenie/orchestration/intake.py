"""Turning what a caller submitted into a typed request, or into the reason it cannot be one.

Surfaces hand either a typed `Request` or raw data (JSON from the API, a Celery message); an unknown intent
or a request that fails validation is a clear task failure with a stable code, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from kubegenie.domain.intents import REQUEST_MODELS, AnyRequest, Intent, Request
from kubegenie.store.records import TaskError

_ADAPTER: TypeAdapter[Request] = TypeAdapter(AnyRequest)
KNOWN = ", ".join(intent.value for intent in Intent)
_INTENT_OF_MODEL = {model: intent for intent, model in REQUEST_MODELS.items()}


def intent_of(request: Request) -> Intent:
    """The intent of a typed request (the base model has no `intent` field; each concrete one has)."""
    return _INTENT_OF_MODEL[type(request)]


@dataclass(frozen=True)
class Rejected:
    intent: str
    """What the caller called it (may be no intent at all)."""
    error: TaskError


def parse_request(raw: Request | Mapping[str, Any]) -> Request | Rejected:
    if isinstance(raw, Request):
        return raw
    intent = raw.get("intent")
    name = intent if isinstance(intent, str) else ""
    if name not in Intent.__members__.values():
        message = (f"{intent!r} is not something KubeGenie can do" if intent is not None
                   else "the request names no intent")
        return Rejected(intent=name[:64] or "unknown", error=TaskError(
            code="unknown_intent", message=message, remediation=f"Use one of: {KNOWN}."))
    try:
        return _ADAPTER.validate_python(dict(raw))
    except ValidationError as exc:
        return Rejected(intent=name, error=TaskError(
            code="invalid_request", message=f"the {name} request is not valid: {_explain(exc)}",
            remediation="Correct the fields named above and submit again."))


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        # The first location item is the union tag (the intent); the field path comes after it.
        where = ".".join(str(part) for part in error["loc"][1:]) or "request"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
