"""The authentication and authorization APIs that are answered but never stored: access reviews (self,
subject, local), rules reviews, SelfSubjectReview, TokenReview, and TokenRequest on serviceaccounts/token.
Each answers 201 with the request echoed and its status filled in, as kube-apiserver does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import handlers, responses, status
from kubegenie.sandbox.authorization import Attributes
from kubegenie.sandbox.identity import (
    API_AUDIENCE,
    BoundObject,
    Identity,
    TokenAuthenticator,
    TokenClaims,
    issue_token,
)
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

TOKEN_AUTHENTICATOR = web.AppKey("token_authenticator", TokenAuthenticator)
"""The server's bearer-token authenticator, which TokenReview asks."""

_AUTHORIZATION = "authorization.k8s.io"
_AUTHENTICATION = "authentication.k8s.io"
_DEFAULT_TOKEN_SECONDS = 3600
_MIN_TOKEN_SECONDS = 600
_MAX_TOKEN_SECONDS = 1 << 32
_BOUND_KINDS = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}


async def _review_body(req: ApiRequest) -> Obj:
    body = await req.object_body()
    rtype = req.path.rtype
    kind = body.get("kind")
    if kind not in (None, "", rtype.kind):
        raise status.bad_request(f'{kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: '
                                 f"the object provided is unrecognized")
    for key in ("spec", "metadata", "status"):
        if not isinstance(body.get(key) or {}, dict):
            raise status.bad_request(f"{rtype.kind} in version \"{rtype.version}\" cannot be handled as a "
                                     f"{rtype.kind}: {key} must be an object")
    return body


def _reply(req: ApiRequest, body: Obj, spec: Obj | None, result: Obj) -> web.Response:
    rtype = req.path.rtype
    metadata = {**(body.get("metadata") or {}), "creationTimestamp": None}
    if rtype.namespaced:
        metadata["namespace"] = req.namespace
    out: Obj = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": metadata}
    if spec is not None:
        out["spec"] = spec
    out["status"] = result
    return responses.json_response(out, 201, req.warnings)


def _text(source: Obj, key: str) -> str:
    value = source.get(key)
    return value if isinstance(value, str) else ""


def _invalid(rtype: ResourceType, field: str, value: str, message: str) -> status.ApiError:
    return status.invalid(rtype, "", [("FieldValueInvalid", field, f"Invalid value: {value}: {message}")])


def _attributes(rtype: ResourceType, spec: Obj) -> Attributes:
    """authorizer attributes from resourceAttributes or nonResourceAttributes (exactly one must be set)."""
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        raise _invalid(rtype, "spec.nonResourceAttributes", '"{...}"',
                       "cannot be specified in combination with resourceAttributes")
    if resource is None and non_resource is None:
        raise _invalid(rtype, "spec.resourceAttributes", '"null"',
                       "exactly one of nonResourceAttributes or resourceAttributes must be specified")
    if isinstance(resource, dict):
        return Attributes(_text(resource, "verb"), _text(resource, "group"), _text(resource, "version") or "*",
                          _text(resource, "resource"), _text(resource, "subresource"), _text(resource, "namespace"),
                          _text(resource, "name"))
    attrs = non_resource if isinstance(non_resource, dict) else {}
    return Attributes(_text(attrs, "verb"), path=_text(attrs, "path"), non_resource=True)


def _access_status(req: ApiRequest, identity: Identity, attrs: Attributes) -> Obj:
    decision = req.cluster.authorizer.authorize(identity, attrs)
    result: Obj = {"allowed": decision.allowed}
    if decision.reason:
        result["reason"] = decision.reason
    return result


def _subject(spec: Obj) -> Identity:
    """The user a SubjectAccessReview asks about, exactly as given (no groups are added)."""
    extra = spec.get("extra") or {}
    return Identity(_text(spec, "user"), tuple(str(g) for g in spec.get("groups") or []), _text(spec, "uid"),
                    {str(key): tuple(str(v) for v in values or []) for key, values in extra.items()}
                    if isinstance(extra, dict) else {})


@handlers.virtual(_AUTHORIZATION, "selfsubjectaccessreviews")
async def self_subject_access_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    spec = body.get("spec") or {}
    attrs = _attributes(req.path.rtype, spec)
    return _reply(req, body, spec, _access_status(req, req.identity, attrs))


@handlers.virtual(_AUTHORIZATION, "subjectaccessreviews")
async def subject_access_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    spec = body.get("spec") or {}
    attrs = _attributes(req.path.rtype, spec)
    if not _text(spec, "user") and not spec.get("groups"):
        raise _invalid(req.path.rtype, "spec.user", '""', "at least one of user or group must be specified")
    return _reply(req, body, spec, _access_status(req, _subject(spec), attrs))


@handlers.virtual(_AUTHORIZATION, "localsubjectaccessreviews")
async def local_subject_access_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    rtype, namespace = req.path.rtype, req.namespace
    if _text(body.get("metadata") or {}, "namespace") not in ("", namespace):
        raise status.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    spec = body.get("spec") or {}
    if spec.get("nonResourceAttributes") is not None:
        raise _invalid(rtype, "spec.nonResourceAttributes", '"{...}"', "disallowed on this kind of request")
    attrs = _attributes(rtype, spec)
    if attrs.namespace != namespace:
        raise status.bad_request(f"spec.resourceAttributes.namespace must match namespace: {namespace}")
    if not _text(spec, "user") and not spec.get("groups"):
        raise _invalid(rtype, "spec.user", '""', "at least one of user or group must be specified")
    return _reply(req, body, spec, _access_status(req, _subject(spec), attrs))


