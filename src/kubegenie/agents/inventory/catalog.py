"""What the cluster serves (API resources, CRDs included) and which clusters KubeGenie can reach."""

from __future__ import annotations

from kubegenie import errors
from kubegenie.agents.base import AgentResult
from kubegenie.domain.answer import Table
from kubegenie.kube.registry import ClusterRegistry


async def api_resources(registry: ClusterRegistry, cluster: str | None) -> AgentResult:
    discovery = await registry.discovery(cluster)
    name = registry.entry(cluster).name
    rows = sorted(([r.plural, ",".join(r.short_names), r.api_version, str(r.namespaced).lower(), r.kind]
                   for r in discovery.resources), key=lambda row: (row[2].count("/"), row[2], row[0]))
    groups = discovery.groups()
    custom = [g for g in groups if g and not g.endswith(".k8s.io") and "." in g]
    text = f"{name} serves **{len(rows)} resource types** in {len(groups)} API groups"
    text += f", including custom groups {', '.join(custom)}." if custom else "."
    return AgentResult(text=text, tables=[Table(title=f"API resources of {name}",
                                                columns=["Name", "Short names", "API version", "Namespaced", "Kind"],
                                                rows=rows)])


async def clusters(registry: ClusterRegistry) -> AgentResult:
    rows = []
    for name in registry.names():
        entry = registry.entry(name)
        state = "not connected yet"
        if entry.cache is not None:
            state = entry.cache.status().describe()
        else:
            try:
                await (await registry.client(name)).version()
                state = "reachable"
            except errors.KubeGenieError as exc:
                state = f"unreachable: {exc.message}"
        rows.append([name + (" (default)" if name == registry.default else ""), entry.server, state])
    text = f"KubeGenie knows **{len(rows)} cluster(s)**: " + ", ".join(registry.names()) + \
        ". Ask \"... on <cluster>\" or \"... across all clusters\"."
    return AgentResult(text=text, tables=[Table(title="Clusters", columns=["Name", "Server", "Status"], rows=rows)])
