"""Property-based fuzzing of the whole API against its own OpenAPI spec (schemathesis).

In-process (WSGI), authenticated, in schemathesis' examples, coverage and fuzzing phases,
with positive data (what the spec allows, which the API must accept) and negative data
(what it forbids, which the API must refuse). Every operation gets a fresh tenant with a
configuration and an admin key (the operator key for tenant administration), so a fuzzed
DELETE cannot starve the other operations.

Checks: no 5xx, status codes documented, responses and headers conform to the spec,
content types declared, a request the spec forbids is refused, and a request it allows is
not refused with a 4xx the spec does not explain. The spec says each rule a schema can say
(lengths, patterns, ranges, formats); the few it cannot say (``RULES`` below: the
`confirm` that must be the tenant's slug, an expiry that must lie ahead, a `from` before
`to`, documents and CSV files that must fit the tenant's configuration) each operation
documents as a 422 in its description, and a 422 to a schema-valid request is accepted only
where such a rule applies to the request sent.

Two tests of the same checks: ``test_api_conforms_to_its_spec`` runs in the suite with a
few examples per operation; ``test_api_conforms_to_its_spec_thoroughly`` (marker ``fuzz``,
deselected by default, ``make fuzz``) with ``CSM_FUZZ_EXAMPLES`` examples (default 100).
"""

import atexit
import itertools
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from core.app import create_app
from core.db import upgrade

OPERATOR = "operator-fuzz-key-0123456789"
STORE_YAML = (Path(__file__).resolve().parent.parent / "config" / "examples" / "store.yaml").read_bytes()
# ... with the tobacco case's customers and services sections, so customers can be posted
TOBACCO_YAML = (Path(__file__).resolve().parent.parent / "config" / "examples" / "tobacco.yaml").read_bytes()
CONFIG = STORE_YAML + b"customers:" + TOBACCO_YAML.split(b"\ncustomers:", 1)[1]
QUICK_EXAMPLES = 10
THOROUGH_EXAMPLES = int(os.environ.get("CSM_FUZZ_EXAMPLES", "100"))


def _build_app():
    """The app under test, on a SQLite file of its own (schemathesis loads the spec at import)."""
    folder = Path(tempfile.mkdtemp(prefix="csm-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    upgrade(url)
    return create_app({"DATABASE_URL": url, "OPERATOR_KEY": OPERATOR})


APP = _build_app()
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)
# The test supplies the credentials itself (below), so schemathesis must not generate the
# Authorization header, nor count its absence as a negative case the API should refuse
# (its own `ignored_auth` check still sends requests without credentials and wants 401).
schema.config.generation.update(with_security_parameters=False, modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


# --- the rules a schema cannot say ----------------------------------------------------------


def _instant(text) -> datetime | None:
    """A generated date-time as an aware UTC datetime; None when absent (or unreadable
    here: then no rule applies, and a 422 fails the test, as it should for a valid time)."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _body(case) -> dict:
    return case.body if isinstance(case.body, dict) else {}


def _not_ahead(case, tenant) -> bool:
    expires = _instant(_body(case).get("expires_at"))
    return expires is not None and expires <= datetime.now(UTC)


def _scores_rule(case, tenant) -> bool:
    """An empty window, a breakdown key (unknown to the stored responses, as a generated one
    is), a period length or a comparison without the period among the keys, or every
    version pooled (which the tenant's versions may not allow)."""
    query = case.query or {}
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    by = [part.strip() for part in str(query.get("by", "")).split(",")]
    pooled = query.get("version") == "all"
    return (start is not None and end is not None and start >= end) or any(by) or ("period" in query and "period" not in by) or "compare" in query or pooled


def _always(case, tenant) -> bool:
    return True


# operationId → (what its description names, when it refuses a schema-valid request with
# 422). Documents and CSV files are refused for their content: whether a generated one is a
# valid configuration, or fits the tenant's, only the server can tell.
RULES = {
    "delete_current_tenant": ("`confirm`", lambda case, tenant: _body(case).get("confirm") != tenant),
    "delete_tenant": ("`confirm`", lambda case, tenant: _body(case).get("confirm") != case.path_parameters.get("slug")),
    "create_key": ("`expires_at`", _not_ahead),
    "get_scores": ("`from`", _scores_rule),
    "validate_config": ("not a configuration", _always),
    "create_config_version": ("not a valid configuration", _always),
    "ingest_responses": ("question code", _always),
    "ingest_responses_csv": ("empty", _always),
    "ingest_cases": ("refused row", _always),
    "ingest_case_events": ("refused row", _always),
    "ingest_customers": ("refused item", _always),
    "ingest_purchases": ("refused item", _always),
    "list_alerts": ("`from`", _always),
    "get_on_time_rates": ("`from`", _scores_rule),
    "run_analysis": ("data the method cannot analyse", _always),
    "list_service_requests": ("`from`", _always),
    "create_webhook": ("public address", _always),
}


# --- running one case ------------------------------------------------------------------------

_tenants: dict[str, tuple[str, str]] = {}
_counter = itertools.count()


def _tenant(label: str) -> tuple[str, str]:
    """A fresh tenant (with a configuration) per fuzzed operation: (slug, admin key)."""
    if label not in _tenants:
        client = APP.test_client()
        slug = f"fuzz-{next(_counter)}"
        r = client.post("/api/v1/tenants", json={"slug": slug, "name": slug}, headers={"Authorization": f"Bearer {OPERATOR}"})
        key = r.json["api_key"]
        client.post("/api/v1/config/versions", data=CONFIG, content_type="application/yaml", headers={"Authorization": f"Bearer {key}"})
        _tenants[label] = (slug, key)
    return _tenants[label]


@schema.auth(refresh_interval=None, retry_on=[])
class TenantKeys:
    """The key each case is sent with: the operator's for tenant administration, else the
    admin key of the operation's own tenant. Given as schemathesis auth (not as headers of
    the call), schemathesis knows the credentials are real, and checks that the operation
    refuses the same request without them and with an invalid key (its `ignored_auth`)."""

    def get(self, case, context):
        return OPERATOR if case.path.startswith("/api/v1/tenants") else _tenant(case.operation.label)[1]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _check(case) -> None:
    slug, _ = _tenant(case.operation.label)
    response = case.call()
    _, applies = RULES.get(case.operation.definition.raw.get("operationId"), (None, None))
    excluded = []
    if response.status_code == 422 and applies is not None and applies(case, slug):
        excluded.append(positive_data_acceptance)  # a documented business rule refused it
    case.validate_response(response, excluded_checks=excluded)


FUZZ_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": True}


@schema.parametrize()
@settings(max_examples=QUICK_EXAMPLES, **FUZZ_SETTINGS)
def test_api_conforms_to_its_spec(case):
    _check(case)


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=THOROUGH_EXAMPLES, **FUZZ_SETTINGS)
def test_api_conforms_to_its_spec_thoroughly(case):
    _check(case)


def test_each_rule_the_schema_cannot_say_is_documented():
    """Every operation that may refuse a schema-valid request with 422 says so, and why, in
    its description (or its request body's)."""
    spec = APP.test_client().get("/openapi.json").json
    described = {}
    for path in spec["paths"].values():
        for method, op in path.items():
            if method != "parameters":
                text = op.get("description", "") + " " + op.get("requestBody", {}).get("description", "")
                described[op["operationId"]] = " ".join(text.split())
    for operation_id, (reason, _) in RULES.items():
        assert "422" in described[operation_id], f"{operation_id} does not document its 422"
        assert reason in described[operation_id], f"{operation_id} does not name {reason}"
