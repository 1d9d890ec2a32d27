"""The fault document of `faults.py` (rules, watch drops, refusals, seed): parsing and validation, and
the rules' matching of a request's path and verb. It never touches requests or the server itself."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_RULE_KEYS = {"path", "verbs", "latency", "jitter", "status", "rate", "times", "message", "retryAfter"}


class FaultConfigError(ValueError):
    """The fault document is malformed; the message says where."""


@dataclass
class FaultRule:
    id: str
    path: str
    verbs: frozenset[str] = frozenset()
    latency: float = 0.0
    jitter: float = 0.0
    status: int | None = None
    rate: float = 1.0
    times: int | None = None
    message: str | None = None
    retry_after: int | None = None
    hits: int = 0
    errors: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, path: str, method: str, verb: str) -> bool:
        if self.verbs and verb not in self.verbs and method not in self.verbs:
            return False
        if self._regex is not None:
            return self._regex.search(path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "path": self.path}
        if self.verbs:
            data["verbs"] = sorted(self.verbs)
        for key, value in (("latency", self.latency), ("jitter", self.jitter)):
            if value:
                data[key] = value
        if self.status is not None:
            data["status"] = self.status
            data["rate"] = self.rate
        for key, optional in (("times", self.times), ("message", self.message), ("retryAfter", self.retry_after)):
            if optional is not None:
                data[key] = optional
        data["hits"] = self.hits
        data["errors"] = self.errors
        return data


def _number(spec: dict[str, Any], key: str, where: str, minimum: float = 0.0) -> float:
    value = spec.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultConfigError(f"{where}.{key}: must be a number of at least {minimum:g}, not {value!r}")
    return float(value)


def _optional_int(spec: dict[str, Any], key: str, where: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultConfigError(f"{where}.{key}: must be a non-negative integer, not {value!r}")
    return value


def parse_rule(spec: Any, rule_id: str, where: str) -> FaultRule:
    if not isinstance(spec, dict):
        raise FaultConfigError(f"{where}: must be a mapping")
    unknown = sorted(set(spec) - _RULE_KEYS)
    if unknown:
        raise FaultConfigError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(_RULE_KEYS))})")
    path = spec.get("path", "*")
    if not isinstance(path, str) or not path:
        raise FaultConfigError(f"{where}.path: must be a glob or 're:<regex>'")
    regex = None
    if path.startswith("re:"):
        try:
            regex = re.compile(path[3:])
        except re.error as exc:
            raise FaultConfigError(f"{where}.path: invalid regular expression: {exc}") from exc
    verbs = spec.get("verbs") or []
    if isinstance(verbs, str):
        verbs = [verbs]
    if not isinstance(verbs, list) or not all(isinstance(verb, str) and verb for verb in verbs):
        raise FaultConfigError(f"{where}.verbs: must be a list of verbs or HTTP methods")
    code = spec.get("status")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int) or not 400 <= code <= 599):
        raise FaultConfigError(f"{where}.status: must be an HTTP error code between 400 and 599, not {code!r}")
    rate = _number(spec, "rate", where) if "rate" in spec else 1.0
    if rate > 1:
        raise FaultConfigError(f"{where}.rate: must be between 0 and 1, not {rate!r}")
    message = spec.get("message")
    if message is not None and not isinstance(message, str):
        raise FaultConfigError(f"{where}.message: must be a string")
    latency, jitter = _number(spec, "latency", where), _number(spec, "jitter", where)
    if code is None and not latency and not jitter:
        raise FaultConfigError(f"{where}: a rule needs a status, a latency or a jitter")
    return FaultRule(rule_id, path, frozenset(verbs), latency, jitter, code, rate,
                     _optional_int(spec, "times", where), message, _optional_int(spec, "retryAfter", where),
                     _regex=regex)


@dataclass
class Plan:
    """A checked fault document, ready to apply."""

    rules: list[FaultRule]
    watches: dict[str, Any] | None
    refuse: dict[str, Any] | None
    seed: int | None


def check(document: Any, first_id: int = 1) -> Plan:
    """Validate a fault document without applying it; raises FaultConfigError naming the bad field."""
    if not isinstance(document, dict):
        raise FaultConfigError("the fault document must be a mapping with rules, watches or refuse")
    known = {"rules", "watches", "refuse", "seed"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise FaultConfigError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    specs = document.get("rules") or []
    if not isinstance(specs, list):
        raise FaultConfigError("rules: must be a list")
    rules = [parse_rule(spec, f"r{first_id + index}", f"rules[{index}]") for index, spec in enumerate(specs)]
    seed = document.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultConfigError("seed: must be an integer")
    return Plan(rules, _watch_spec(document.get("watches")), _refuse_spec(document.get("refuse")), seed)


def _watch_spec(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise FaultConfigError("watches: must be a mapping")
    unknown = sorted(set(spec) - {"drop", "every", "path", "mode"})
    if unknown:
        raise FaultConfigError(f"watches: unknown field {unknown[0]!r}")
    if "every" in spec:
        _number(spec, "every", "watches")
    if spec.get("mode", "close") not in ("close", "reset"):
        raise FaultConfigError("watches.mode: must be close or reset")
    path = spec.get("path")
    if path is not None and not isinstance(path, str):
        raise FaultConfigError("watches.path: must be a glob or 're:<regex>'")
    if isinstance(path, str) and path.startswith("re:"):
        try:
            re.compile(path[3:])
        except re.error as exc:
            raise FaultConfigError(f"watches.path: invalid regular expression: {exc}") from exc
    return spec


def _refuse_spec(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise FaultConfigError("refuse: must be a mapping")
    unknown = sorted(set(spec) - {"seconds", "after"})
    if unknown:
        raise FaultConfigError(f"refuse: unknown field {unknown[0]!r}")
    if _number(spec, "seconds", "refuse") <= 0:
        raise FaultConfigError("refuse.seconds: must be more than 0")
    _number(spec, "after", "refuse")
    return spec


def load(path: Path) -> dict[str, Any]:
    """Read a fault document (YAML) from a file; raises FaultConfigError when it is not one."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FaultConfigError(f"{path}: {exc}") from exc
    if document is None:
        return {}
    try:
        check(document)
    except FaultConfigError as exc:
        raise FaultConfigError(f"{path}: {exc}") from exc
    assert isinstance(document, dict)
    return document
