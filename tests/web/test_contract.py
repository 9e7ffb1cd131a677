"""The JSON API against its own contract: schemathesis generates requests from openapi.json.

Every operation gets bounded, derandomized (seeded) examples, schema-valid and not, and
every schemathesis check must hold: no 5xx, statuses and bodies as documented, valid
requests accepted and invalid ones refused, 405 with Allow for undeclared methods. A
request the server refuses that the document allows, or the reverse, means the document
says less than the server checks: declare the constraint in kb/web/openapi.json.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance

from kb.services import Services

pytestmark = pytest.mark.model

# Generated requests per operation and phase, besides schemathesis's coverage cases (its
# boundary values, missing and wrong-typed fields, undeclared methods): about 5 minutes on
# two busy cores. The 5,000-request run against a real server is bench/fuzz.py.
EXAMPLES_PER_OPERATION = 40

SCHEMA = Path(__file__).resolve().parents[2] / "kb" / "web" / "openapi.json"
# The shipped document, which tests/web/test_api.py checks is the one served.
schema = schemathesis.openapi.from_path(SCHEMA)


@pytest.fixture
def token(writable_kb: Services) -> str:
    """An agent and manager's API token, so the desk and insights operations are reached."""
    users = writable_kb.users
    user = users.add("contract@example.com", "correct horse battery", ("agent", "manager"))
    _, secret = users.create_token(user.id, "contract")
    return secret


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_contract(case: Case, writable_app: Flask, token: str) -> None:
    # The checks' own follow-up requests (the same call without the token, say) go to the
    # schema's app: this test's.
    case.operation.schema.app = writable_app
    headers = {"Authorization": f"Bearer {token}"}
    if not period_fits(case):
        # A rule between two parameters, which JSON Schema cannot state (the document says
        # it in words): this valid-looking request must be refused, naming the rule.
        response = case.call_and_validate(
            app=writable_app, headers=headers, excluded_checks=[positive_data_acceptance]
        )
        assert response.status_code == 400
        assert "period" in response.json()["error"]
        return
    case.call_and_validate(app=writable_app, headers=headers)


def period_fits(case: Case) -> bool:
    """Whether a report's since/until make a period the server takes: until not before
    since, and at most 731 days from one to the other (until defaults to today, since to 29
    days before until)."""
    query = case.query or {}
    if case.operation.path != "/api/v1/insights/{report}" or not (
        query.get("since") or query.get("until")
    ):
        return True
    try:
        until = date.fromisoformat(query["until"]) if query.get("until") else date.today()
        since = (
            date.fromisoformat(query["since"]) if query.get("since") else until - timedelta(days=29)
        )
    except (TypeError, ValueError):
        return True  # not a date: the schema's own checks judge it
    return since <= until and (until - since).days + 1 <= 731
