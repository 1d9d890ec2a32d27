"""Understanding messages: text (plain English or kubectl-style) in, a typed request or a clarification out.
Deterministic parsing plus a small statistical model trained at start-up; no I/O, no LLM.
"""

from kubegenie.nlu.context import NluContext
from kubegenie.nlu.frame import Frame, Slots
from kubegenie.nlu.result import Clarification, ClarificationReason, Option, Understanding, Understood
from kubegenie.nlu.understand import analyse, resolve, understand

__all__ = ["Clarification", "ClarificationReason", "Frame", "NluContext", "Option", "Slots", "Understanding",
           "Understood", "analyse", "resolve", "understand"]
