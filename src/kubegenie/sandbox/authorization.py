"""The RBAC authorizer: evaluates Roles, ClusterRoles and their bindings for an identity and request
attributes, with the reasons, rule listings and Forbidden messages of kube-apiserver
(plugin/pkg/auth/authorizer/rbac, endpoints/handlers/responsewriters). system:masters is always allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubegenie.sandbox import status
from kubegenie.sandbox.identity import Identity
from kubegenie.sandbox.rbac_aggregation import ClusterRoleAggregation
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Attributes:
    """What a request wants to do (authorizer.Attributes)."""

    verb: str
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    """Set for non-resource requests such as /healthz."""
    non_resource: bool = False
    """A non-resource request even without a path (an access review may ask about an empty one)."""

    @property
    def is_resource(self) -> bool:
        return not (self.path or self.non_resource)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass
class RuleSet:
    """The rules that apply to a user in a namespace (SelfSubjectRulesReview), split as the API reports them."""

    resource_rules: list[Obj] = field(default_factory=list)
    non_resource_rules: list[Obj] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def evaluation_error(self) -> str:
        return aggregate_errors(self.errors)


def aggregate_errors(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message alone, several as "[a, b]", duplicates dropped."""
    unique = list(dict.fromkeys(errors))
    if not unique:
        return ""
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- rule matching (rbac/v1 helpers: VerbMatches, APIGroupMatches, ResourceMatches, ...) ---------------


def _verb_matches(rule: Obj, verb: str) -> bool:
    verbs = rule.get("verbs") or []
    return "*" in verbs or verb in verbs


def _group_matches(rule: Obj, group: str) -> bool:
    groups = rule.get("apiGroups") or []
    return "*" in groups or group in groups


def _resource_matches(rule: Obj, combined: str, subresource: str) -> bool:
    for resource in rule.get("resources") or []:
        if resource in ("*", combined):
            return True
        if subresource and resource == "*/" + subresource:
            return True
    return False


def _name_matches(rule: Obj, name: str) -> bool:
    names = rule.get("resourceNames") or []
    return not names or name in names


def _url_matches(rule: Obj, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or []:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(rule: Obj, attrs: Attributes) -> bool:
    """Whether one PolicyRule grants the request (RuleAllows)."""
    if not attrs.is_resource:
        return _verb_matches(rule, attrs.verb) and _url_matches(rule, attrs.path)
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    return (_verb_matches(rule, attrs.verb) and _group_matches(rule, attrs.group)
            and _resource_matches(rule, combined, attrs.subresource) and _name_matches(rule, attrs.name))


def subject_matches(subject: Obj, identity: Identity, binding_namespace: str) -> bool:
    """appliesToUser: a binding's subject against the requesting user."""
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == identity.user)
    if kind == "Group":
        return name in identity.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return bool(namespace) and identity.user == f"system:serviceaccount:{namespace}:{name}"
    return False


def describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


def _describe_binding(binding: Obj, subject: Obj) -> str:
    meta, ref = binding["metadata"], binding.get("roleRef") or {}
    namespace = meta.get("namespace", "")
    where = f'RoleBinding "{meta["name"]}/{namespace}"' if namespace else f'ClusterRoleBinding "{meta["name"]}"'
    return f'{where} of {ref.get("kind")} "{ref.get("name")}" to {describe_subject(subject, namespace)}'


# --- the authorizer ----------------------------------------------------------------------------------


