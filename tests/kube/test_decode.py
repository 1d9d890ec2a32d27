"""Large response bodies are parsed with the garbage collector paused, and its state is always restored."""

from __future__ import annotations

import gc

import orjson
import pytest

from kubegenie.kube.client import LARGE_BODY, decode_json


def test_large_bodies_parse_alike_and_leave_the_collector_as_it_was() -> None:
    items = [{"metadata": {"name": f"pod-{index}", "labels": {"app": "web"}}} for index in range(LARGE_BODY // 40)]
    body = orjson.dumps({"kind": "PodList", "items": items})
    assert len(body) > LARGE_BODY
    assert gc.isenabled()
    assert decode_json(body) == {"kind": "PodList", "items": items}
    assert gc.isenabled()
    gc.disable()
    try:
        assert decode_json(body)["items"][-1] == items[-1]
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(orjson.JSONDecodeError):
        decode_json(body[:-1] + b" " * LARGE_BODY)
    assert gc.isenabled()
