"""Protobuf request bodies (kubectl 1.32+ typed clients): the "k8s\\x00" envelope, runtime.Unknown, and the
message inside it, turned into the JSON object the client would have sent.

Field numbers live in protobuf_messages.txt; this module owns the wire format and Go's JSON conventions
(omitempty, inlined structs, Time, Quantity, IntOrString). It never encodes: responses stay JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

from kubegenie.sandbox import status

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

KINDS: dict[tuple[str, str], str] = {
    **{("v1", kind): kind for kind in ("ConfigMap", "LimitRange", "Namespace", "Pod", "ResourceQuota", "Secret",
                                       "Service", "ServiceAccount", "DeleteOptions")},
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "CronJob"): "CronJob",
    ("batch/v1", "Job"): "Job",
    **{("rbac.authorization.k8s.io/v1", kind): kind
       for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")},
    ("policy/v1", "Eviction"): "Eviction",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1beta1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
    ("authentication.k8s.io/v1", "TokenReview"): "TokenReview",
    **{("authorization.k8s.io/v1", kind): kind for kind in ("LocalSubjectAccessReview", "SelfSubjectAccessReview",
                                                            "SelfSubjectRulesReview", "SubjectAccessReview")},
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscaler",
}
"""(apiVersion, kind) of every object kubectl sends as protobuf -> its message in the table."""

_SCALARS = frozenset({"s", "i", "b", "y"})
_WELL_KNOWN = frozenset({"t", "q", "ios", "X", "F"})
"""Messages whose JSON form is not an object: Time, Quantity, IntOrString, ExtraValue, FieldsV1."""
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_ZERO_TIME_SECONDS = -62135596800  # Go's time.Time{} as Unix seconds


class ProtobufError(ValueError):
    """The bytes are not a well-formed encoding of the expected message."""


@dataclass(frozen=True)
class Field:
    name: str
    """JSON name; "^" for a struct inlined into its parent."""
    kind: str
    """A scalar code (s, i, b, y), a well-known type (t, q, ios, X, F) or a message name."""
    repeated: bool = False
    mapped: bool = False
    keep_zero: bool = False


Schema = dict[str, dict[int, Field]]


def _parse_field(text: str, message: str) -> tuple[int, Field]:
    parts = text.split()
    if len(parts) not in (2, 3) or not parts[0].isdigit():
        raise ValueError(f"{message}: cannot read field {text!r}")
    keep = any(part.endswith("!") for part in parts[1:])
    name = parts[1].rstrip("!")
    kind = parts[2].rstrip("!") if len(parts) == 3 else "s"
    repeated, mapped = kind.startswith("["), kind.startswith("{")
    if repeated or mapped:
        kind = kind[1:-1]
    return int(parts[0]), Field(name, kind, repeated, mapped, keep)


def parse_schema(text: str) -> Schema:
    """Read the message table (see the comment at the top of protobuf_messages.txt)."""
    entries: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    schema: Schema = {}
    for entry in entries:
        name, _, body = entry.partition("=")
        name = name.strip()
        fields = dict(_parse_field(part, name) for part in body.split(",") if part.strip())
        schema[name] = fields
    for name, fields in schema.items():
        for field in fields.values():
            known = field.kind in _SCALARS or field.kind in _WELL_KNOWN or field.kind in schema
            if not known or (field.name == "^" and field.kind not in schema):
                raise ValueError(f"{name}.{field.name}: unknown type {field.kind}")
    return schema


@cache
def schema() -> Schema:
    return parse_schema(resources.files("kubegenie.sandbox").joinpath("protobuf_messages.txt").read_text())


# --- wire format -------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        result = shift = 0
        while True:
            if shift >= 70:
                raise ProtobufError("proto: integer overflow")
            if self.pos >= len(self.data):
                raise ProtobufError("unexpected EOF")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result & 0xFFFFFFFFFFFFFFFF

    def take(self, size: int) -> bytes:
        if size < 0:
            raise ProtobufError("proto: negative length found during unmarshaling")
        end = self.pos + size
        if end > len(self.data):
            raise ProtobufError("unexpected EOF")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for every field in one encoded message."""
    reader = _Reader(data)
    while reader.pos < len(data):
        key = reader.varint()
        number, wire = key >> 3, key & 7
        if number <= 0:
            raise ProtobufError(f"proto: illegal tag {number} (wire type {wire})")
        if wire == _VARINT:
            yield number, wire, reader.varint()
        elif wire == _BYTES:
            length = reader.varint()
            yield number, wire, reader.take(length)
        elif wire == _FIXED64:
            yield number, wire, reader.take(8)
        elif wire == _FIXED32:
            yield number, wire, reader.take(4)
        else:
            raise ProtobufError(f"proto: illegal wireType {wire}")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _expect(wire: int, wanted: int, message: str, field: Field) -> None:
    if wire != wanted:
        raise ProtobufError(f"proto: wrong wireType = {wire} for field {field.name} of {message}")


