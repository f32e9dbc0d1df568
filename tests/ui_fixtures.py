"""Fixtures for the UI tests: a private copy of the real index, the real server on a free port, a browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.ui.load_check import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def ui_assistant(assistant: Any, real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An Assistant over a copy of the real index (the documents test changes it), sharing the loaded embedder."""
    from rag import Assistant
    from rag.store import IndexStore

    index = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(real_index, index)
    settings = assistant.settings.with_(index_dir=index)
    return Assistant(settings, IndexStore.open(index, assistant.embedder.id), assistant.embedder)


@pytest.fixture(scope="session")
def ui_url(ui_assistant: Any) -> Iterator[str]:
    """The real Gradio server, as ``rag serve`` builds it, on a free localhost port."""
    from rag.ui import build_app, launch

    app = build_app(ui_assistant)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    yield url.rstrip("/")
    app.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (skipped where it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium: apt-get install chromium chromium-driver")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, ui_url: str) -> Iterator[Any]:
    """A fresh zh-CN page on the app, wide enough for the two-column layout."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(ui_url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()
