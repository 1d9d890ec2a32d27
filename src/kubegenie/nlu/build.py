"""Turning slots into the typed request of an intent, and the request models' validation errors into plain
sentences ("'Web_App' is not a valid Kubernetes name: ..."). Reports what is missing instead of guessing.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from kubegenie.domain.intents import AnyRequest, Intent, ResourceKind
from kubegenie.nlu.frame import Slots
from kubegenie.nlu.reader import node_of

WORKLOADS = (ResourceKind.DEPLOYMENT, ResourceKind.STATEFULSET, ResourceKind.DAEMONSET, ResourceKind.REPLICASET)
_LOG_KINDS = (ResourceKind.POD, *WORKLOADS, ResourceKind.JOB)


class Incomplete(Exception):
    """Slots an intent needs are missing; `missing` names them ("name", "replicas", "node", "kind")."""

    def __init__(self, intent: Intent, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.intent = intent
        self.missing = missing


class Invalid(Exception):
    """Values that cannot be used, as plain sentences."""

    def __init__(self, sentences: list[str]) -> None:
        super().__init__(" ".join(sentences))
        self.sentences = sentences


def _scope(slots: Slots) -> dict[str, Any]:
    return {"cluster": slots.cluster, "all_clusters": slots.all_clusters, "namespace": slots.namespace,
            "all_namespaces": slots.all_namespaces}


def fields_for(intent: Intent, slots: Slots) -> dict[str, Any]:
    """The request fields `intent` takes from `slots`; raises Incomplete when a required one is missing."""
    fields = _scope(slots)
    missing: list[str] = []
    if intent in (Intent.LIST_RESOURCES, Intent.COUNT_RESOURCES):
        fields.update(kind=slots.kind or ResourceKind.POD, label_selector=slots.label_selector, node=slots.node,
                      status=slots.status, name_contains=slots.name_contains or slots.typed_name or slots.name,
                      limit=slots.limit,
                      wide=slots.wide)
    elif intent in (Intent.GET_RESOURCE, Intent.DESCRIBE_RESOURCE):
        kind, name = slots.kind, slots.name
        if name is None and slots.namespace and kind in (None, ResourceKind.NAMESPACE):
            kind, name, fields["namespace"] = ResourceKind.NAMESPACE, slots.namespace, None
        if name is None and slots.node and kind in (None, ResourceKind.NODE):
            kind, name = ResourceKind.NODE, slots.node
        missing += [m for m, v in (("name", name), ("kind", kind)) if v is None]
        fields.update(kind=kind, name=name)
    elif intent is Intent.POD_LOGS:
        kind = slots.kind if slots.kind in _LOG_KINDS else ResourceKind.POD
        if slots.name is None:
            missing.append("name")
        fields.update(name=slots.name, kind=kind, container=slots.container, previous=slots.previous,
                      grep=slots.grep, window=slots.window)
        if slots.tail is not None:
            fields["tail"] = slots.tail
    elif intent is Intent.TOP:
        fields.update(kind=ResourceKind.NODE if slots.kind is ResourceKind.NODE else ResourceKind.POD,
                      sort_by=slots.sort_by if slots.sort_by in ("cpu", "memory") else "cpu", limit=slots.limit)
    elif intent is Intent.NODE_STATUS:
        fields["name"] = node_of(slots)
    elif intent is Intent.LIST_EVENTS:
        involved = slots.kind if slots.kind not in (None, ResourceKind.EVENT) else None
        fields.update(warnings_only=slots.warnings_only, involved_kind=involved if slots.name else None,
                      involved_name=slots.name, window=slots.window)
    elif intent in (Intent.HEALTH_CHECK, Intent.WHAT_CHANGED):
        fields["window"] = slots.window
    elif intent is Intent.DIAGNOSE:
        fields.update(kind=slots.kind if slots.name else None, name=slots.name)
    elif intent is Intent.COST_REPORT:
        fields.update(group_by=slots.group_by or "namespace", label=slots.label, window=slots.window)
    elif intent is Intent.SECURITY_AUDIT:
        fields["topic"] = slots.topic
    elif intent in (Intent.SCALE, Intent.RESTART):
        kind = slots.kind if slots.kind in (*WORKLOADS, ResourceKind.POD) else ResourceKind.DEPLOYMENT
        missing += [m for m, v in (("name", slots.name),) if v is None]
        fields.update(kind=kind, name=slots.name)
        if intent is Intent.SCALE:
            if slots.replicas is None:
                missing.append("replicas")
            fields["replicas"] = slots.replicas
    elif intent in (Intent.DRAIN, Intent.CORDON, Intent.UNCORDON):
        node = node_of(slots)
        if node is None:
            missing.append("node")
        fields["node"] = node
    elif intent is Intent.PROVISION:
        if slots.resource is None:
            missing.append("resource")
        fields.update(resource=slots.resource, provider=slots.provider, name=slots.name, size=slots.size,
                      region=slots.region)
    if intent is Intent.LIST_CLUSTERS:
        fields["all_clusters"] = False  # every known cluster is listed anyway
    if missing:
        raise Incomplete(intent, missing)
    return fields


_ANY_REQUEST: TypeAdapter[AnyRequest] = TypeAdapter(AnyRequest)


def build(intent: Intent, slots: Slots) -> AnyRequest:
    """The request of `intent` from `slots`; raises Incomplete or Invalid."""
    fields = fields_for(intent, slots)
    try:
        return _ANY_REQUEST.validate_python({**fields, "intent": intent})
    except ValidationError as error:
        raise Invalid(plain_errors(error)) from None


def plain_errors(error: ValidationError) -> list[str]:
    """One sentence per problem, without pydantic's locations and URLs."""
    sentences: list[str] = []
    for problem in error.errors(include_url=False):
        message = str(problem.get("msg", "invalid value")).removeprefix("Value error, ")
        field = ".".join(str(part) for part in problem.get("loc", ()))
        if problem.get("type") == "value_error":
            sentence = message
        elif problem.get("type", "").startswith(("less_than", "greater_than")):
            sentence = f"{field} {message.lower()} (got {problem.get('input')})"
        else:
            sentence = f"{field}: {message}"
        sentence = sentence[0].upper() + sentence[1:]
        sentences.append(sentence if sentence.endswith(".") else sentence + ".")
    return sentences
