"""Messages that are not questions at all: empty, huge, binary, emoji-only, or shaped like SQL, shell or prompt
injection. Each gets a plain clarification before any parsing runs; nothing here raises, whatever it is fed.
"""

from __future__ import annotations

import re

from kubegenie.nlu.result import Clarification, ClarificationReason, Option

MAX_CHARS = 2000
"""Longer messages are refused unread: a question fits in a few lines, and the cost of reading stays bounded."""

_EXAMPLES = (Option(label="cluster overview"), Option(label="list failing pods"), Option(label="help"))
_SHELL = re.compile(r"(?:;|&&|\|\|)\s*(?:rm|curl|wget|bash|sh|cat|chmod|chown|nc|python|perl|mkfifo|dd|shutdown|"
                    r"reboot|kill|sudo|echo)\b|\$\(|`[^`]*`|\|\s*(?:ba)?sh\b|>\s*/(?:dev|etc|tmp)/|\brm\s+-rf\b"
                    r"|/etc/(?:passwd|shadow)|\bbase64\s+-d\b")
_SQL = re.compile(r"(?:'|\"|\b)\s*(?:or|and)\s+['\"]?\d+['\"]?\s*=\s*['\"]?\d+|\bunion\s+(?:all\s+)?select\b|"
                  r";\s*(?:drop|delete|truncate|insert|update|alter)\s+(?:table|from|into|database)?\b|"
                  r"\bdrop\s+table\b|'\s*--|\bselect\s+\*\s+from\b|\bxp_cmdshell\b|\bsleep\(\d+\)", re.IGNORECASE)
_PROMPT = re.compile(r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|previous\s+|prior\s+|"
                     r"above\s+|earlier\s+)*(?:instructions|rules|prompts?|guidelines|directions|context)\b|"
                     r"\b(?:system|developer)\s+(?:prompt|message|mode)\b|\byou\s+are\s+now\b|\bjailbreak|"
                     r"\b(?:reveal|print|show|repeat)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)"
                     r"|\bact\s+as\s+(?:an?\s+)?(?:unrestricted|root|admin|dan)\b|\bpretend\s+(?:to\s+be|you)\b|"
                     r"\bdo\s+anything\s+now\b|<\|?(?:im_start|system|endoftext)", re.IGNORECASE)


def _clarify(reason: ClarificationReason, question: str) -> Clarification:
    return Clarification(reason=reason, question=question, options=_EXAMPLES)


def screen(text: object) -> tuple[str | None, Clarification | None]:
    """The text to read, or the clarification that replaces reading it."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return None, _clarify(ClarificationReason.BINARY, "That looks like binary data, not a question. "
                                  "What would you like to know about your cluster?")
    if not isinstance(text, str):
        return None, _clarify(ClarificationReason.EMPTY, "I need a question as text. What would you like to know?")
    if len(text) > MAX_CHARS:
        return None, _clarify(ClarificationReason.TOO_LONG, f"That message is {len(text):,} characters long; "
                              f"questions are limited to {MAX_CHARS:,}. Could you ask it in a sentence or two?")
    stripped = text.strip()
    if not stripped:
        return None, _clarify(ClarificationReason.EMPTY, "The message is empty. What would you like to know about "
                              "your cluster? For example: cluster overview, list failing pods, or help.")
    controls = sum(1 for ch in stripped if (ord(ch) < 32 and ch not in "\t\n\r") or ch in "\x7f\ufffd\x00")
    if (controls and controls * 10 >= len(stripped)) or "\x00" in stripped:
        return None, _clarify(ClarificationReason.BINARY, "That looks like binary data, not a question. "
                              "What would you like to know about your cluster?")
    if set(stripped) == {"?"}:
        return "help", None
    if not any(ch.isalnum() for ch in stripped):
        return None, _clarify(ClarificationReason.NO_WORDS, "I couldn't find any words in that message. "
                              "Ask me about your cluster in words, for example: list failing pods.")
    if _PROMPT.search(stripped):
        return None, _clarify(ClarificationReason.UNSAFE, "That reads like an instruction to change how I work, "
                              "and I only answer questions about clusters. What would you like to know?")
    if _SHELL.search(stripped) or _SQL.search(stripped):
        return None, _clarify(ClarificationReason.UNSAFE, "That looks like a shell or SQL command. KubeGenie never "
                              "runs commands from messages; ask in words or as a single kubectl command instead.")
    return stripped, None
