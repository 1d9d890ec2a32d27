"""The entry point: `understand(text, context)` returns a typed request with a confidence, or a clarification
with the closest options. `analyse` (read and rank) and `resolve` (decide) are separate so the
conversation layer can fill a frame from the dialogue in between. A change to a cluster is never guessed:
it needs an explicit verb, high confidence and all its slots.
"""

from __future__ import annotations

from kubegenie.domain.intents import MUTATING_INTENTS, AnyRequest, Intent, ResourceKind
from kubegenie.nlu.build import WORKLOADS, Incomplete, Invalid, build
from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.dataset import UNKNOWN
from kubegenie.nlu.frame import Frame, IntentScore, Slots, Source
from kubegenie.nlu.guard import screen
from kubegenie.nlu.model import model_input, trained_classifier
from kubegenie.nlu.normalize import osa_distance
from kubegenie.nlu.phrasing import EXAMPLES, phrase
from kubegenie.nlu.reader import read
from kubegenie.nlu.result import Clarification, ClarificationReason, Option, Understanding, Understood
from kubegenie.nlu.rules import apply_rules
from kubegenie.nlu.vocabulary import singular

MIN_CONFIDENCE = 0.4
"""Below this the best reading is offered as an option rather than acted on."""
MUTATION_CONFIDENCE = 0.6
"""A change also needs its explicit verb ("restart", "scale", ...) in the message."""
_NAMED = (Intent.GET_RESOURCE, Intent.DESCRIBE_RESOURCE, Intent.POD_LOGS, Intent.SCALE, Intent.RESTART)


def understand(text: object, context: NluContext | None = None,
               classifier: IntentClassifier | None = None) -> Understanding:
    """What `text` asks for, or what to ask back. Never raises for any input."""
    context = context or NluContext()
    cleaned, refusal = screen(text)
    if refusal is not None or cleaned is None:
        return refusal or Clarification(reason=ClarificationReason.EMPTY, question="What would you like to know?")
    return resolve(analyse(cleaned, context, classifier), context)


def analyse(text: str, context: NluContext, classifier: IntentClassifier | None = None) -> Frame:
    """Read `text` and rank the intents it may mean (kubectl command lines are ranked by the parser)."""
    frame = read(text, context)
    if frame.source is Source.KUBECTL:
        return frame
    model = classifier or trained_classifier()
    ranking = [IntentScore(intent=None if label == UNKNOWN else Intent(label), score=p)
               for label, p in model.rank(model_input(frame))]
    ranked = frame.model_copy(update={"ranking": tuple(ranking), "source": Source.MODEL})
    return apply_rules(ranked, context)


def resolve(frame: Frame, context: NluContext) -> Understanding:
    """Decide on a frame: the request it asks for, or the question to ask back."""
    if frame.problems and frame.source is Source.KUBECTL:
        return Clarification(reason=ClarificationReason.UNSUPPORTED, question=frame.problems[0] + " " +
                             "I can describe the object, show its logs or events, or propose a change to confirm.",
                             options=_examples(Intent.DESCRIBE_RESOURCE, Intent.POD_LOGS, Intent.LIST_EVENTS))
    intent = frame.intent
    if intent is None:
        return _unknown(frame)
    if frame.confidence < MIN_CONFIDENCE:
        return _ambiguous(frame)
    slots = frame.slots
    if intent in MUTATING_INTENTS and frame.source not in (Source.KUBECTL, Source.DIALOGUE) and (
            frame.cues.mutating_verb is not intent or frame.confidence < MUTATION_CONFIDENCE):
        return _unconfirmed(frame)
    scope_problem = _check_scope(frame, context)
    if scope_problem is not None:
        return scope_problem
    if intent in _NAMED and len(slots.name_candidates) > 1:
        if intent is Intent.POD_LOGS:
            slots = slots.model_copy(update={"name": slots.name_candidates[0], "name_candidates": ()})
            frame = frame.model_copy(update={"notes": (*frame.notes, f"{len(frame.slots.name_candidates)} pods "
                                                       f"match '{frame.slots.name}'; showing {slots.name}")})
        else:
            return _which_name(intent, slots)
    if intent in MUTATING_INTENTS and frame.source is not Source.DIALOGUE and any(
            "taken as" in note for note in frame.notes):
        request = _try_build(intent, slots)
        label = phrase(request) if request else EXAMPLES[intent]
        return Clarification(reason=ClarificationReason.AMBIGUOUS_NAME, intent=intent,
                             question=f"{frame.notes[-1][0].upper()}{frame.notes[-1][1:]}. Did you mean: {label}?",
                             options=(Option(label=label, request=request),) if request else ())
    try:
        request = build(intent, slots)
    except Incomplete as missing:
        return _missing(missing, slots, context)
    except Invalid as invalid:
        return Clarification(reason=ClarificationReason.INVALID_VALUE, intent=intent,
                             question=" ".join(invalid.sentences) + " Which name did you mean?")
    return Understood(request=request, confidence=round(frame.confidence, 4), notes=frame.notes)


