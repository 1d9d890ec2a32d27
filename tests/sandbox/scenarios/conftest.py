"""The demo scenario, running with a clock six times faster than real time, shared by the scenario tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubegenie.sandbox.scenarios.launch import LaunchOptions
from tests.support.scenario import ScenarioEnv, start_scenario

DEMO_SPEED = 6.0


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioEnv]:
    env = start_scenario(tmp_path_factory.mktemp("demo"), LaunchOptions(scenario="demo"), speed=DEMO_SPEED,
                         seed=3, head_start=4 * 3600)
    yield env
    env.stop()
