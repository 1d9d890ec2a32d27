"""Strategic merge patch for built-in kinds, following k8s.io/apimachinery/pkg/util/strategicpatch on the server
side: lists with a merge strategy merge by their merge key (or union, for primitives), other lists and maps
marked `replace` are replaced, `null` deletes, and the directives `$patch`, `$setElementOrder/<list>`,
`$deleteFromPrimitiveList/<list>` and `$retainKeys` are honoured. Merge keys and strategies come from the
schemas (`x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy`). Custom resources never get here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kubegenie.sandbox import status
from kubegenie.sandbox.patch.shapes import Shapes
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.schemas import Schema
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"

# mergepatch's sentinel errors, which the apiserver answers with 400 rather than 500.
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


def apply(cluster: Cluster, rtype: ResourceType, current: Obj, patch: dict[str, Any]) -> Obj:
    """The object after the patch; `current` and `patch` are left as they were."""
    shapes = Shapes(cluster.schemas)
    schema = shapes.kind_schema(rtype.api_version, rtype.kind)
    return StrategicMerge(shapes).merge_map(copy.deepcopy(current), copy.deepcopy(patch), schema)


def _bad_request(message: str) -> status.ApiError:
    return status.bad_request(message)


def _server_error(message: str) -> status.ApiError:
    # Errors strategicpatch does not classify reach clients as a reason-less 500, as from the apiserver.
    return status.ApiError(500, "", message)


def go_text(value: Any) -> str:
    """A value as Go's %v prints decoded JSON (`map[name:c]`), for error messages."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_text(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_text(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def _strip_directives(value: Any) -> Any:
    """A patch value taken as it is, without directive keys (they would be unknown fields of the object)."""
    if isinstance(value, dict):
        return {key: _strip_directives(item) for key, item in value.items()
                if not key.startswith("$") and item is not None}
    if isinstance(value, list):
        return [_strip_directives(item) for item in value
                if not (isinstance(item, dict) and item.get(DIRECTIVE) == "delete")]
    return value


