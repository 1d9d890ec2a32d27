"""kubectl-style input ("kubectl get po -n shop -o wide", "logs -f web --tail 20 -c app", "rollout restart
deploy/web") read as arguments with shlex: the command line is parsed, never run. Input that only looks
like kubectl by accident ("get pods in payments") is left to the natural-language reader.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from kubegenie.domain.intents import Intent, PodStatusFilter, ResourceKind
from kubegenie.nlu.normalize import correct
from kubegenie.nlu.vocabulary import KUBECTL_ONLY_ALIASES, STOPWORDS, kind_lookup

_KINDS = {**kind_lookup(), **KUBECTL_ONLY_ALIASES}
_PREFIXES = frozenset({"kubectl", "k", "kc", "kubecolor", "oc"})
_VERBS = frozenset({"get", "describe", "logs", "log", "top", "scale", "rollout", "drain", "cordon", "uncordon",
                    "api-resources", "api-versions", "config", "cluster-info", "version", "events"})
_UNSUPPORTED = frozenset({"delete", "apply", "edit", "exec", "run", "create", "patch", "label", "annotate",
                          "port-forward", "cp", "set", "replace", "expose", "autoscale", "taint", "attach", "proxy",
                          "debug", "certificate", "wait", "kustomize", "diff"})
_BOOLEAN = frozenset({"-A", "--all-namespaces", "-p", "--previous", "-f", "--follow", "-w", "--watch",
                      "--show-labels", "--no-headers", "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                      "--all-containers", "--timestamps", "--watch-only", "--disable-eviction", "--containers",
                      "--use-protocol-buffers", "--show-kind", "--all-contexts"})
# Input is lowercased before parsing, so "-A" arrives as "-a" (kubectl has no other "-a" left).
_FLAG_ALIASES = {"-n": "--namespace", "-l": "--selector", "-o": "--output", "-c": "--container",
                 "-a": "--all-namespaces",
                 "-p": "--previous", "-f": "--follow", "-w": "--watch"}
_PHASES = {"pending": PodStatusFilter.PENDING, "running": PodStatusFilter.RUNNING,
           "succeeded": PodStatusFilter.COMPLETED, "failed": PodStatusFilter.FAILING}


class NotKubectl(Exception):
    """The text is not a kubectl command line (the caller reads it as plain language instead)."""


@dataclass
class KubectlCommand:
    intent: Intent | None
    slots: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    notes: list[str] = field(default_factory=list)
    problem: str | None = None
    """Set for commands KubeGenie reads but will not carry out (delete, exec, apply, ...)."""


def parse_kubectl(text: str) -> KubectlCommand:
    """Read `text` as a kubectl command line; raises NotKubectl when it is not one."""
    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise NotKubectl(str(error)) from None
    forced = bool(tokens) and tokens[0] in _PREFIXES
    if forced:
        tokens = tokens[1:]
    if not tokens:
        raise NotKubectl("empty")
    verb = tokens[0]
    if verb in _UNSUPPORTED and forced:
        return KubectlCommand(intent=None, problem=f"KubeGenie reads clusters and proposes changes; it does not run "
                                                   f"`kubectl {verb}`.")
    if verb not in _VERBS:
        raise NotKubectl(verb)
    positionals, flags = _split(tokens[1:])
    if not forced:
        _require_command_shape(verb, positionals, flags)
    command = _interpret(verb, positionals, flags)
    if command is None:
        raise NotKubectl(verb)
    return command


def _split(args: list[str]) -> tuple[list[str], dict[str, str]]:
    positionals: list[str] = []
    flags: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if arg.startswith("-") and len(arg) > 1 and not arg[1:].isdigit():
            name, _, value = arg.partition("=")
            if not value and len(name) > 2 and name[1] != "-" and name[:2] in ("-n", "-l", "-c", "-o"):
                name, value = name[:2], name[2:]  # "-nshop", "-owide"
            name = _FLAG_ALIASES.get(name, name)
            if not value and name not in _BOOLEAN and _FLAG_ALIASES.get(arg, arg) not in _BOOLEAN \
                    and index + 1 < len(args):
                index += 1
                value = args[index]
            flags[name] = value or "true"
        elif arg == "grep" and index + 1 < len(args):
            # What was a pipe into grep ("kubectl get pods | grep web") arrives with the pipe removed.
            flags["--grep"] = args[index + 1]
            index += 1
        else:
            positionals.append(arg)
        index += 1
    return positionals, flags


def _require_command_shape(verb: str, positionals: list[str], flags: dict[str, str]) -> None:
    if any(p in STOPWORDS and p not in _KINDS and p != "all" for p in positionals):
        raise NotKubectl("plain language")
    limits = {"get": 2, "describe": 2, "logs": 1, "log": 1, "top": 2, "scale": 2, "rollout": 3, "drain": 1,
              "cordon": 1, "uncordon": 1, "events": 0, "config": 1, "api-resources": 0, "api-versions": 0,
              "cluster-info": 1, "version": 0}
    if len(positionals) > limits[verb]:
        raise NotKubectl("too many words")
    if verb in ("get", "describe", "top", "scale") and positionals and _kind(positionals[0].split("/")[0]) is None:
        raise NotKubectl("no resource type")
    if verb in ("logs", "log", "drain", "cordon", "uncordon") and not positionals and not flags:
        raise NotKubectl("no object")


def _kind(word: str) -> ResourceKind | None:
    first = word.split(",")[0]
    return _KINDS.get(first) or _KINDS.get(correct(first))


def _target(positionals: list[str]) -> tuple[ResourceKind | None, str | None]:
    """TYPE NAME, TYPE/NAME or TYPE alone."""
    if not positionals:
        return None, None
    head = positionals[0]
    if "/" in head:
        kind_word, _, name = head.partition("/")
        return _kind(kind_word), name or None
    return _kind(head), positionals[1] if len(positionals) > 1 else None


def _scope(flags: dict[str, str]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    if "--namespace" in flags:
        slots["namespace"] = flags["--namespace"]
    if "--all-namespaces" in flags:
        slots["all_namespaces"] = True
    if "--context" in flags or "--cluster" in flags:
        slots["cluster"] = flags.get("--context") or flags["--cluster"]
    if "--all-contexts" in flags:
        slots["all_clusters"] = True
    return slots


def _interpret(verb: str, positionals: list[str], flags: dict[str, str]) -> KubectlCommand | None:
    slots = _scope(flags)
    if verb in ("get", "describe"):
        return _get(verb, positionals, flags, slots)
    if verb in ("logs", "log"):
        return _logs(positionals, flags, slots)
    if verb == "top":
        kind = _kind(positionals[0]) if positionals else ResourceKind.POD
        if kind not in (ResourceKind.POD, ResourceKind.NODE):
            return None
        slots["kind"] = kind
        if "--sort-by" in flags:
            slots["sort_by"] = "memory" if "mem" in flags["--sort-by"] else "cpu"
        return KubectlCommand(Intent.TOP, slots)
    if verb == "scale":
        kind, name = _target(positionals)
        if "--replicas" in flags and flags["--replicas"].isdigit():
            slots["replicas"] = int(flags["--replicas"])
        slots["kind"] = kind or ResourceKind.DEPLOYMENT
        return KubectlCommand(Intent.SCALE, slots, name=name)
    if verb == "rollout":
        if not positionals or positionals[0] not in ("restart", "status", "history"):
            return None
        kind, name = _target(positionals[1:])
        slots["kind"] = kind or ResourceKind.DEPLOYMENT
        intent = Intent.RESTART if positionals[0] == "restart" else Intent.DESCRIBE_RESOURCE
        return KubectlCommand(intent, slots, name=name)
    if verb in ("drain", "cordon", "uncordon"):
        name = positionals[0].removeprefix("node/").removeprefix("nodes/") if positionals else None
        return KubectlCommand(Intent(verb), slots, name=name)
    if verb == "events":
        return _events(flags, slots)
    if verb in ("api-resources", "api-versions"):
        return KubectlCommand(Intent.API_RESOURCES, slots)
    if verb == "config":
        if positionals and positionals[0] in ("get-contexts", "current-context", "get-clusters", "view"):
            return KubectlCommand(Intent.LIST_CLUSTERS, slots)
        return None
    return KubectlCommand(Intent.CLUSTER_OVERVIEW, slots)


def _get(verb: str, positionals: list[str], flags: dict[str, str], slots: dict[str, Any]) -> KubectlCommand | None:
    kind, name = _target(positionals)
    if kind is None:
        return None
    notes = []
    if "," in positionals[0]:
        notes.append(f"only the first type of '{positionals[0]}' is shown")
    if kind is ResourceKind.EVENT and verb == "get":
        return _events(flags, slots)
    slots["kind"] = kind
    if name is not None:
        intent = Intent.DESCRIBE_RESOURCE if verb == "describe" else Intent.GET_RESOURCE
        return KubectlCommand(intent, slots, name=name, notes=notes)
    if "--selector" in flags:
        slots["label_selector"] = flags["--selector"]
    if flags.get("--output") == "wide":
        slots["wide"] = True
    if "--grep" in flags:
        slots["name_contains"] = flags["--grep"]
    field_selector = flags.get("--field-selector", "")
    node = re.search(r"spec\.nodename=([a-z0-9.-]+)", field_selector.lower())
    if node:
        slots["node"] = node.group(1)
    phase = re.search(r"status\.phase(!?=)(\w+)", field_selector.lower())
    if phase and phase.group(1) == "=" and phase.group(2) in _PHASES:
        slots["status"] = _PHASES[phase.group(2)]
    elif phase and phase.group(2) == "running":
        slots["status"] = PodStatusFilter.FAILING
    if verb == "describe":
        # `kubectl describe pods` describes them all; one at a time reads better, so it asks which.
        return KubectlCommand(Intent.DESCRIBE_RESOURCE, slots, notes=notes)
    return KubectlCommand(Intent.LIST_RESOURCES, slots, notes=notes)


def _logs(positionals: list[str], flags: dict[str, str], slots: dict[str, Any]) -> KubectlCommand:
    kind, name = _target(positionals)
    if "/" not in (positionals[0] if positionals else ""):
        kind, name = ResourceKind.POD, positionals[0] if positionals else None
    slots["kind"] = kind or ResourceKind.POD
    if "--container" in flags:
        slots["container"] = flags["--container"]
    if "--previous" in flags:
        slots["previous"] = True
    if flags.get("--tail", "").isdigit():
        slots["tail"] = int(flags["--tail"])
    if "--selector" in flags:
        slots["label_selector"] = flags["--selector"]
    if "--grep" in flags:
        slots["grep"] = flags["--grep"]
    return KubectlCommand(Intent.POD_LOGS, slots, name=name)


def _events(flags: dict[str, str], slots: dict[str, Any]) -> KubectlCommand:
    if "warning" in flags.get("--types", "").lower() or "type=warning" in flags.get("--field-selector", "").lower():
        slots["warnings_only"] = True
    involved = flags.get("--for")
    name = None
    if involved:
        kind_word, _, name = involved.partition("/")
        slots["kind"] = _kind(kind_word)
    return KubectlCommand(Intent.LIST_EVENTS, slots, name=name or None)
