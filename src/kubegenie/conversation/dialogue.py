"""One step of a conversation: `respond(text, state, context)` returns the new state and what to do next:
run a request, ask to confirm a change, ask a question back, or report a cancelled change. Changes to a
cluster always pass through a confirmation; a reply other than yes drops them. Pure logic, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kubegenie.conversation.confirmation import Reply, confirmation_question, parse_reply
from kubegenie.conversation.followups import fill
from kubegenie.conversation.state import DialogueState, ItemRef, PendingConfirmation
from kubegenie.domain.intents import MUTATING_INTENTS, AnyRequest, ResourceKind
from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.guard import screen
from kubegenie.nlu.result import Clarification, ClarificationReason, Option, Understood
from kubegenie.nlu.understand import analyse, resolve


class Run(BaseModel):
    """Carry out `request` (a read, or a change the user has just confirmed)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["run"] = "run"
    request: AnyRequest
    confidence: float = 1.0
    notes: tuple[str, ...] = ()
    confirmed: bool = False


class Confirm(BaseModel):
    """Show the dry run of `request` and ask `question`; nothing changes until the user says yes."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["confirm"] = "confirm"
    request: AnyRequest
    question: str


class Ask(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["ask"] = "ask"
    clarification: Clarification


class Cancelled(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["cancelled"] = "cancelled"
    request: AnyRequest
    message: str


Outcome = Annotated[Run | Confirm | Ask | Cancelled, Field(discriminator="kind")]


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: DialogueState
    outcome: Outcome
    notes: tuple[str, ...] = ()


def respond(text: object, state: DialogueState, context: NluContext | None = None,
            classifier: IntentClassifier | None = None) -> Turn:
    """The next step of the conversation in `state` after the user says `text`."""
    context = context or NluContext()
    notes: tuple[str, ...] = ()
    if state.pending is not None:
        reply = parse_reply(text) if isinstance(text, str) else None
        pending = state.pending.request
        if reply is Reply.YES:
            return Turn(state=_remember(state.advanced(pending=None, options=()), pending),
                        outcome=Run(request=pending, confirmed=True))
        if reply in (Reply.NO, Reply.CANCEL):
            return Turn(state=state.advanced(pending=None, options=()),
                        outcome=Cancelled(request=pending, message="Cancelled; nothing was changed."))
        notes = ("The change waiting for confirmation was dropped; nothing was changed.",)
        state = state.model_copy(update={"pending": None})
    if state.options and isinstance(text, str):
        chosen = choose_option(text, state.options)
        if chosen is not None and chosen.request is not None:
            return _act(state, Understood(request=chosen.request, confidence=1.0), notes)
    cleaned, refusal = screen(text)
    if refusal is not None or cleaned is None:
        clarification = refusal or Clarification(reason=ClarificationReason.EMPTY,
                                                 question="What would you like to know?")
        return Turn(state=state.advanced(options=clarification.options), outcome=Ask(clarification=clarification),
                    notes=notes)
    frame, _ = fill(analyse(cleaned, context, classifier), state)
    return _act(state, resolve(frame, context), notes)


def _act(state: DialogueState, understanding: Understood | Clarification, notes: tuple[str, ...]) -> Turn:
    if isinstance(understanding, Clarification):
        return Turn(state=state.advanced(options=understanding.options), outcome=Ask(clarification=understanding),
                    notes=notes)
    request = understanding.request
    if request.intent in MUTATING_INTENTS:
        question = confirmation_question(request)
        pending = PendingConfirmation(request=request, question=question, asked_turn=state.turn + 1)
        return Turn(state=state.advanced(pending=pending, options=()),
                    outcome=Confirm(request=request, question=question), notes=notes)
    outcome = Run(request=request, confidence=understanding.confidence, notes=understanding.notes)
    return Turn(state=_remember(state.advanced(options=()), request), outcome=outcome, notes=notes)


def _remember(state: DialogueState, request: AnyRequest) -> DialogueState:
    kind = getattr(request, "kind", None) or getattr(request, "involved_kind", None)
    name = getattr(request, "name", None) or getattr(request, "involved_name", None)
    node = getattr(request, "node", None)
    if name is None and node is not None and request.intent.value in ("drain", "cordon", "uncordon"):
        kind, name = ResourceKind.NODE, node
    changes: dict[str, object] = {"last_request": request, "last_items": ()}
    if request.cluster and not request.all_clusters:
        changes["cluster"] = request.cluster
    if request.namespace:
        changes["namespace"] = request.namespace
    if isinstance(kind, ResourceKind):
        changes["kind"] = kind
        if isinstance(name, str):
            changes["object"] = ItemRef(kind=kind, name=name, namespace=request.namespace,
                                        cluster=request.cluster or state.cluster)
    return state.model_copy(update=changes)


def record_items(state: DialogueState, items: Sequence[ItemRef]) -> DialogueState:
    """Remember what the last answer listed, in the order shown (the caller calls this after answering)."""
    return state.model_copy(update={"last_items": tuple(items)})


_ORDINAL_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                  "fifth": 5, "5th": 5, "last": -1}


def choose_option(text: str, options: Sequence[Option]) -> Option | None:
    """The option a short reply picks: "2", "the second one", "yes" (when there is one), or its label."""
    cleaned = re.sub(r"[\s.!?]+$", "", text.strip().lower())
    if not cleaned or not options:
        return None
    if cleaned.isdigit():
        index = int(cleaned) - 1
        return options[index] if 0 <= index < len(options) else None
    match = re.fullmatch(r"(?:the\s+)?(\w+)(?:\s+one)?(?:\s+please)?", cleaned)
    if match and match.group(1) in _ORDINAL_WORDS:
        position = _ORDINAL_WORDS[match.group(1)]
        index = position - 1 if position > 0 else len(options) - 1
        return options[index] if 0 <= index < len(options) else None
    if len(options) == 1 and parse_reply(cleaned) is Reply.YES:
        return options[0]
    return next((o for o in options if o.label.lower() == cleaned), None)
