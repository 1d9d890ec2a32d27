"""Printers for Services (Type, Cluster-IP, External-IP with <pending>/<none>, Port(s)), Endpoints,
EndpointSlices, Ingresses, IngressClasses and NetworkPolicies, as the apiserver prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.cells import NONE, UNSET, labels_text, selector_text
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

_LOAD_BALANCER_WIDTH = 16
_MAX_LISTED = 3


def load_balancer_text(load_balancer: Any, wide: bool) -> str:
    """Sorted, de-duplicated ingress IPs (or hostnames); clipped to 16 characters unless wide."""
    found = set()
    for ingress in (load_balancer or {}).get("ingress") or []:
        if ingress.get("ip"):
            found.add(str(ingress["ip"]))
        elif ingress.get("hostname"):
            found.add(str(ingress["hostname"]))
    text = ",".join(sorted(found))
    if not wide and len(text) > _LOAD_BALANCER_WIDTH:
        text = text[:_LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def external_ip(service: Obj) -> str:
    spec = service.get("spec") or {}
    external_ips = [str(ip) for ip in spec.get("externalIPs") or []]
    service_type = spec.get("type") or "ClusterIP"
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else NONE
    if service_type == "LoadBalancer":
        # The apiserver renders tables wide, so load-balancer addresses are never clipped here.
        lb_ips = load_balancer_text((service.get("status") or {}).get("loadBalancer"), wide=True)
        if external_ips:
            return ",".join([*(lb_ips.split(",") if lb_ips else []), *external_ips])
        return lb_ips or "<pending>"
    if service_type == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def ports_text(ports: Any) -> str:
    pieces = []
    for port in ports or []:
        protocol = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{port.get('port')}/{protocol}")
    return ",".join(pieces) or NONE


def _service(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or []
    return [obj["metadata"]["name"], spec.get("type") or "", cluster_ips[0] if cluster_ips else NONE,
            external_ip(obj), ports_text(spec.get("ports")), age(cluster, obj), labels_text(spec.get("selector"))]


register("services")(Printer([
    NAME,
    Column("Type", description="type determines how the Service is exposed."),
    Column("Cluster-IP", description="clusterIP is the IP address of the service and is usually assigned "
                                     "randomly."),
    Column("External-IP", description="externalIPs is a list of IP addresses for which nodes in the cluster will "
                                      "also accept traffic for this service."),
    Column("Port(s)", description="The list of ports that are exposed by this service."),
    AGE,
    Column("Selector", priority=1, description="Route service traffic to pods with label keys and values "
                                               "matching this selector."),
], _service))


def endpoints_text(endpoints: Obj) -> str:
    """Up to three `ip:port` pairs and `+ N more...`; `<none>` without subsets."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    listed: list[str] = []
    count = 0
    more = False
    for subset in subsets:
        addresses = [str(a.get("ip", "")) for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        pairs = addresses if not ports else \
            [f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}"
             for port in ports for ip in addresses]
        for pair in pairs:
            count += 1
            if len(listed) == _MAX_LISTED:
                more = True
            else:
                listed.append(pair)
    text = ",".join(listed)
    return f"{text} + {count - _MAX_LISTED} more..." if more else text


register("endpoints")(Printer([
    NAME,
    Column("Endpoints", description="The set of all endpoints is the union of all subsets."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], endpoints_text(obj), age(cluster, obj)]))


def _listed(items: list[str]) -> str:
    if len(items) > _MAX_LISTED:
        return f"{','.join(items[:_MAX_LISTED])} + {len(items) - _MAX_LISTED} more..."
    return ",".join(items) or UNSET


def _endpoint_slice(cluster: Cluster, obj: Obj) -> list[Any]:
    ports = []
    for port in obj.get("ports") or []:
        if port.get("port") is not None:
            ports.append(str(port["port"]))
        elif port.get("name") is not None:
            ports.append(str(port["name"]))
        else:
            ports.append("*")
    addresses = [str(address) for endpoint in obj.get("endpoints") or [] for address in endpoint.get("addresses")
                 or []]
    return [obj["metadata"]["name"], obj.get("addressType", ""), _listed(ports), _listed(addresses),
            age(cluster, obj)]


register("discovery.k8s.io/endpointslices")(Printer([
    NAME,
    Column("AddressType", description="addressType specifies the type of address carried by this "
                                      "EndpointSlice."),
    Column("Ports", description="ports specifies the list of network ports exposed by each endpoint in this "
                                "slice."),
    Column("Endpoints", description="endpoints is a list of unique endpoints in this slice."),
    AGE,
], _endpoint_slice))


def _hosts(rules: Any) -> str:
    """Hosts of the rules until three are listed; `+ N more...` counts rules, not hosts, as formatHosts does."""
    rules = rules or []
    listed: list[str] = []
    more = False
    for rule in rules:
        if len(listed) == _MAX_LISTED:
            more = True
        if not more and rule.get("host"):
            listed.append(str(rule["host"]))
    if not listed:
        return "*"
    return f"{','.join(listed)} + {len(rules) - _MAX_LISTED} more..." if more else ",".join(listed)


def _ingress(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    address = load_balancer_text((obj.get("status") or {}).get("loadBalancer"), wide=True)
    return [obj["metadata"]["name"], spec.get("ingressClassName") or NONE, _hosts(spec.get("rules")), address,
            "80, 443" if spec.get("tls") else "80", age(cluster, obj)]


register("networking.k8s.io/ingresses")(Printer([
    NAME,
    Column("Class", description="The name of the IngressClass resource that should be used for additional "
                                "configuration"),
    Column("Hosts", description="Hosts that incoming requests are matched against before the ingress rule"),
    Column("Address", description="Address is a list containing ingress points for the load-balancer"),
    Column("Ports", description="Ports of TLS configurations that open"),
    AGE,
], _ingress))


def _ingress_class(cluster: Cluster, obj: Obj) -> list[Any]:
    spec = obj.get("spec") or {}
    parameters = spec.get("parameters")
    text = NONE
    if isinstance(parameters, dict):
        kind = str(parameters.get("kind", ""))
        if parameters.get("apiGroup"):
            kind = f"{kind}.{parameters['apiGroup']}"
        text = f"{kind}/{parameters.get('name', '')}"
    return [obj["metadata"]["name"], spec.get("controller", ""), text, age(cluster, obj)]


register("networking.k8s.io/ingressclasses")(Printer([
    NAME,
    Column("Controller", description="Controller that is responsible for handling this class"),
    Column("Parameters", description="A reference to a resource with additional parameters"),
    AGE,
], _ingress_class))

register("networking.k8s.io/networkpolicies")(Printer([
    NAME,
    Column("Pod-Selector", description="Selects the pods to which this NetworkPolicy object applies."),
    AGE,
], lambda cluster, obj: [obj["metadata"]["name"], selector_text((obj.get("spec") or {}).get("podSelector")),
                         age(cluster, obj)]))
