"""A JSON client for /api/v1 and the check of its error bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client


class Api:
    """A JSON client for /api/v1 with one bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None, **params: Any
    ) -> Any:
        url = "/api/v1" + path
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": self.headers, "content_type": "application/json"}
        if method == "get":
            return self.client.get(url, params, headers=self.headers)
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return getattr(self.client, method)(url, data, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("get", path, **params)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("put", path, body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("post", path, body, **kwargs)

    def delete(self, path: str) -> Any:
        return self.call("delete", path)


def assert_error(response: Any, status: int, *loc: str | int) -> list[dict[str, Any]]:
    """The error body of api-v1.md; with `loc`, some error's location ends with it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str) and error["msg"]
    if loc:
        locs = [error["loc"] for error in body["errors"]]
        assert any(found[-len(loc) :] == list(loc) for found in locs), f"no error at {loc}: {locs}"
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def operations_of(document: dict[str, Any], path: str) -> dict[str, Any]:
    """The operations the OpenAPI document lists for a path of api-v1.md's tables (path without /api/v1),
    whatever its parameters are named."""
    template = re.sub(r"\{[^}]*\}", "{}", "/api/v1" + path)
    matches = [
        ops for doc_path, ops in document["paths"].items() if re.sub(r"\{[^}]*\}", "{}", doc_path) == template
    ]
    assert len(matches) == 1, f"{path}: documented paths {sorted(document['paths'])}"
    operations: dict[str, Any] = matches[0]
    return operations
