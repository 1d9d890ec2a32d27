"""Reading one message into a Frame without deciding anything: normalize, try it as a kubectl command line,
otherwise pull the slots out of the plain language (masking them) and collect the dialogue cues. The
intent ranking is added by `analyse` in `understand.py`.
"""

from __future__ import annotations

from typing import Any

from kubegenie.domain.intents import Intent, ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.details import extract_details, extract_early
from kubegenie.nlu.frame import Frame, IntentScore, Slots, Source
from kubegenie.nlu.kubectl import NotKubectl, parse_kubectl
from kubegenie.nlu.matching import NameMatch, resolve
from kubegenie.nlu.normalize import normalize
from kubegenie.nlu.references import extract_cues, extract_name
from kubegenie.nlu.scan import Scan
from kubegenie.nlu.slots import extract_kinds, extract_scope
from kubegenie.nlu.timewindow import extract_window
from kubegenie.nlu.vocabulary import MASK_TEXT


def read(text: str, context: NluContext) -> Frame:
    """Slots, masked text and cues of `text`; kubectl command lines come back already ranked."""
    normalized = normalize(text, protected=context.known_words())
    notes = [f"'{typed}' read as '{fixed}'" for typed, fixed in normalized.corrections]
    try:
        command = parse_kubectl(normalized.text)
    except NotKubectl:
        return _read_language(normalized.text, normalized.quoted, notes, context)
    cues = extract_cues(normalized.text, has_name=command.name is not None)
    if command.intent is None:
        return Frame(text=normalized.text, masked=normalized.text, source=Source.KUBECTL, cues=cues,
                     problems=(command.problem or "",))
    values: dict[str, Any] = dict(command.slots)
    window, _ = extract_window(normalized.text, context.now)
    if window is not None:
        values["window"] = window
    if command.name:
        # "logs web" names a pod in kubectl; when no pod is called that but a workload is, the workload is meant.
        loose = command.intent is Intent.POD_LOGS and values.get("kind") is ResourceKind.POD and "/" not in text
        kind = None if loose and command.name not in context.names_of(ResourceKind.POD) else values.get("kind")
        _apply_name(values, resolve(command.name, kind, context), notes, keep_kind=not loose)
    _unquote(values, normalized.quoted)
    return Frame(text=normalized.text, masked=normalized.text, slots=Slots(**values), source=Source.KUBECTL,
                 ranking=(IntentScore(intent=command.intent, score=1.0),), cues=cues,
                 notes=(*notes, *command.notes))


def _join_spaced_names(text: str, context: NluContext) -> str:
    """"the payments api pod" -> "the payments-api pod" when the cache knows payments-api."""
    words = text.split(" ")
    index = 0
    while index < len(words) - 1:
        joined = f"{words[index]}-{words[index + 1]}"
        if joined in context.by_base():
            words[index:index + 2] = [joined]
        index += 1
    return " ".join(words)


def _read_language(text: str, quoted: tuple[str, ...], notes: list[str], context: NluContext) -> Frame:
    scan = Scan(_join_spaced_names(text, context))
    extract_early(scan)
    window, scan.text = extract_window(scan.text, context.now)
    scan.text = f" {scan.text.strip()} "
    extract_scope(scan, context)
    kinds = extract_kinds(scan)
    extract_details(scan)
    match = extract_name(scan, kinds, context)
    values: dict[str, Any] = dict(scan.values)
    if window is not None:
        values["window"] = window
    if kinds:
        values["kind"] = kinds[0]
    if match is not None:
        _apply_name(values, match, notes, keep_kind=False)
    _unquote(values, quoted)
    cues = extract_cues(text, has_name=match is not None)
    return Frame(text=text, masked=scan.masked, slots=Slots(**values), source=Source.RULE, cues=cues,
                 notes=(*notes, *scan.notes), problems=tuple(scan.problems))


def _apply_name(values: dict[str, Any], match: NameMatch, notes: list[str], keep_kind: bool) -> None:
    values["name"] = match.name
    values["typed_name"] = match.typed
    values["name_candidates"] = match.candidates
    if match.kind is not None and not (keep_kind and values.get("kind") is not None and not match.known):
        values["kind"] = match.kind
    if match.note:
        notes.append(match.note)


def _unquote(values: dict[str, Any], quoted: tuple[str, ...]) -> None:
    if values.get("grep") == MASK_TEXT:
        values["grep"] = quoted[0] if quoted else None
    elif quoted and "grep" not in values:
        values["grep"] = quoted[0]


def node_of(slots: Slots) -> str | None:
    """The node a node-level request is about: a name said with "node", or the node slot."""
    if slots.node:
        return slots.node
    if slots.kind in (None, ResourceKind.NODE):
        return slots.name
    return None