class StrategicMerge:
    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes

    def _metadata(self, schema: Schema | None, key: str) -> tuple[Schema | None, str, str | None]:
        """(field schema, patch strategy other than retainKeys, merge key) of one field."""
        child = self.shapes.child(schema, key)
        strategies = [s for s in self.shapes.patch_strategies(child) if s != "retainKeys"]
        return child, strategies[0] if strategies else "", self.shapes.merge_key(child)

    # --- maps ------------------------------------------------------------------------------------

    def merge_map(self, original: dict[str, Any] | None, patch: dict[str, Any], schema: Schema | None) \
            -> dict[str, Any]:
        if DIRECTIVE in patch:
            directive = patch[DIRECTIVE]
            if directive == "replace":
                return {key: _strip_directives(value) for key, value in patch.items()
                        if key != DIRECTIVE and value is not None}
            if directive == "delete":
                return {}
            raise _server_error(f"unknown patch type: {go_text(directive)} in map: {go_text(patch)}")
        result: dict[str, Any] = original if original is not None else {}
        self._retain_keys(result, patch)
        self._set_element_orders(result, patch, schema)
        for raw_key, value in patch.items():
            key, delete_list = raw_key, False
            if raw_key.startswith(DELETE_FROM_PRIMITIVE_LIST):
                key, delete_list = self._directive_target(raw_key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST), True
            if value is None:
                result.pop(key, None)
                continue
            if key not in result:
                if not delete_list:
                    result[key] = self._fresh(value, schema, key)
                continue
            current = result[key]
            if type(current) is not type(value) or not isinstance(value, (dict, list)):
                result[key] = _strip_directives(value)
                continue
            child, strategy, merge_key = self._metadata(schema, key)
            if isinstance(value, dict):
                result[key] = _strip_directives(value) if strategy == "replace" \
                    else self.merge_map(current, value, child)
            else:
                result[key] = self._merge_list_field(current, value, child, strategy, merge_key, delete_list)
        return result

    def _fresh(self, value: Any, schema: Schema | None, key: str) -> Any:
        """A patch value for a field the object does not have: merged into nothing, so directives resolve."""
        if isinstance(value, dict):
            child, strategy, _ = self._metadata(schema, key)
            return _strip_directives(value) if strategy == "replace" else self.merge_map({}, value, child)
        if isinstance(value, list):
            child, strategy, merge_key = self._metadata(schema, key)
            return self._merge_list_field([], value, child, strategy, merge_key, False)
        return value

    @staticmethod
    def _directive_target(key: str, prefix: str, error: str) -> str:
        head, sep, rest = key.partition("/")
        if not sep or head != prefix:
            raise _bad_request(error)
        return rest

    def _retain_keys(self, original: dict[str, Any], patch: dict[str, Any]) -> None:
        if RETAIN_KEYS not in patch:
            return
        retained = patch.pop(RETAIN_KEYS)
        if not isinstance(retained, list):
            raise _bad_request(BAD_RETAIN_KEYS)
        for key, value in patch.items():
            if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
                continue
            if key not in retained:
                raise _bad_request(BAD_RETAIN_KEYS)
        for key in [k for k in original if k not in retained]:
            del original[key]

    # --- $setElementOrder ------------------------------------------------------------------------

    def _set_element_orders(self, original: dict[str, Any], patch: dict[str, Any], schema: Schema | None) -> None:
        for directive in [key for key in patch if key.startswith(SET_ELEMENT_ORDER)]:
            order = patch.pop(directive)
            if not isinstance(order, list):
                raise _bad_request(BAD_SET_ELEMENT_ORDER)
            key = self._directive_target(directive, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER)
            if key in patch and patch[key] is None:
                continue  # the list is being deleted; there is nothing to order
            original_list = original.get(key)
            patch_list = patch.get(key)
            for value in (original_list, patch_list):
                if value is not None and not isinstance(value, list):
                    raise _server_error(f"expected a []interface {{}}, but received a {type(value).__name__}")
            child, strategy, merge_key = self._metadata(schema, key)
            self._validate_order(patch_list or [], order, merge_key)
            if original_list is not None and patch_list is None:
                merged = list(original_list)
            elif original_list is None and patch_list is not None:
                merged = self._merge_list_field([], patch_list, child, strategy, merge_key, False)
            elif original_list is not None and patch_list is not None:
                merged = self._merge_list_field(original_list, patch_list, child, strategy, merge_key, False)
            else:
                continue
            in_order, server_only = self._partition(merged, order, merge_key)
            original[key] = self._normalize(in_order, server_only, order, original_list or [], merge_key)
            patch.pop(key, None)

    def _validate_order(self, patch_list: list[Any], order: list[Any], merge_key: str | None) -> None:
        """The patch items must appear in the $setElementOrder list, in the same relative order."""
        if not order or not patch_list:
            return
        items = [item for item in patch_list
                 if not merge_key or not (isinstance(item, dict) and item.get(DIRECTIVE) == "delete")]
        patch_index = order_index = 0
        while patch_index < len(items) and order_index < len(order):
            item = items[patch_index]
            if isinstance(item, dict) and DIRECTIVE in item:
                patch_index += 1
                continue
            if self._same_item(item, order[order_index], merge_key):
                patch_index += 1
            order_index += 1
        if patch_index < len(items) and order_index >= len(order):
            raise _server_error(f"The order in patch list:\n{go_text(patch_list)}\n doesn't match "
                                f"{SET_ELEMENT_ORDER} list:\n{go_text(order)}\n")

    def _same_item(self, left: Any, right: Any, merge_key: str | None) -> bool:
        if not merge_key:
            return _key_equal(left, right)
        if not isinstance(left, dict) or not isinstance(right, dict):
            raise _server_error(f"expected a map[string]interface {{}}, but received a {type(left).__name__}")
        for item in (left, right):
            if merge_key not in item:
                raise _server_error(f"map: {go_text(item)} does not contain declared merge key: {merge_key}")
        return _key_equal(left[merge_key], right[merge_key])

    # --- lists -----------------------------------------------------------------------------------

    def _merge_list_field(self, original: list[Any], patch: list[Any], schema: Schema | None, strategy: str,
                          merge_key: str | None, delete_list: bool) -> list[Any]:
        if strategy != "merge":
            return list(_strip_directives(patch))
        return self._merge_list(original, patch, self.shapes.items(schema), merge_key, delete_list)

    def _merge_list(self, original: list[Any], patch: list[Any], item_schema: Schema | None,
                    merge_key: str | None, delete_list: bool) -> list[Any]:
        if not original and not patch:
            return original
        kinds = {type(item) for item in (*original, *patch)}
        if list in kinds:
            raise status.ApiError(422, "Invalid", "the server rejected our request due to an error in our request",
                                  {})
        maps = dict in kinds
        if not maps:
            if delete_list:
                return [item for item in original if not any(_key_equal(item, gone) for gone in patch)]
            merged = _deduplicate([*original, *patch])
        else:
            if not merge_key:
                raise _server_error("cannot merge lists without merge key for type map")
            original, patch = self._special_elements(original, patch, merge_key)
            merged = self._merge_items(original, patch, item_schema, merge_key)
        in_patch, server_only = self._partition(merged, patch, merge_key if maps else None)
        return self._normalize(in_patch, server_only, patch, original, merge_key if maps else None)

    def _special_elements(self, original: list[Any], patch: list[Any], merge_key: str) \
            -> tuple[list[Any], list[Any]]:
        plain: list[Any] = []
        replace = False
        for item in patch:
            if not isinstance(item, dict) or DIRECTIVE not in item:
                plain.append(item)
                continue
            directive = item[DIRECTIVE]
            if directive == "delete":
                if merge_key not in item:
                    raise _server_error(f"map: {go_text(item)} does not contain declared merge key: {merge_key}")
                original = [entry for entry in original
                            if not (isinstance(entry, dict) and merge_key in entry
                                    and _key_equal(entry[merge_key], item[merge_key]))]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise _server_error("merging lists cannot yet be specified in the patch")
            else:
                raise _server_error(f"unknown patch type: {go_text(directive)} in map: {go_text(item)}")
        if replace:
            return [_strip_directives(item) for item in plain], []
        return original, plain

    def _merge_items(self, original: list[Any], patch: list[Any], item_schema: Schema | None,
                     merge_key: str) -> list[Any]:
        result = list(original)
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise _server_error(f"map: {go_text(item)} does not contain declared merge key: {merge_key}")
            for position, entry in enumerate(result):
                if isinstance(entry, dict) and merge_key in entry and _key_equal(entry[merge_key], item[merge_key]):
                    result[position] = self.merge_map(entry, item, item_schema)
                    break
            else:
                result.append(self.merge_map({}, item, item_schema))
        return result

    # --- ordering --------------------------------------------------------------------------------

    def _partition(self, merged: list[Any], present: list[Any], merge_key: str | None) -> tuple[list[Any], list[Any]]:
        in_list: list[Any] = []
        others: list[Any] = []
        for item in merged:
            (in_list if _position(present, item, merge_key) >= 0 else others).append(item)
        return in_list, others

    def _normalize(self, patch_items: list[Any], server_only: list[Any], patch_order: list[Any],
                   server_order: list[Any], merge_key: str | None) -> list[Any]:
        """Patch items in the patch's order, live-only items in the live order, interleaved by the live order."""
        patch_items = _sort_by(patch_items, patch_order, merge_key)
        server_only = _sort_by(server_only, server_order, merge_key)
        result: list[Any] = []
        left, right = 0, 0
        while left < len(server_only) or right < len(patch_items):
            if left >= len(server_only):
                result.append(patch_items[right])
                right += 1
            elif right >= len(patch_items):
                result.append(server_only[left])
                left += 1
            else:
                left_at = _position(server_order, server_only[left], merge_key)
                right_at = _position(server_order, patch_items[right], merge_key)
                if left_at >= 0 and right_at >= 0 and left_at < right_at:
                    result.append(server_only[left])
                    left += 1
                else:
                    result.append(patch_items[right])
                    right += 1
        return result


