"""Conversations: dialogue state per conversation, follow-ups resolved against it, and confirmation of every
change before it is made. Pure logic; the caller persists the state and runs what comes out.
"""

from kubegenie.conversation.confirmation import Reply, parse_reply
from kubegenie.conversation.dialogue import Ask, Cancelled, Confirm, Outcome, Run, Turn, record_items, respond
from kubegenie.conversation.state import DialogueState, ItemRef, PendingConfirmation, new_state

__all__ = ["Ask", "Cancelled", "Confirm", "DialogueState", "ItemRef", "Outcome", "PendingConfirmation", "Reply",
           "Run", "Turn", "new_state", "parse_reply", "record_items", "respond"]