def _try_build(intent: Intent, slots: Slots) -> AnyRequest | None:
    try:
        return build(intent, slots)
    except (Incomplete, Invalid):
        return None


def _examples(*intents: Intent) -> tuple[Option, ...]:
    return tuple(Option(label=EXAMPLES[i]) for i in intents)


def _options(frame: Frame, count: int = 3) -> tuple[Option, ...]:
    options: list[Option] = []
    for score in frame.ranking:
        if score.intent is None or score.score < 0.05 or len(options) >= count:
            continue
        request = _try_build(score.intent, frame.slots)
        if score.intent in MUTATING_INTENTS:
            continue
        options.append(Option(label=phrase(request), request=request) if request else Option(
            label=EXAMPLES[score.intent]))
    return tuple(options)


def _unknown(frame: Frame) -> Clarification:
    options = _options(frame) or _examples(Intent.CLUSTER_OVERVIEW, Intent.LIST_RESOURCES, Intent.HELP)
    return Clarification(reason=ClarificationReason.UNKNOWN, question="I'm not sure what you're asking. "
                         "I can answer questions about pods, deployments, nodes, logs, events and more. "
                         "Did you mean one of these?", options=options)


def _ambiguous(frame: Frame) -> Clarification:
    options = _options(frame) or _examples(Intent.CLUSTER_OVERVIEW, Intent.HELP)
    return Clarification(reason=ClarificationReason.AMBIGUOUS,
                         question="I'm not sure which of these you mean. Did you mean one of these?", options=options)


def _unconfirmed(frame: Frame) -> Clarification:
    intent = frame.intent
    assert intent is not None
    request = _try_build(intent, frame.slots)
    label = phrase(request) if request else EXAMPLES[intent]
    options = (Option(label=label, request=request), *_options(frame, 2))
    return Clarification(reason=ClarificationReason.UNCONFIRMED_CHANGE, intent=intent, options=options,
                         question=f"That might be a request to change the cluster ({label}). I only make changes "
                         f"that are asked for explicitly; did you mean one of these?")


def _which_name(intent: Intent, slots: Slots) -> Clarification:
    options = []
    for name in slots.name_candidates:
        request = _try_build(intent, slots.model_copy(update={"name": name, "name_candidates": ()}))
        options.append(Option(label=phrase(request) if request else name, request=request))
    what = singular(slots.kind) if slots.kind else "object"
    return Clarification(reason=ClarificationReason.AMBIGUOUS_NAME, intent=intent, options=tuple(options),
                         question=f"Several objects match '{slots.name}'. Which {what} do you mean?")


_QUESTIONS = {
    "replicas": "How many replicas should {target} have?",
    "node": "Which node should I {verb}?",
    "resource": "What should I provision? For example a postgres database, a redis cache or a bucket.",
}


