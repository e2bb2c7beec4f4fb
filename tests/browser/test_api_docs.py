"""The API's interactive docs (/api/v1/docs) in a real browser, under the Content Security Policy of
every page (issue 15, item 4): Swagger UI renders the whole document and works (authorize with a token,
try a call), and the page fixture fails the test on any CSP violation, console error or failed
subresource."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from einblick.brokers.models import StaffMember
from einblick.brokers.services import create_token
from einblick.config.middleware import CSP
from tests.factories import make_broker

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_and_work_without_csp_violations(live_server: Any, page: Any, screenshot) -> None:
    broker = make_broker("muster", "Muster Makler GmbH")
    _, token = create_token(broker=broker, name="Docs")

    response = page.goto(live_server.url + "/api/v1/docs")

    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Einblick API")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 40  # every call of api-v1.md, not an error box
    screenshot("docs")

    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("input").fill(token)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()

    put = page.locator(".opblock-put", has_text="/api/v1/staff/{external_id}")
    put.locator(".opblock-summary").click()
    put.locator("button.try-out__btn").click()
    put.locator("input[placeholder='external_id']").fill("U-1")
    put.locator("textarea.body-param__text").fill(json.dumps({"name": "Max", "email": "max@example.org"}))
    with page.expect_response("**/api/v1/staff/U-1") as answered:
        put.locator("button.execute").click()
    assert answered.value.status == 201
    expect(put.locator(".live-responses-table")).to_contain_text("201")
    assert StaffMember.objects.get(broker=broker, external_id="U-1").email == "max@example.org"

    schema = page.locator(".models article.json-schema-2020-12", has_text="StaffIn").first
    schema.locator(".json-schema-2020-12-expand-deep-button").click()
    expect(schema.locator(".json-schema-2020-12-property", has_text="role")).to_be_visible()
    screenshot("docs-used")