def _lookup_value(item: Any, merge_key: str | None) -> Any:
    if merge_key is None:
        return item
    return item.get(merge_key) if isinstance(item, dict) else None


def _position(items: list[Any], item: Any, merge_key: str | None) -> int:
    wanted = _lookup_value(item, merge_key)
    for position, candidate in enumerate(items):
        if _key_equal(_lookup_value(candidate, merge_key), wanted):
            return position
    return -1


def _sort_by(items: list[Any], order: list[Any], merge_key: str | None) -> list[Any]:
    """Go's stable insertion sort with strategicpatch's comparator, items to delete moved last."""
    to_delete = [item for item in items if merge_key and isinstance(item, dict) and item.get(DIRECTIVE) == "delete"]
    result = [item for item in items if not any(item is gone for gone in to_delete)]

    def less(first: Any, second: Any) -> bool:
        first_at = _position(order, first, merge_key)
        if first_at >= 0:
            second_at = _position(order, second, merge_key)
            if second_at >= 0:
                return first_at < second_at
        return True

    for index in range(1, len(result)):
        position = index
        while position > 0 and less(result[position], result[position - 1]):
            result[position], result[position - 1] = result[position - 1], result[position]
            position -= 1
    return result + to_delete


def _deduplicate(items: list[Any]) -> list[Any]:
    """strategicpatch's in-place de-duplication (it moves the last item into each duplicate's place)."""
    values = list(items)
    last = len(values) - 1
    first = 0
    while first < last:
        second = first + 1
        while second <= last:
            if _key_equal(values[first], values[second]):
                values[second] = values[last]
                values = values[:last]
                last -= 1
                second -= 1
            second += 1
        first += 1
    return values
