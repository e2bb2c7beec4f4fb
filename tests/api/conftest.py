"""API fixtures: the OpenAPI document."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.apiclient import Api


@pytest.fixture(scope="session")
def _openapi_document() -> dict[str, Any]:
    """Fetched once per run: building it takes a while, and it is the same for every test."""
    response = Api(None).get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def openapi(_openapi_document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document of /api/v1 (a copy of its own for each test)."""
    return copy.deepcopy(_openapi_document)
