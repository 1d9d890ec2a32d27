"""Slot extraction from plain language: scope, kinds, labels, status, numbers, names and time windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubegenie.domain.intents import PodStatusFilter, ResourceKind, TimeWindow
from kubegenie.nlu import NluContext, Understood, understand
from kubegenie.nlu.context import base_name
from kubegenie.nlu.normalize import correct, normalize
from kubegenie.nlu.reader import read
from kubegenie.nlu.timewindow import extract_window

NOW = datetime(2025, 6, 4, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("pods in payments", {"namespace": "payments"}),
    ("payments namespace pods", {"namespace": "payments"}),
    ("pods -n payments", {"namespace": "payments"}),
    ("pods ns payments", {"namespace": "payments"}),
    ("pods in all namespaces", {"all_namespaces": True}),
    ("pods on staging", {"cluster": "staging"}),
    ("pods in the staging cluster", {"cluster": "staging"}),
    ("pods --context dev", {"cluster": "dev"}),
    ("pods across all clusters", {"all_clusters": True}),
    ("pods on node-2", {"node": "node-2"}),
    ("pods with label tier frontend", {"label_selector": "tier=frontend"}),
    ("pods app=web,tier!=db", {"label_selector": "app=web,tier!=db"}),
    ("crashlooping pods", {"status": PodStatusFilter.FAILING}),
    ("pods that are not ready", {"status": PodStatusFilter.NOT_READY}),
    ("pods stuck pending", {"status": PodStatusFilter.PENDING}),
])
def test_scope_and_filters(text: str, expected: dict[str, object], context: NluContext) -> None:
    slots = read(text, context).slots.model_dump(exclude_defaults=True)
    assert {k: slots.get(k) for k in expected} == expected


@pytest.mark.parametrize(("alias", "kind"), [
    ("po", ResourceKind.POD), ("deploy", ResourceKind.DEPLOYMENT), ("svc", ResourceKind.SERVICE),
    ("ns", ResourceKind.NAMESPACE), ("pvc", ResourceKind.PVC), ("sts", ResourceKind.STATEFULSET),
    ("ds", ResourceKind.DAEMONSET), ("cj", ResourceKind.CRONJOB), ("ing", ResourceKind.INGRESS),
    ("cm", ResourceKind.CONFIGMAP), ("hpa", ResourceKind.HPA), ("pdb", ResourceKind.PDB),
    ("sa", ResourceKind.SERVICE_ACCOUNT), ("sc", ResourceKind.STORAGE_CLASS), ("netpol", ResourceKind.NETWORK_POLICY),
    ("deploymnets", ResourceKind.DEPLOYMENT), ("statefulsets", ResourceKind.STATEFULSET),
    ("persistent volume claims", ResourceKind.PVC), ("network policies", ResourceKind.NETWORK_POLICY),
])
def test_kind_short_names_plurals_and_typos(alias: str, kind: ResourceKind, context: NluContext) -> None:
    assert read(f"list {alias}", context).slots.kind is kind


@pytest.mark.parametrize(("typed", "fixed"), [("lgos", "logs"), ("pdos", "pods"), ("namespcae", "namespace"),
                                              ("restrat", "restart"), ("across", "across"), ("morning", "morning")])
def test_typo_tolerance_fixes_typos_and_leaves_words_alone(typed: str, fixed: str) -> None:
    assert correct(typed) == fixed


def test_known_names_are_never_corrected() -> None:
    assert normalize("logs of lgos", protected={"lgos"}).text == "logs of lgos"


@pytest.mark.parametrize(("text", "kind", "name"), [
    ("describe the checkout pod", ResourceKind.POD, "checkout-7d9f8b6c5-x2x4z"),
    ("logs of checkout", ResourceKind.DEPLOYMENT, "checkout"),
    ("describe deployment chekout", ResourceKind.DEPLOYMENT, "checkout"),
    ("describe checkout-7d9f", ResourceKind.POD, "checkout-7d9f8b6c5-x2x4z"),
    ("logs of the payments api pod", ResourceKind.POD, "payments-api-7f8c9d6b4-w4xzs"),
    ("describe the redis master statefulset", ResourceKind.STATEFULSET, "redis-master"),
])
def test_fuzzy_names_against_the_cache(text: str, kind: ResourceKind, name: str, context: NluContext) -> None:
    result = understand(text, context)
    assert isinstance(result, Understood), result
    assert (getattr(result.request, "kind", None), getattr(result.request, "name", None)) == (kind, name)


def test_a_corrected_name_is_said(context: NluContext) -> None:
    result = understand("describe deployment chekout", context)
    assert isinstance(result, Understood)
    assert "'chekout' taken as deployment checkout" in result.notes


def test_generated_suffixes_are_stripped_for_matching() -> None:
    assert base_name("checkout-7d9f8b6c5-x2x4z") == "checkout"
    assert base_name("web-0") == "web"
    assert base_name("web-proxy") == "web-proxy"
    assert base_name("backup-28123456-kx2zp") == "backup"


@pytest.mark.parametrize(("text", "window"), [
    ("last 2 hours", TimeWindow(since=NOW - timedelta(hours=2))),
    ("in the past 30 min", TimeWindow(since=NOW - timedelta(minutes=30))),
    ("over the last day", TimeWindow(since=NOW - timedelta(days=1))),
    ("the last hour", TimeWindow(since=NOW - timedelta(hours=1))),
    ("--since=15m", TimeWindow(since=NOW - timedelta(minutes=15))),
    ("since 3h", TimeWindow(since=NOW - timedelta(hours=3))),
    ("2 days ago", TimeWindow(since=NOW - timedelta(days=2))),
    ("last two weeks", TimeWindow(since=NOW - timedelta(weeks=2))),
    ("since yesterday", TimeWindow(since=datetime(2025, 6, 3, tzinfo=UTC))),
    ("yesterday", TimeWindow(since=datetime(2025, 6, 3, tzinfo=UTC), until=datetime(2025, 6, 4, tzinfo=UTC))),
    ("today", TimeWindow(since=datetime(2025, 6, 4, tzinfo=UTC))),
    ("this week", TimeWindow(since=datetime(2025, 6, 2, tzinfo=UTC))),
    ("since 9am", TimeWindow(since=datetime(2025, 6, 4, 9, tzinfo=UTC))),
    ("since 9pm", TimeWindow(since=datetime(2025, 6, 3, 21, tzinfo=UTC))),
    ("since 14:45", TimeWindow(since=datetime(2025, 6, 4, 14, 45, tzinfo=UTC))),
])
def test_time_windows_relative_to_a_fixed_now(text: str, window: TimeWindow) -> None:
    found, rest = extract_window(f"events {text} please", NOW)
    assert found == window
    assert "xwindow" in rest


def test_no_window_in_plain_text() -> None:
    assert extract_window("list pods in payments", NOW) == (None, "list pods in payments")


@pytest.mark.parametrize(("text", "field", "value"), [
    ("scale web to 3 replicas", "replicas", 3),
    ("scale web to five", "replicas", 5),
    ("last 20 lines of web logs", "tail", 20),
    ("top 5 pods by memory", "limit", 5),
    ("logs of web, previous container", "previous", True),
    ("logs of web in container app", "container", "app"),
    ("logs of web containing timeout", "grep", "timeout"),
    ('logs of web matching "Connection Refused"', "grep", "Connection Refused"),
])
def test_numbers_and_log_options(text: str, field: str, value: object, context: NluContext) -> None:
    assert getattr(read(text, context).slots, field) == value
