"""The RBAC authorizer: evaluates Roles, ClusterRoles and their bindings for an identity and request
attributes, with the reasons and Forbidden messages of kube-apiserver (plugin/pkg/auth/authorizer/rbac)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubegenie.sandbox import status
from kubegenie.sandbox.identity import Identity
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


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

    @property
    def is_resource(self) -> bool:
        return not self.path


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _subject_matches(subject: Obj, identity: Identity, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == identity.user)
    if kind == "Group":
        return name in identity.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return identity.user == f"system:serviceaccount:{namespace}:{name}"
    return False


def _describe_subject(subject: Obj) -> str:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return f'ServiceAccount "{name}/{subject.get("namespace", "")}"'
    return f'{kind} "{name}"'


def _rule_allows(rule: Obj, attrs: Attributes) -> bool:
    verbs = rule.get("verbs") or []
    if "*" not in verbs and attrs.verb not in verbs:
        return False
    if not attrs.is_resource:
        for url in rule.get("nonResourceURLs") or []:
            if url == "*" or url == attrs.path or (url.endswith("*") and attrs.path.startswith(url[:-1])):
                return True
        return False
    if rule.get("nonResourceURLs") and not rule.get("resources"):
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and attrs.group not in groups:
        return False
    resources = rule.get("resources") or []
    wanted = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if "*" not in resources and wanted not in resources \
            and not (attrs.subresource and f"*/{attrs.subresource}" in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or attrs.name in names


class Authorizer:
    """RBAC over the cluster's stored roles and bindings; system:masters is always allowed."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _role_rules(self, ref: Obj, namespace: str) -> list[Obj]:
        store = self.cluster.store
        if ref.get("kind") == "ClusterRole":
            role = store.get("rbac.authorization.k8s.io/clusterroles", "", str(ref.get("name")))
        else:
            role = store.get("rbac.authorization.k8s.io/roles", namespace, str(ref.get("name")))
        return list((role or {}).get("rules") or [])

    def _bindings(self, identity: Identity, namespace: str) -> Iterator[tuple[Obj, Obj, list[Obj]]]:
        """(binding, matching subject, rules) for every binding that applies to `identity`."""
        store = self.cluster.store
        for binding in store.iter("rbac.authorization.k8s.io/clusterrolebindings"):
            for subject in binding.get("subjects") or []:
                if _subject_matches(subject, identity, ""):
                    yield binding, subject, self._role_rules(binding.get("roleRef") or {}, "")
                    break
        if namespace:
            for binding in store.iter("rbac.authorization.k8s.io/rolebindings", namespace):
                for subject in binding.get("subjects") or []:
                    if _subject_matches(subject, identity, namespace):
                        yield binding, subject, self._role_rules(binding.get("roleRef") or {}, namespace)
                        break

    def authorize(self, identity: Identity, attrs: Attributes) -> Decision:
        if identity.is_admin:
            return Decision(True, "")
        for binding, subject, rules in self._bindings(identity, attrs.namespace):
            if any(_rule_allows(rule, attrs) for rule in rules):
                meta = binding["metadata"]
                ref = binding.get("roleRef") or {}
                where = f'RoleBinding "{meta["name"]}/{meta.get("namespace", "")}"' if meta.get("namespace") \
                    else f'ClusterRoleBinding "{meta["name"]}"'
                return Decision(True, f'RBAC: allowed by {where} of {ref.get("kind")} "{ref.get("name")}" to '
                                      f"{_describe_subject(subject)}")
        return Decision(False, "")

    def rules_for(self, identity: Identity, namespace: str) -> list[Obj]:
        """Every rule that applies to `identity` in `namespace` (SelfSubjectRulesReview)."""
        if identity.is_admin:
            return [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                    {"nonResourceURLs": ["*"], "verbs": ["*"]}]
        rules: list[Obj] = []
        for _, _, found in self._bindings(identity, namespace):
            rules.extend(found)
        return rules

    def check(self, identity: Identity, attrs: Attributes) -> None:
        """Raise the apiserver's Forbidden Status unless allowed."""
        decision = self.authorize(identity, attrs)
        if not decision.allowed:
            raise status.forbidden(forbidden_message(identity, attrs), None, attrs.name or None) \
                if not attrs.is_resource else _forbidden(identity, attrs)


def _forbidden(identity: Identity, attrs: Attributes) -> status.ApiError:
    resource = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    target = f'{resource} "{attrs.name}"' if attrs.name else resource
    details = {"kind": attrs.resource}
    if attrs.name:
        details["name"] = attrs.name
    if attrs.group:
        details["group"] = attrs.group
    return status.ApiError(403, "Forbidden", f"{target} is forbidden: {forbidden_message(identity, attrs)}",
                           details)


def forbidden_message(identity: Identity, attrs: Attributes) -> str:
    """`User "jane" cannot list resource "pods" in API group "" in the namespace "default"`."""
    if not attrs.is_resource:
        return f'User "{identity.user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return f'User "{identity.user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.group}" {scope}'
