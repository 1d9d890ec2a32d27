"""The API's one error surface: KubeGenieErrors, refused messages, request validation and HTTP errors all become
`application/problem+json` documents (RFC 9457: type, title, status, detail, instance) with a stable `code` and a
`remediation` sentence. Routes never catch errors themselves; nothing here ever shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from kubegenie import errors
from kubegenie.domain.answer import Answer

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:kubegenie:problem:"


class Problem(BaseModel):
    """An RFC 9457 problem document; extension members (conversation_id, suggestions, errors) may follow."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "urn:kubegenie:problem:namespace_not_found", "title": "Namespace not found", "status": 404,
        "detail": "No namespace 'paymnts' on prod; did you mean payments?", "instance": "/api/v1/chat",
        "code": "namespace_not_found", "remediation": "Try: list pods in payments",
        "conversation_id": "5f0c3c1e2b7d4c55a1c2", "suggestions": ["list pods in payments"]}]})

    type: str = Field(description="A URI naming the kind of problem: urn:kubegenie:problem:<code>.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path the problem occurred on.")
    code: str = Field(description="Stable, machine-readable error code.")
    remediation: str = Field(description="One sentence on what to do about it.")


class Refused(Exception):
    """A message KubeGenie answered with a question back because it cannot act on it (an API 4xx)."""

    def __init__(self, status: int, code: str, detail: str, remediation: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.remediation, self.extra = status, code, detail, remediation, extra


# Clarification reasons that mean "this input cannot be acted on"; the others (ambiguous, missing, ...) are an
# ordinary turn of the conversation and come back as an Answer.
_REFUSALS: dict[str, tuple[int, str, str]] = {
    "empty": (422, "empty_message", "Send a question, e.g. 'which pods are failing?'."),
    "too_long": (422, "message_too_long", "Ask in a sentence or two (at most 2,000 characters)."),
    "binary": (422, "binary_message", "Send the question as plain text."),
    "no_words": (422, "no_words", "Ask in words, e.g. 'list failing pods'."),
    "unsafe": (422, "unsafe_message", "Ask a question about your clusters; commands in messages are never run."),
    "invalid_value": (422, "invalid_name", "Use a valid Kubernetes name: lowercase letters, digits, '-' and '.'."),
    "unknown_namespace": (404, "namespace_not_found", "List namespaces with 'list namespaces' and use one of them."),
    "unknown_cluster": (404, "cluster_not_found", "List clusters with GET /api/v1/clusters and use one of them."),
}


def refusal(answer: Answer) -> Refused | None:
    """The problem to report instead of `answer`, when the answer refuses the message."""
    found = _REFUSALS.get(answer.clarification or "")
    if found is None:
        return None
    status, code, remediation = found
    if answer.suggestions and status == 404:
        remediation = "Try: " + "; ".join(answer.suggestions)
    return Refused(status, code, answer.text, remediation, conversation_id=answer.conversation_id,
                   suggestions=answer.suggestions)


_TITLES = {"malformed_json": "Malformed JSON", "internal_error": "Internal error"}


def title_of(code: str) -> str:
    return _TITLES.get(code) or code.replace("_", " ").capitalize()


def problem(status: int, code: str, detail: str, remediation: str, instance: str, **extra: Any) -> Problem:
    return Problem(type=TYPE_PREFIX + code, title=title_of(code), status=status, detail=detail, instance=instance,
                   code=code, remediation=remediation, **extra)


def of_error(exc: errors.KubeGenieError, instance: str) -> Problem:
    return problem(exc.http_status, exc.code, exc.message, exc.remediation, instance)


def of_refusal(exc: Refused, instance: str) -> Problem:
    return problem(exc.status, exc.code, exc.detail, exc.remediation, instance, **exc.extra)


def response(document: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(document.model_dump(mode="json"), status_code=document.status, media_type=MEDIA_TYPE,
                        headers=headers)


async def _kubegenie_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.KubeGenieError)
    return response(of_error(exc, request.url.path))


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    return response(of_refusal(exc, request.url.path))


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = list(exc.errors())
    # What was sent is never echoed back: it may be a megabyte, or binary.
    details = [{"location": [str(part) for part in error.get("loc", ())], "message": str(error.get("msg", ""))}
               for error in found[:20]]
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body_errors = any(tuple(error.get("loc", ()))[:1] == ("body",) for error in found)
    if body_errors and media_type != "application/json" and not media_type.endswith("+json"):
        document = problem(415, "unsupported_media_type",
                           f"The body must be JSON, not {media_type or 'a body without a Content-Type'}.",
                           "Send a JSON object with Content-Type: application/json, e.g. {\"message\": \"help\"}.",
                           request.url.path)
    elif any(error.get("type") == "json_invalid" for error in found):
        document = problem(400, "malformed_json", "The request body is not valid JSON.",
                           "Send a JSON object with Content-Type: application/json, e.g. {\"message\": \"help\"}.",
                           request.url.path, errors=details)
    else:
        where = "; ".join(f"{'.'.join(d['location'][1:]) or d['location'][0]}: {d['message']}" for d in details)
        document = problem(422, "invalid_request", f"The request does not match the API: {where}.",
                           "Correct the fields named in `errors`; /docs shows every request with an example.",
                           request.url.path, errors=details)
    return response(document)


_HTTP_CODES = {400: ("malformed_json", "Send a UTF-8 JSON object with Content-Type: application/json."),
               404: ("not_found", "Check the path; /docs lists every endpoint."),
               405: ("method_not_allowed", "Use a method this endpoint allows; /docs lists them."),
               406: ("not_acceptable", "Accept application/json or text/event-stream."),
               413: ("content_too_large", "Send a smaller body; a question fits in a few lines."),
               415: ("unsupported_media_type", "Send JSON with Content-Type: application/json.")}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, remediation = _HTTP_CODES.get(exc.status_code, ("http_error", "Check the request against /docs."))
    detail = exc.detail if isinstance(exc.detail, str) else title_of(code)
    if exc.status_code == 400:
        # FastAPI's words for a body it cannot decode (not UTF-8, say) name no cause a client can act on.
        detail = "The request body is not valid JSON."
    return response(problem(exc.status_code, code, detail, remediation, request.url.path), headers=exc.headers)


def internal_error(instance: str) -> Problem:
    return problem(500, "internal_error", "KubeGenie failed to answer this request.",
                   "Retry; if it keeps failing, report it with the server log.", instance)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug: logged with its traceback for the operator, reported without one to the caller.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return response(internal_error(request.url.path))


def install(app: FastAPI) -> None:
    """Register the handlers; Starlette picks them by the exception's MRO, so one covers each error tree."""
    app.add_exception_handler(errors.KubeGenieError, _kubegenie_error)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def openapi_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the problem documents a route may return."""
    described = {400: "Malformed JSON", 404: "Not found", 413: "Body too large", 415: "The body is not JSON",
                 422: "Input that cannot be used",
                 503: "A cluster or the store cannot be reached", 504: "The agent did not answer in time"}
    return {status: {"description": described.get(status, "Problem"), "model": Problem,
                     "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status in statuses}