def _missing(problem: Incomplete, slots: Slots, context: NluContext) -> Clarification:
    intent = problem.intent
    kind = slots.kind or (ResourceKind.NODE if intent in (Intent.DRAIN, Intent.CORDON, Intent.UNCORDON) else
                          ResourceKind.DEPLOYMENT if intent in (Intent.SCALE, Intent.RESTART) else ResourceKind.POD)
    first = problem.missing[0]
    options: list[Option] = []
    if first == "name" or first == "node":
        verb = {Intent.POD_LOGS: "show the logs of", Intent.GET_RESOURCE: "get", Intent.DESCRIBE_RESOURCE: "describe",
                Intent.SCALE: "scale", Intent.RESTART: "restart"}.get(intent, intent.value)
        question = (_QUESTIONS["node"].format(verb=verb) if first == "node"
                    else f"Which {singular(kind)} should I {verb}?")
        for name in context.names_of(kind)[:5]:
            filled = slots.model_copy(update={"name": name, "kind": kind, "node": None})
            request = _try_build(intent, filled)
            options.append(Option(label=phrase(request) if request else name, request=request))
    elif first == "kind":
        question = f"What kind of object is '{slots.name}'?"
        for candidate in (*WORKLOADS[:2], ResourceKind.POD, ResourceKind.SERVICE):
            request = _try_build(intent, slots.model_copy(update={"kind": candidate}))
            if request is not None:
                options.append(Option(label=phrase(request), request=request))
    else:
        target = f"{singular(kind)} {slots.name}" if slots.name else f"the {singular(kind)}"
        question = _QUESTIONS[first].format(target=target)
    return Clarification(reason=ClarificationReason.MISSING, intent=intent, question=question, options=tuple(options))


def _closest(value: str, known: tuple[str, ...]) -> list[str]:
    scored = sorted((osa_distance(value, k, 3), k) for k in known)
    close = [k for d, k in scored if d <= 2 or k.startswith(value) or value.startswith(k)]
    return close[:3]


def _check_scope(frame: Frame, context: NluContext) -> Clarification | None:
    slots = frame.slots
    intent = frame.intent
    if slots.cluster and context.clusters and slots.cluster not in context.clusters:
        close = _closest(slots.cluster, context.clusters)
        options = _rescoped(frame, "cluster", close or list(context.clusters[:MAX_LISTED]))
        hint = f"did you mean {' or '.join(close)}?" if close else f"the clusters are {_listing(context.clusters)}."
        return Clarification(reason=ClarificationReason.UNKNOWN_CLUSTER, intent=intent, options=options,
                             question=f"No cluster '{slots.cluster}'; {hint}")
    on_known_cluster = slots.cluster in (None, context.current_cluster) and not slots.all_clusters
    if slots.namespace and context.namespaces and on_known_cluster and slots.namespace not in context.namespaces:
        close = _closest(slots.namespace, context.namespaces)
        where = slots.cluster or context.current_cluster or "this cluster"
        # Never widen to every namespace in silence: say which ones exist, and offer the likeliest.
        options = _rescoped(frame, "namespace", close or _workload_namespaces(context)[:MAX_LISTED])
        hint = f"did you mean {' or '.join(close)}?" if close else f"namespaces there: {_listing(context.namespaces)}."
        return Clarification(reason=ClarificationReason.UNKNOWN_NAMESPACE, intent=intent, options=options,
                             question=f"No namespace '{slots.namespace}' on {where}; {hint}")
    return None


MAX_LISTED = 3
"""Options offered when nothing is close; the sentence itself names every namespace or cluster."""


def _listing(values: tuple[str, ...], limit: int = 30) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _workload_namespaces(context: NluContext) -> list[str]:
    """Namespaces people ask about first: those that are not Kubernetes' own."""
    own = [n for n in context.namespaces if not n.startswith("kube-") and n != "default"]
    return own or list(context.namespaces)


def _rescoped(frame: Frame, slot: str, values: list[str]) -> tuple[Option, ...]:
    options = []
    for value in values:
        if frame.intent is None:
            break
        request = _try_build(frame.intent, frame.slots.model_copy(update={slot: value}))
        if request is not None:
            options.append(Option(label=phrase(request), request=request))
        else:
            options.append(Option(label=value))
    return tuple(options)
