"""JSON patch (RFC 6902, with the RFC's own examples) and JSON merge patch (RFC 7386, Appendix A), and the
apiserver's answers when a JSON patch does not apply."""

from __future__ import annotations

from typing import Any

import pytest

from kubegenie.sandbox import status
from kubegenie.sandbox.patch import jsonpatch
from kubegenie.sandbox.patch.merge import merge_patch


@pytest.mark.parametrize(("document", "operations", "expected"), [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}], {"foo": ["bar", ["abc", "def"]]}),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}, {"op": "copy", "from": "/~1", "path": "/c"}],
     {"/": 9, "~1": 10, "c": 9}),
    ({"foo": [1, 2, 3]}, [{"op": "add", "path": "/foo/-1", "value": 9}], {"foo": [1, 2, 3, 9]}),
    ({"a": {}}, [{"op": "test", "path": "/a/missing", "value": None}], {"a": {}}),
])
def test_rfc6902_operations(document: dict[str, Any], operations: list[Any], expected: dict[str, Any]) -> None:
    assert jsonpatch.apply(document, operations) == expected


@pytest.mark.parametrize("operations", [
    [{"op": "test", "path": "/baz", "value": "bar"}],
    [{"op": "add", "path": "/baz/bat", "value": "qux"}],
    [{"op": "remove", "path": "/missing"}],
    [{"op": "replace", "path": "/missing", "value": 1}],
    [{"op": "test", "path": "/foo/1", "value": "2"}],
    [{"op": "add", "path": "/foo/5", "value": 1}],
    [{"op": "copy", "from": "/nothing", "path": "/x"}],
    [{"op": "frobnicate", "path": "/foo"}],
    [{"op": "add", "value": 1}],
])
def test_operations_that_do_not_apply_are_the_generic_422(operations: list[Any]) -> None:
    document = {"baz": "qux", "foo": ["a", 2, "c"]}
    with pytest.raises(status.ApiError) as raised:
        jsonpatch.apply(document, [{"op": "add", "path": "/new", "value": 1}, *operations])
    assert raised.value.status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "the server rejected our request due to an error in our request", "reason": "Invalid",
        "details": {}, "code": 422}
    assert document == {"baz": "qux", "foo": ["a", 2, "c"]}


def test_a_body_that_is_not_a_list_of_operations_is_a_bad_request() -> None:
    with pytest.raises(status.ApiError) as raised:
        jsonpatch.apply({}, {"op": "add"})
    assert (raised.value.code, raised.value.message) == (
        400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")


@pytest.mark.parametrize(("target", "patch", "expected"), [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_rfc7386_appendix_a(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_merge_patch_result_shares_nothing_with_its_inputs() -> None:
    target = {"spec": {"template": {"labels": {"a": "1"}}, "other": {"x": 1}}}
    result = merge_patch(target, {"spec": {"template": {"labels": {"b": "2"}}}})
    result["spec"]["other"]["x"] = 2
    result["spec"]["template"]["labels"]["c"] = "3"
    assert target == {"spec": {"template": {"labels": {"a": "1"}}, "other": {"x": 1}}}
