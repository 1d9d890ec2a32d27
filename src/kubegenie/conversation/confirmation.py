"""Reading a reply to "are you sure?": yes, no or cancel, in the ways people type them. Anything else is not
an answer, and the pending change is then dropped rather than applied.
"""

from __future__ import annotations

import re
from enum import StrEnum

from kubegenie.domain.intents import AnyRequest
from kubegenie.nlu.phrasing import phrase


class Reply(StrEnum):
    YES = "yes"
    NO = "no"
    CANCEL = "cancel"


_YES = re.compile(r"^(?:y|yes|yep|yeah|yup|sure|ok|okay|confirm|confirmed|do\s+it|go\s+ahead|go\s+for\s+it|proceed|"
                  r"approve|approved|lgtm|please\s+do|yes\s+please|affirmative|ship\s+it|\U0001f44d)$")
_NO = re.compile(r"^(?:n|no|nope|nah|don't|do\s+not|dont|stop|abort|never\s*mind|no\s+thanks|not\s+now|negative|"
                 r"\U0001f44e)$")
_CANCEL = re.compile(r"^(?:cancel|cancel\s+(?:it|that)|forget\s+it|undo)$")


def parse_reply(text: str) -> Reply | None:
    cleaned = re.sub(r"[\s.!?,]+$", "", text.strip().lower())
    cleaned = re.sub(r"\s+", " ", cleaned)
    if _YES.match(cleaned):
        return Reply.YES
    if _CANCEL.match(cleaned):
        return Reply.CANCEL
    if _NO.match(cleaned):
        return Reply.NO
    return None


def confirmation_question(request: AnyRequest) -> str:
    """What to ask before a change; the dry-run diff is shown beside it by the surfaces."""
    return f"This will {phrase(request)}. Go ahead? (yes / no)"
