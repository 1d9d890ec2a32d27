"""The shipped cluster context (fixed clock) and the trained model, shared by the NLU tests."""

from __future__ import annotations

import pytest

from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.dataset import load_context
from kubegenie.nlu.model import trained_classifier


@pytest.fixture(scope="session")
def context() -> NluContext:
    return load_context()


@pytest.fixture(scope="session")
def classifier() -> IntentClassifier:
    return trained_classifier()


@pytest.fixture(scope="session")
def demo() -> NluContext:
    """What a cache of the demo scenario's cluster (context prod) knows."""
    from tests.nlu.demo_context import demo_context

    return demo_context()
