"""Browser tests: the system Chromium (Debian's `chromium`), driven by Playwright, against pytest-django's
live server. `playwright install` is never needed: the browser is launched from /usr/bin/chromium
(or EINBLICK_CHROMIUM); `make test` installs it when missing (Makefile target `browser`).

Every page fails its test on a console error, an uncaught script error, a Content-Security-Policy
violation or a failed subresource. Screenshots go to var/test-artifacts/<test>/ (var/ is gitignored),
plus a final `failure.png` when a test fails."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("EINBLICK_CHROMIUM", "/usr/bin/chromium")  # Debian's `chromium` package
SKIP_VARIABLE = "EINBLICK_SKIP_BROWSER"
# --headless=new and no sandbox (we run as root); the rest keeps Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
TIMEOUT_MS = 15_000  # for actions and for expect(); a slow CI machine is not a failure

# Reports every CSP violation of every document to the test (through the exposed binding below).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.einblickCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}` +
    (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "")
  );
}, true);
"""


def _chromium_or_stop() -> str:
    """The browser, or a failure that says what to do; a skip only when the developer asked for one."""
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: browser tests skipped")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's `chromium` package. "
            f"Run `make browser` as root (apt-get install -y --no-install-recommends chromium), "
            f"or set {SKIP_VARIABLE}=1 to skip the browser tests.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for all browser tests. Package-scoped on purpose: while Playwright's sync API runs,
    its event loop counts as running in this thread, so Django refuses database access unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. Both the browser and that variable end with this package, so the
    tests after it (brokers, grants, ...) keep Django's check."""
    executable = _chromium_or_stop()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Problems:
    """What went wrong in the browser while a test ran."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, kind: str, text: str) -> None:
        self.found.append(f"{kind}: {text}")

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.add("uncaught error", str(error)))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":  # Chromium reports CSP violations and failed loads here as well
            where = message.location or {}
            self.add(
                "console error", f"{message.text} ({where.get('url', '?')}:{where.get('lineNumber', '?')})"
            )

    def _response(self, response: Any) -> None:
        # Pages may answer 4xx on purpose (a form with errors is a 400); their subresources may not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.add("failed subresource", f"{response.status} {response.url}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser_problems() -> Problems:
    return Problems()


@pytest.fixture
def page(browser: Any, browser_problems: Problems, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh context per test (1280x800, de-DE) whose problems fail the test."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding(
        "einblickCspViolation", lambda source, text: browser_problems.add("CSP violation", text)
    )
    context.add_init_script(_CSP_LISTENER)
    tab = context.new_page()
    browser_problems.watch(tab)
    try:
        yield tab
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            from playwright.sync_api import Error

            with contextlib.suppress(Error):  # a crashed page must not hide the test's own failure
                tab.screenshot(path=str(_artifacts_of(request) / "failure.png"), full_page=True)
    finally:
        context.close()
    assert not browser_problems.found, "problems in the browser:\n" + "\n".join(browser_problems.found)


def _artifacts_of(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """screenshot("portal") saves var/test-artifacts/<test>/NN-portal.png of the whole page."""
    folder = _artifacts_of(request)
    for old in folder.glob("*.png"):
        old.unlink()
    taken: list[Path] = []

    def take(name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


@pytest.fixture(autouse=True)
def _fresh_rate_limits(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Every browser test starts with empty caches: the rate limits count per IP, and every browser
    test comes from 127.0.0.1, so a worker running many invitation pages within a minute would
    otherwise meet the invitation link's limit (20 a minute) meant for one person."""
    from django.core.cache import caches

    with django_db_blocker.unblock():
        for cache in caches.all():
            cache.clear()