@handlers.virtual(_AUTHORIZATION, "selfsubjectrulesreviews")
async def self_subject_rules_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    spec = body.get("spec") or {}
    rules = req.cluster.authorizer.rules_for(req.identity, _text(spec, "namespace"))
    result: Obj = {"resourceRules": rules.resource_rules, "nonResourceRules": rules.non_resource_rules,
                   "incomplete": False}
    if rules.errors:
        result["evaluationError"] = rules.evaluation_error
    return _reply(req, body, spec, result)


@handlers.virtual(_AUTHENTICATION, "selfsubjectreviews")
async def self_subject_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    return _reply(req, body, None, {"userInfo": req.identity.user_info()})


@handlers.virtual(_AUTHENTICATION, "tokenreviews")
async def token_review(req: ApiRequest) -> web.StreamResponse:
    body = await _review_body(req)
    spec = body.get("spec") or {}
    token = _text(spec, "token")
    if not token:
        raise status.bad_request("token is required for TokenReview in authentication")
    audiences = tuple(str(a) for a in spec.get("audiences") or []) or (API_AUDIENCE,)
    found = req.http.app[TOKEN_AUTHENTICATOR].authenticate(token, audiences)
    result: Obj
    if found is None:
        result = {"user": {}}
        if token.count(".") == 2:
            result["error"] = "invalid bearer token"
    else:
        identity, accepted = found
        result = {"authenticated": True, "user": identity.user_info(), "audiences": list(accepted)}
    return _reply(req, body, spec, result)


# --- serviceaccounts/token -------------------------------------------------------------------------------


def _token_invalid(name: str, field: str, message: str) -> status.ApiError:
    return status.ApiError(422, "Invalid", f'TokenRequest.{_AUTHENTICATION} "{name}" is invalid: {field}: {message}',
                           {"name": name, "group": _AUTHENTICATION, "kind": "TokenRequest",
                            "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}]})


def _bound_object(req: ApiRequest, name: str, ref: Any) -> BoundObject | None:
    if not ref:
        return None
    if not isinstance(ref, dict):
        raise status.bad_request("spec.boundObjectRef must be an object")
    kind, ref_name = _text(ref, "kind"), _text(ref, "name")
    key = _BOUND_KINDS.get(kind)
    if key is None or _text(ref, "apiVersion") not in ("", "v1"):
        raise _token_invalid(name, "spec.boundObjectRef.kind",
                             f'Unsupported value: "{kind}": supported values: "Node", "Pod", "Secret"')
    found = req.cluster.store.get(key, "" if key == "nodes" else req.namespace, ref_name)
    if found is None:
        raise status.ApiError(404, "NotFound", f'{key} "{ref_name}" not found', {"name": ref_name, "kind": key})
    uid = str(found["metadata"].get("uid", ""))
    if _text(ref, "uid") not in ("", uid):
        raise status.ApiError(409, "Conflict", f"the UID in the bound object reference ({_text(ref, 'uid')}) does "
                               "not match the UID in record. The object might have been deleted and then recreated")
    return BoundObject(kind, ref_name, uid)


@handlers.subresource("serviceaccounts", "token")
async def token_request(req: ApiRequest) -> web.StreamResponse:
    """TokenRequest: a signed token for the service account, which this server then accepts."""
    name = req.path.name or ""
    body = await req.object_body()
    if body.get("kind") not in (None, "", "TokenRequest"):
        raise status.bad_request(f'{body.get("kind")} in version "v1" cannot be handled as a TokenRequest')
    account = req.cluster.store.get("serviceaccounts", req.namespace, name)
    if account is None:
        raise status.not_found(req.path.rtype, name)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    seconds = spec.get("expirationSeconds")
    seconds = _DEFAULT_TOKEN_SECONDS if seconds is None else seconds
    if not isinstance(seconds, int) or seconds < _MIN_TOKEN_SECONDS:
        raise _token_invalid(name, "spec.expirationSeconds",
                             f"Invalid value: {seconds}: may not specify a duration less than 10 minutes")
    if seconds > _MAX_TOKEN_SECONDS:
        raise _token_invalid(name, "spec.expirationSeconds",
                             f"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds")
    audiences = [str(a) for a in spec.get("audiences") or []] or [API_AUDIENCE]
    bound = _bound_object(req, name, spec.get("boundObjectRef"))
    now = int(req.cluster.clock.time())
    claims = TokenClaims(req.namespace, name, str(account["metadata"].get("uid", "")), tuple(audiences), now,
                         now + seconds, bound=bound)
    bound_ref = None if bound is None else {"kind": bound.kind, "apiVersion": "v1", "name": bound.name,
                                            "uid": bound.uid}
    out = {"kind": "TokenRequest", "apiVersion": f"{_AUTHENTICATION}/v1",
           "metadata": {"name": name, "namespace": req.namespace,
                        "creationTimestamp": rfc3339(dt.datetime.fromtimestamp(now, dt.UTC))},
           "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": bound_ref},
           "status": {"token": issue_token(req.cluster.ca, claims),
                      "expirationTimestamp": rfc3339(dt.datetime.fromtimestamp(now + seconds, dt.UTC))}}
    return responses.json_response(out, 201, req.warnings)