class Authorizer:
    """RBAC over the cluster's stored roles and bindings, behind the system:masters superuser check."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.aggregation = ClusterRoleAggregation(cluster)

    def _role_rules(self, ref: Obj, namespace: str) -> tuple[list[Obj], str | None]:
        """The rules of a binding's roleRef, or the lister's NotFound message when the role is missing."""
        store = self.cluster.store
        name = str(ref.get("name", ""))
        if ref.get("kind") == "ClusterRole":
            role = store.get(f"{RBAC_GROUP}/clusterroles", "", name)
            missing = f'clusterrole.{RBAC_GROUP} "{name}" not found'
        else:
            role = store.get(f"{RBAC_GROUP}/roles", namespace, name)
            missing = f'role.{RBAC_GROUP} "{name}" not found'
        if role is None:
            return [], missing
        return list(role.get("rules") or []), None

    def _visit(self, identity: Identity, namespace: str) -> Iterator[tuple[Obj, Obj, list[Obj], str | None]]:
        """(binding, subject, rules, error) for every binding that applies to `identity`, cluster-wide first."""
        self.aggregation.sync()
        store = self.cluster.store
        for binding in store.iter(f"{RBAC_GROUP}/clusterrolebindings"):
            subject = next((s for s in binding.get("subjects") or [] if subject_matches(s, identity, "")), None)
            if subject is not None:
                rules, error = self._role_rules(binding.get("roleRef") or {}, "")
                yield binding, subject, rules, error
        if namespace:
            for binding in store.iter(f"{RBAC_GROUP}/rolebindings", namespace):
                subject = next((s for s in binding.get("subjects") or []
                                if subject_matches(s, identity, namespace)), None)
                if subject is not None:
                    rules, error = self._role_rules(binding.get("roleRef") or {}, namespace)
                    yield binding, subject, rules, error

    def authorize(self, identity: Identity, attrs: Attributes) -> Decision:
        if identity.is_admin:
            return Decision(True)
        errors: list[str] = []
        for binding, subject, rules, error in self._visit(identity, attrs.namespace):
            if error:
                errors.append(error)
            if any(rule_allows(rule, attrs) for rule in rules):
                return Decision(True, f"RBAC: allowed by {_describe_binding(binding, subject)}")
        return Decision(False, f"RBAC: {aggregate_errors(errors)}" if errors else "")

    def rules_for(self, identity: Identity, namespace: str) -> RuleSet:
        """Every rule that applies to `identity` in `namespace`, as SelfSubjectRulesReview lists them."""
        found = RuleSet()
        for _, _, rules, error in self._visit(identity, namespace):
            if error:
                found.errors.append(error)
            for rule in rules:
                if rule.get("resources"):
                    resource_rule: dict[str, Any] = {"verbs": list(rule.get("verbs") or []),
                                                     "apiGroups": list(rule.get("apiGroups") or []),
                                                     "resources": list(rule["resources"])}
                    if rule.get("resourceNames"):
                        resource_rule["resourceNames"] = list(rule["resourceNames"])
                    found.resource_rules.append(resource_rule)
                if rule.get("nonResourceURLs"):
                    found.non_resource_rules.append({"verbs": list(rule.get("verbs") or []),
                                                     "nonResourceURLs": list(rule["nonResourceURLs"])})
        return found

    def check(self, identity: Identity, attrs: Attributes) -> None:
        """Raise the apiserver's Forbidden Status unless allowed."""
        decision = self.authorize(identity, attrs)
        if not decision.allowed:
            raise forbidden(identity, attrs, decision.reason)


def forbidden_message(identity: Identity, attrs: Attributes) -> str:
    """`User "jane" cannot list resource "pods" in API group "" in the namespace "default"`."""
    if not attrs.is_resource:
        return f'User "{identity.user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return f'User "{identity.user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.group}" {scope}'


def forbidden(identity: Identity, attrs: Attributes, reason: str = "") -> status.ApiError:
    """responsewriters.Forbidden: the 403 Status for a denied request (apierrors.NewForbidden)."""
    message = forbidden_message(identity, attrs)
    if reason:
        message = f"{message}: {reason}"
    details: dict[str, Any] = {}
    if attrs.name:
        details["name"] = attrs.name
    if attrs.group:
        details["group"] = attrs.group
    if attrs.resource:
        details["kind"] = attrs.resource
    if not attrs.resource:
        return status.ApiError(403, "Forbidden", f"forbidden: {message}", details)
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    target = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    return status.ApiError(403, "Forbidden", f"{target} is forbidden: {message}", details)