# --- values ------------------------------------------------------------------------------------------


def _time(data: bytes) -> str | None:
    seconds = nanos = 0
    for number, wire, value in _fields(data):
        if wire != _VARINT:
            raise ProtobufError("proto: wrong wireType for Timestamp")
        assert isinstance(value, int)
        if number == 1:
            seconds = _signed(value)
        elif number == 2:
            nanos = _signed(value)
    if not data or (seconds == _ZERO_TIME_SECONDS and nanos == 0):
        return None  # the zero time, which Go writes as JSON null
    try:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProtobufError(f"timestamp out of range: {seconds}") from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # metav1.Time marshals at second precision


def _string(data: bytes) -> str:
    return data.decode("utf-8", "replace")  # Go's JSON encoder replaces invalid UTF-8 the same way


def _well_known(kind: str, data: bytes) -> Any:
    """Time -> RFC 3339, Quantity -> its string, IntOrString -> int or str, ExtraValue -> list, FieldsV1 -> JSON."""
    if kind == "t":
        return _time(data)
    if kind == "X":
        return [_string(value) for number, _, value in _fields(data) if number == 1 and isinstance(value, bytes)]
    found: dict[int, int | bytes] = {number: value for number, _, value in _fields(data)}  # last one wins
    first = found.get(1, b"")
    if kind == "q":
        return _string(first) if isinstance(first, bytes) and first else "0"  # the zero Quantity prints as "0"
    if kind == "ios":
        if first == 1:
            text = found.get(3, b"")
            return _string(text) if isinstance(text, bytes) else ""
        number = found.get(2, 0)
        return _signed(number) if isinstance(number, int) else 0
    if not isinstance(first, bytes) or not first:
        return {}
    try:
        return orjson.loads(first)
    except orjson.JSONDecodeError as exc:
        raise ProtobufError(f"invalid JSON in FieldsV1: {exc}") from exc


def _value(message: str, field: Field, wire: int, value: int | bytes) -> Any:
    kind = field.kind
    if kind in ("i", "b"):
        _expect(wire, _VARINT, message, field)
        assert isinstance(value, int)
        return bool(value) if kind == "b" else _signed(value)
    _expect(wire, _BYTES, message, field)
    assert isinstance(value, bytes)
    if kind == "s":
        return _string(value)
    if kind == "y":
        return base64.b64encode(value).decode()
    if kind in _WELL_KNOWN:
        return _well_known(kind, value)
    return decode_message(kind, value)


def _packed(data: bytes) -> list[int]:
    reader = _Reader(data)
    values = []
    while reader.pos < len(data):
        values.append(reader.varint())
    return values


def _zero(kind: str) -> Any:
    if kind in ("s", "y"):
        return ""
    if kind in ("i", "b"):
        return 0 if kind == "i" else False
    if kind in _WELL_KNOWN:
        return _well_known(kind, b"")
    return {}


