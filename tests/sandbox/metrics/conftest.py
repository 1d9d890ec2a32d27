"""Sandboxes for the metrics and log tests: the demo at real speed, and a small cluster with one workload per
usage pattern whose week of history is quick to export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubegenie.sandbox.scenarios.launch import LaunchOptions
from tests.support.scenario import ScenarioEnv, start_scenario

PATTERNS = Path(__file__).resolve().parents[2] / "data" / "scenarios" / "patterns.yaml"


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioEnv]:
    env = start_scenario(tmp_path_factory.mktemp("shop"), LaunchOptions(scenario="demo"), seed=11)
    yield env
    env.stop()


@pytest.fixture(scope="session")
def patterns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioEnv]:
    env = start_scenario(tmp_path_factory.mktemp("patterns"), LaunchOptions(scenario=str(PATTERNS)), seed=5)
    yield env
    env.stop()
