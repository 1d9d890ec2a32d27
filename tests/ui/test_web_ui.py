"""The web UI in headless Chromium (Debian's, driven by Playwright): ask a question and read the rendered
answer, switch cluster and ask again, watch the side panel, and save the screenshot the README shows."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubegenie.settings import KubeSettings, Settings
from tests.api.conftest import Shop, make_shop
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import SandboxEnv, start_sandbox
from tests.support.webserver import WebServer

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
# `make screenshot` sets this to docs/screenshot.png (the README's picture); otherwise it goes to a temp dir.
SCREENSHOT_TO = "KUBEGENIE_SCREENSHOT"
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (scripts/ensure-services installs it)")


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    env = start_sandbox(tmp_path_factory.mktemp("staging"), name="staging")
    yield env
    env.thread.stop()


@pytest.fixture(scope="module")
def server(sandbox: SandboxEnv, staging: SandboxEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ui")
    kubeconfig = write_kubeconfig(root / "kubeconfig", [{"name": "prod", **context_of(sandbox)},
                                                       {"name": "staging", **context_of(staging)}], current="prod")
    web = WebServer(Settings(data_dir=root / "data", kube=KubeSettings(kubeconfig=[kubeconfig]))).start()
    yield web.url
    web.stop()


def test_ask_switch_cluster_and_ask_again(server: str, sandbox: SandboxEnv, staging: SandboxEnv,
                                         tmp_path: Path) -> None:
    screenshot = Path(os.environ.get(SCREENSHOT_TO) or tmp_path / "screenshot.png")
    from playwright.sync_api import expect, sync_playwright

    prod_shop: Shop = make_shop(sandbox, "webshop")
    staging_shop: Shop = make_shop(staging, "webshop")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server}/ui/", wait_until="domcontentloaded")
            page.wait_for_selector("#kg-message textarea")
            chat, health = page.locator("#kg-chat"), page.locator("#kg-health")
            expect(health).to_contain_text("prod")
            expect(health).to_contain_text("synced")
            expect(page.locator("#kg-agents")).to_contain_text("inventory")

            page.fill("#kg-message textarea", f"which pods are failing in {prod_shop.namespace}?")
            page.click("#kg-send")
            expect(chat).to_contain_text(f"1 failing pod in namespace {prod_shop.namespace} on prod")
            expect(chat).to_contain_text(prod_shop.failing)
            expect(chat).to_contain_text("CrashLoopBackOff")
            expect(page.locator("#kg-table-0")).to_contain_text(prod_shop.failing)

            page.click("#kg-cluster input")
            page.get_by_role("option", name="staging").click()
            expect(health).to_contain_text("staging")

            page.fill("#kg-message textarea", f"which pods use the most memory in {staging_shop.namespace}?")
            page.click("#kg-send")
            expect(chat).to_contain_text(f"pods by memory in namespace {staging_shop.namespace} on staging")
            expect(chat).to_contain_text(staging_shop.healthy)
            expect(page.locator("#kg-chart-0 .js-plotly-plot")).to_be_visible()
            # The first answer stays in the conversation above the second.
            expect(chat).to_contain_text("on prod")

            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


def test_an_example_prompt_asks_with_one_click(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server}/ui/", wait_until="domcontentloaded")
            page.get_by_role("button", name="which pods are failing?").click()
            expect(page.locator("#kg-chat")).to_contain_text("failing pod")
            expect(page.locator("#kg-chat")).to_contain_text("on prod")
        finally:
            browser.close()