def _map_entry(message: str, field: Field, data: bytes) -> tuple[str, Any]:
    key = ""
    value: Any = _zero(field.kind)
    for number, wire, raw in _fields(data):
        if number == 1:
            _expect(wire, _BYTES, message, field)
            assert isinstance(raw, bytes)
            key = _string(raw)
        elif number == 2:
            value = _value(message, field, wire, raw)
    return key, value


def decode_message(message: str, data: bytes) -> dict[str, Any]:
    """One message of the table as the JSON object Go's encoder would write for it."""
    fields = schema()[message]
    out: dict[str, Any] = {}
    for number, wire, raw in _fields(data):
        field = fields.get(number)
        if field is None:
            continue  # unknown fields are skipped, as the apiserver's generated unmarshalers do
        if field.mapped:
            _expect(wire, _BYTES, message, field)
            assert isinstance(raw, bytes)
            key, value = _map_entry(message, field, raw)
            if value is not None:
                out.setdefault(field.name, {})[key] = value
        elif field.repeated:
            items = out.setdefault(field.name, [])
            if field.kind in ("i", "b") and wire == _BYTES:
                assert isinstance(raw, bytes)
                items.extend(bool(v) if field.kind == "b" else _signed(v) for v in _packed(raw))
            else:
                items.append(_value(message, field, wire, raw))
        else:
            value = _value(message, field, wire, raw)
            if field.name == "^":
                out.update(value)
            elif value is None or (not field.keep_zero and field.kind in _SCALARS and not value):
                out.pop(field.name, None)  # omitempty: gogo writes "" and 0 that JSON would leave out
            else:
                out[field.name] = value
    return out


# --- the envelope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """runtime.Unknown: the envelope every protobuf body is wrapped in."""

    api_version: str
    kind: str
    raw: bytes
    content_encoding: str
    content_type: str


def unwrap(body: bytes) -> Unknown:
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix "
                            "[107 56 115 0]")
    api_version = kind = content_encoding = content_type = ""
    raw = b""
    for number, wire, value in _fields(body[len(MAGIC):]):
        if wire != _BYTES:
            raise ProtobufError(f"proto: wrong wireType = {wire} for field {number} of Unknown")
        assert isinstance(value, bytes)
        if number == 1:
            for meta_number, meta_wire, meta_value in _fields(value):
                if meta_wire == _BYTES and isinstance(meta_value, bytes):
                    if meta_number == 1:
                        api_version = _string(meta_value)
                    elif meta_number == 2:
                        kind = _string(meta_value)
        elif number == 2:
            raw = value
        elif number == 3:
            content_encoding = _string(value)
        elif number == 4:
            content_type = _string(value)
    return Unknown(api_version, kind, raw, content_encoding, content_type)


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON object the client would have sent (400/415 when it cannot be)."""
    try:
        envelope = unwrap(body)
    except ProtobufError as exc:
        raise status.bad_request(f"the object provided is unrecognized: {exc}") from exc
    if envelope.content_encoding or envelope.content_type not in ("", MEDIA_TYPE):
        raise status.unsupported_media_type(["application/json", "application/yaml", MEDIA_TYPE])
    if not envelope.kind:
        raise status.bad_request("Object 'Kind' is missing in protobuf body")
    message = KINDS.get((envelope.api_version, envelope.kind))
    if message is None:
        raise status.bad_request(f'no kind "{envelope.kind}" is registered for version "{envelope.api_version}" '
                                 f'in scheme "pkg/runtime/scheme.go:100"')
    try:
        body_json = decode_message(message, envelope.raw)
    except ProtobufError as exc:
        version = envelope.api_version.rpartition("/")[2]
        raise status.bad_request(f'{envelope.kind} in version "{version}" cannot be handled as a {envelope.kind}: '
                                 f"{exc}") from exc
    return {"kind": envelope.kind, "apiVersion": envelope.api_version, **body_json}
