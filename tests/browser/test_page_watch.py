"""The page fixture's watch itself: a page that breaks the rules is noticed (else a silent watch would
let every browser test pass)."""

from __future__ import annotations

from einblick.config.middleware import CSP

ORIGIN = "http://watch.invalid"
PAGE = """<!DOCTYPE html><html lang="de"><head><title>Regelbruch</title>
<script src="/bad.js"></script></head>
<body><h1>Regelbruch</h1><script>document.title = "inline ran";</script><img src="/missing.png" alt=""></body></html>"""
SCRIPT = 'console.error("kaputt"); throw new Error("nicht gefangen");'


def _serve(route) -> None:
    url = route.request.url
    if url == ORIGIN + "/":
        route.fulfill(body=PAGE, content_type="text/html", headers={"Content-Security-Policy": CSP})
    elif url == ORIGIN + "/bad.js":
        route.fulfill(body=SCRIPT, content_type="text/javascript")
    else:
        route.fulfill(status=404, body="", content_type="text/plain")


def test_the_page_fixture_notices_csp_violations_console_errors_and_failed_subresources(
    page, browser_problems
):
    page.route(ORIGIN + "/**", _serve)
    page.goto(ORIGIN + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # the violation report crosses the binding asynchronously
    found = "\n".join(browser_problems.found)
    assert page.title() == "Regelbruch"  # the inline script was blocked
    assert "CSP violation: script-src-elem blocked inline" in found, found
    assert "console error: kaputt" in found, found
    assert "uncaught error: nicht gefangen" in found, found
    assert f"failed subresource: 404 {ORIGIN}/missing.png" in found, found
    browser_problems.found.clear()  # seen on purpose: let the fixture's own check pass
