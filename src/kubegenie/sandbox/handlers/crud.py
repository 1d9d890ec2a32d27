"""get, list, create, update, patch, delete and deletecollection on stored types, with Table output."""

from __future__ import annotations

from aiohttp import web

from kubegenie.sandbox import bodies, printers, responses, status
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.selectors import parse_field_selector, parse_label_selector
from kubegenie.sandbox.store import Obj, list_item_json

# Types whose REST storage returns the deleted object rather than a Status (ReturnDeletedObject).
RETURN_DELETED_OBJECT = frozenset({"pods", "persistentvolumeclaims", "persistentvolumes", "podtemplates",
                                   "resourcequotas", "services", "serviceaccounts", "storage.k8s.io/storageclasses",
                                   "storage.k8s.io/csidrivers", "storage.k8s.io/volumeattachments"})


def _object_response(req: ApiRequest, obj: Obj, code: int = 200) -> web.Response:
    if req.wants_table:
        table = printers.build_table(req.cluster, req.path.rtype, [obj], _include_object(req),
                                     obj["metadata"].get("resourceVersion", ""))
        return responses.json_response(table, code, req.warnings)
    return responses.json_response(obj, code, req.warnings)


def _include_object(req: ApiRequest) -> str:
    value = req.query.get("includeObject", "Metadata")
    if value not in ("None", "Metadata", "Object"):
        raise status.bad_request(f'includeObject: Unsupported value: "{value}"')
    return str(value)


async def get(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    obj = req.cluster.objects.get(path.rtype, req.namespace, path.name)
    return _object_response(req, obj)


async def list_objects(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    labels = parse_label_selector(req.query.get("labelSelector"))
    fields = parse_field_selector(req.query.get("fieldSelector"), path.rtype.plural)
    limit = req.int_param("limit", 0) or 0
    if limit < 0:
        raise status.bad_request("limit must be non-negative")
    page = req.cluster.objects.list_page(path.rtype, path.namespace if path.rtype.namespaced else None,
                                    None if labels.empty else labels, None if fields.empty else fields,
                                    limit, req.query.get("continue", ""))
    if req.wants_table:
        table = printers.build_table(req.cluster, path.rtype, page.items, _include_object(req),
                                     page.resource_version, page.continue_token, remaining=page.remaining)
        return responses.json_response(table, warnings=req.warnings)
    store = req.cluster.store
    typed = path.rtype.custom
    encoded = [store.encoded(path.rtype.storage_key, obj, typed) if obj.get("apiVersion") == path.rtype.api_version
               else list_item_json(obj, typed) for obj in page.items]
    body = responses.list_body(path.rtype, encoded, page.resource_version, page.continue_token, page.remaining)
    return responses.raw_json_response(body, warnings=req.warnings)


async def create(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    if path.name is not None:
        # POST is served on collections (and on subresources such as eviction), never on a named object.
        raise status.method_not_allowed()
    body = await req.object_body()
    obj = req.cluster.objects.create(path.rtype, req.namespace, body, req.write_options(), req.warnings)
    return _object_response(req, obj, 201)


async def update(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    body = await req.object_body()
    obj = req.cluster.objects.update(path.rtype, req.namespace, path.name, body, req.write_options(),
                                     path.subresource, warnings=req.warnings)
    return _object_response(req, obj)


async def patch(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    content_type = req.content_type
    if content_type not in bodies.PATCH_TYPES:
        raise status.unsupported_media_type(bodies.PATCH_TYPES)
    raw = await req.body()
    if len(raw) > bodies.MAX_BODY_BYTES:
        raise bodies.too_large(len(raw))
    options = req.write_options()
    if content_type == bodies.APPLY_PATCH and not req.query.get("fieldManager"):
        raise status.bad_request("PATCH, field manager is required for apply requests: fieldManager: Required value: "
                                 "is required for apply patch")
    obj, created = req.cluster.objects.patch(path.rtype, req.namespace, path.name, raw, content_type, options,
                                             path.subresource, req.warnings)
    return _object_response(req, obj, 201 if created else 200)


async def delete(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    assert path.name is not None
    options = await req.delete_options()
    obj, gone = req.cluster.objects.delete(path.rtype, req.namespace, path.name, options)
    if gone and path.rtype.storage_key not in RETURN_DELETED_OBJECT:
        # Most types answer a finished delete with a Success Status, as the apiserver does.
        details = {"name": path.name, "kind": path.rtype.plural, "uid": obj["metadata"].get("uid")}
        if path.rtype.group:
            details["group"] = path.rtype.group
        return responses.json_response(status.success_status(details), warnings=req.warnings)
    # An object kept by finalizers (or a namespace being emptied) is still answered 200, as the apiserver does
    # unless a client asks for the legacy orphanDependents=false.
    return _object_response(req, obj, 200)


async def delete_collection(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    labels = parse_label_selector(req.query.get("labelSelector"))
    fields = parse_field_selector(req.query.get("fieldSelector"), path.rtype.plural)
    options = await req.delete_options()
    page = req.cluster.objects.list_page(path.rtype, path.namespace if path.rtype.namespaced else None,
                                    None if labels.empty else labels, None if fields.empty else fields)
    deleted = []
    for obj in page.items:
        meta = obj["metadata"]
        try:
            removed, _ = req.cluster.objects.delete(path.rtype, meta.get("namespace", ""), meta["name"], options)
        except status.ApiError as exc:
            if exc.code == 404:
                continue
            raise
        deleted.append(removed)
    items = [list_item_json(obj, path.rtype.custom) for obj in deleted]
    body = responses.list_body(path.rtype, items, str(req.cluster.store.resource_version), "", None)
    return responses.raw_json_response(body, warnings=req.warnings)
