"""schemathesis's check that a request the OpenAPI document allows is accepted, with the two kinds of
rule a JSON schema cannot state: a reference to an object that does not exist ("customer K-1 does not
exist": the AMS sends its own keys, the fuzzer cannot know them), a rule across fields ("a person
needs a last name") and a document's file checked by its content, not only by its Content-Type. Every other refusal of a schema-valid request fails, as the built-in check
(positive_data_acceptance, which this one replaces) would: the document must state the rule (issue 15)."""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis
from hypothesis.internal.conjecture.engine import ConjectureRunner

# hypothesis 6.170's Pareto optimisation of targets (schemathesis sets targets) can fail inside its
# shrinker (IndexError in Shrinker.try_lower_node_as_alternative) and stop an operation's run with
# "Runtime Error". Generation and the targets themselves stay; only that optimisation pass is skipped.
ConjectureRunner.pareto_optimise = lambda self: None  # type: ignore[method-assign]

# The messages of those rules, as the API words them (portfolio, grants, processes, documents' files).
UNSTATABLE = re.compile(
    r"(does not exist|a person needs a last name|a company needs a company name"
    r"|is not in the catalogue|was rejected in this batch|is not a member of the grant"
    r"|does not match its Content-Type [a-z/]+)$"
)
# Credentials, an unknown or another broker's object, a conflict with stored data, the rate limit.
ACCEPTED = {401, 403, 404, 409, 429}


@schemathesis.check
def schema_valid_request_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not _from_the_schema(meta):
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None  # 5xx: not_a_server_error's
    if status == 422 and _only_unstatable(response.text):
        return None
    raise AssertionError(
        f"A request the OpenAPI document allows was refused with {status}: {response.text[:600]}"
    )


def _from_the_schema(meta: Any) -> bool:
    """Whether every value was drawn from the OpenAPI document. The stateful phase and the pools put in
    values taken from earlier answers or from schemathesis's own collection of realistic values
    ("semantic" e-mail addresses), which the document never promised to accept; the other checks
    (no server error, answers as documented) still judge those requests."""
    return meta.phase.name != "stateful" and not meta.pool_draws and not meta.semantic_draws


def _only_unstatable(body: str) -> bool:
    try:
        errors = json.loads(body).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errors) and all(UNSTATABLE.search(str(error.get("msg", ""))) for error in errors)
