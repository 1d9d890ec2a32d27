"""Printers for RBAC: RoleBindings and ClusterRoleBindings (Role, and the wide Users, Groups, ServiceAccounts);
Roles and ClusterRoles use the default Name / Created At table, as on a real apiserver."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.table import AGE, METADATA_ONLY, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


def subjects_text(subjects: Any) -> tuple[str, str, str]:
    """Users, groups and `namespace:name` service accounts, each joined with ", " (rbac.SubjectsStrings)."""
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in subjects or []:
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace', '')}:{name}")
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


def _binding(cluster: Cluster, obj: Obj) -> list[Any]:
    role_ref = obj.get("roleRef") or {}
    users, groups, accounts = subjects_text(obj.get("subjects"))
    return [obj["metadata"]["name"], f"{role_ref.get('kind', '')}/{role_ref.get('name', '')}", age(cluster, obj),
            users, groups, accounts]


def _binding_printer(scope: str) -> Printer:
    return Printer([
        NAME,
        Column("Role", description="RoleRef can reference a Role in the current namespace or a ClusterRole in the "
                                   "global namespace."),
        AGE,
        Column("Users", priority=1, description=f"Users in the {scope}"),
        Column("Groups", priority=1, description=f"Groups in the {scope}"),
        Column("ServiceAccounts", priority=1, description=f"ServiceAccounts in the {scope}"),
    ], _binding)


register("rbac.authorization.k8s.io/rolebindings")(_binding_printer("roleBinding"))
register("rbac.authorization.k8s.io/clusterrolebindings")(_binding_printer("clusterRoleBinding"))
register("rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/clusterroles")(METADATA_ONLY)
