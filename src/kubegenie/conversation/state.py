"""The state of one conversation, as a serialisable value the caller persists between messages: where the
user was looking (cluster, namespace, kind, object), what was listed last, the options of the last
clarification and a change waiting for confirmation. No I/O.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from kubegenie.domain.intents import AnyRequest, ResourceKind
from kubegenie.nlu.result import Option


class ItemRef(BaseModel):
    """One object shown to the user, so "the second one" and "it" can point at it."""

    model_config = ConfigDict(frozen=True)

    kind: ResourceKind
    name: str
    namespace: str | None = None
    cluster: str | None = None


class PendingConfirmation(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: AnyRequest
    question: str
    asked_turn: int


class DialogueState(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    turn: int = 0
    cluster: str | None = None
    """The cluster talked about last; later questions stay on it unless they name another."""
    namespace: str | None = None
    kind: ResourceKind | None = None
    object: ItemRef | None = None
    """The object talked about last: what "it" means."""
    last_request: AnyRequest | None = None
    last_items: tuple[ItemRef, ...] = ()
    """What the last answer listed, in the order shown."""
    options: tuple[Option, ...] = ()
    """The choices of the last clarification, answerable with "1", "the second one" or "yes"."""
    pending: PendingConfirmation | None = None
    """A change waiting for yes or no; dropped when the user moves on to something else."""

    def advanced(self, **changes: Any) -> DialogueState:
        return self.model_copy(update={"turn": self.turn + 1, **changes})


def new_state(conversation_id: str) -> DialogueState:
    return DialogueState(conversation_id=conversation_id)


__all__ = ["DialogueState", "ItemRef", "PendingConfirmation", "new_state"]
