"""Plugins per tenant: the tenant_plugins table, its operations and the /tenant/plugins API.

Every test runs on SQLite and on PostgreSQL (as the row-level-security-bound role). The
app here has the sample plugins of tests/sample_plugins.py installed besides retail.
"""

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from core.app import create_app
from core.cli import main as csm
from core.db import unit_of_work
from core.db.errors import UnknownApiKey
from core.db.repositories import ResponseRepository, TenantPluginRepository
from core.db.tables import TenantPluginRow
from core.db.tenancy import bind_tenant
from core.operations import plugins as plugin_ops
from tests import sample_plugins
from tests.helpers import OPERATOR_KEY, ROOT, STORE_YAML, TWO, TenantHandle, auth

RETAIL_YAML = (ROOT / "config" / "examples" / "retail-template.yaml").read_text(encoding="utf-8")
INSTALLED = ["core", "analysis", "clock", "retail", "sat5", "service", "targets"]


@pytest.fixture
def app(app_db_url):
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True}, plugin_manager=sample_plugins.plugin_manager())
    yield app
    app.extensions["csm"].engine.dispose()


@pytest.fixture
def acme(client):
    return TenantHandle(client, "acme")


def enabled(t) -> list[str]:
    return [p["name"] for p in t.get("/api/v1/tenant/plugins").json if p["enabled"]]


def actions(t) -> list[tuple]:
    return [(e["action"], e["target"], e["details"]) for e in t.get("/api/v1/audit?page_size=100").json if e["action"].startswith("plugin.")]


def test_every_installed_plugin_is_listed_and_only_the_core_is_enabled_at_first(acme):
    listed = acme.get("/api/v1/tenant/plugins").json
    assert [p["name"] for p in listed] == INSTALLED
    core, retail = listed[0], listed[3]
    assert core == {**core, "builtin": True, "enabled": True, "installed": True, "enabled_at": None, "industries": []}
    assert retail == {**retail, "version": "0.1.0", "core": ">=0.1,<0.2", "industries": ["retail"], "builtin": False, "enabled": False}
    industries = acme.get("/api/v1/industries").json
    assert [(i["code"], i["plugin"]) for i in industries] == [("retail", {"name": "retail", "version": "0.1.0"})]
    assert acme.get("/api/v1/industries/retail").json["plugin"] == {"name": "retail", "version": "0.1.0"}


def test_an_admin_enables_and_disables_a_plugin_and_each_change_is_audited(acme):
    key_id = acme.get("/api/v1/keys").json[0]["id"]
    r = acme.put("/api/v1/tenant/plugins/clock")
    assert r.status_code == 200 and r.json["enabled"] is True and r.json["enabled_by_key_id"] == key_id and r.json["enabled_at"]
    again = acme.put("/api/v1/tenant/plugins/clock")
    assert again.status_code == 200 and again.json == r.json  # enabling again changes nothing
    assert enabled(acme) == ["core", "clock"]
    assert acme.delete("/api/v1/tenant/plugins/clock").status_code == 204
    assert enabled(acme) == ["core"]
    gone = acme.delete("/api/v1/tenant/plugins/clock")
    assert gone.status_code == 404 and gone.json["message"] == "plugin 'clock' is not enabled for this tenant"
    assert actions(acme) == [("plugin.disable", "clock", {}), ("plugin.enable", "clock", {"version": "1.0"})]


def test_the_core_plugin_is_always_enabled_and_unknown_names_are_404(acme):
    assert acme.put("/api/v1/tenant/plugins/core").status_code == 200
    r = acme.delete("/api/v1/tenant/plugins/core")
    assert r.status_code == 409 and r.json["message"] == "the core's plugin 'core' is always enabled"
    r = acme.put("/api/v1/tenant/plugins/bakery")
    assert r.status_code == 404 and r.json["message"] == "no installed plugin is named 'bakery'"
    assert acme.put("/api/v1/tenant/plugins/" + "x" * 65).status_code == 404
    assert acme.put("/api/v1/tenant/plugins/").status_code in (404, 405)
    assert enabled(acme) == ["core"] and actions(acme) == []


def test_viewers_list_and_only_admins_change(acme):
    acme.put("/api/v1/tenant/plugins/service")
    for role in ("viewer", "integrator"):
        key = auth(acme.post("/api/v1/keys", json={"name": role, "role": role}).json["api_key"])
        assert acme.client.get("/api/v1/tenant/plugins", headers=key).status_code == 200
        assert acme.client.get("/api/v1/tenant/capabilities", headers=key).status_code == 200
        assert acme.client.put("/api/v1/tenant/plugins/clock", headers=key).status_code == 403
        assert acme.client.delete("/api/v1/tenant/plugins/service", headers=key).status_code == 403
    assert acme.client.get("/api/v1/tenant/plugins").status_code == 401
    assert acme.client.put("/api/v1/tenant/plugins/clock", headers=auth(OPERATOR_KEY)).status_code == 401
    assert enabled(acme) == ["core", "service"]


def test_capabilities_come_from_the_tenants_own_plugins_only(client, acme):
    beta = TenantHandle(client, "beta")
    for name in ("clock", "service", "sat5"):
        assert acme.put(f"/api/v1/tenant/plugins/{name}").status_code == 200
    mine, theirs = acme.get("/api/v1/tenant/capabilities").json, beta.get("/api/v1/tenant/capabilities").json
    assert mine["plugins"] == ["clock", "core", "sat5", "service"] and theirs["plugins"] == ["core"]
    assert {f["name"]: f["plugin"] for f in mine["expression_functions"]} == {
        "business_hours_between": "clock",
        **{name: "core" for name in ("minutes_between", "hours_between", "days_between", "within_minutes", "within_hours")},
    }
    assert "business_hours_between" not in {f["name"] for f in theirs["expression_functions"]}
    within = next(f for f in theirs["expression_functions"] if f["name"] == "within_hours")
    assert [p["type"] for p in within["params"]] == ["timestamp", "timestamp", "double"] and within["returns"] == "bool"
    assert mine["case_types"] == [
        {"code": "complaint", "name": "Complaint", "name_zh": "投诉", "source": "test fixture", "description": "", "default_time_limit_hours": 24, "plugin": "service"}
    ]
    assert [e["code"] for e in mine["event_types"]] == ["case_replied"] and theirs["event_types"] == [] == theirs["case_types"]
    assert {s["code"]: s["name"] for s in mine["scales"]}["sat5"] == "A plugin's own sat5"
    assert {s["code"]: s["name"] for s in theirs["scales"]} == {"sat4": "Four-option satisfaction", "sat5": "Five satisfaction levels", "sat7": "Seven satisfaction levels", "kano": "KANO answers"}


def test_uploading_a_configuration_with_an_industry_enables_its_plugin(acme):
    v1 = acme.upload(RETAIL_YAML)
    assert v1["summary"]["industry"] == "retail" and enabled(acme) == ["core", "retail"]
    acme.upload(RETAIL_YAML)
    assert actions(acme) == [("plugin.enable", "retail", {"version": "0.1.0", "industry": "retail"})]  # once
    case_types = {c["code"] for c in acme.get("/api/v1/tenant/capabilities").json["case_types"]}
    assert case_types == {"return_exchange", "product_repair", "quality_problem"}
    # the plugin of the current configuration's industry cannot be disabled...
    r = acme.delete("/api/v1/tenant/plugins/retail")
    assert r.status_code == 409 and "configuration version 2 uses industry 'retail'" in r.json["message"]
    # ...until a configuration without it is current
    acme.upload(STORE_YAML)
    assert acme.delete("/api/v1/tenant/plugins/retail").status_code == 204


@pytest.mark.parametrize("endpoint", ["/api/v1/config/versions", "/api/v1/config/validate"])
def test_an_industry_no_installed_plugin_provides_is_a_422_naming_industry(acme, endpoint):
    text = STORE_YAML.replace("version: 1\n", "version: 1\nindustry: bakery\n")
    r = acme.post(endpoint, data=text.encode(), content_type="application/yaml")
    assert r.status_code == 422, r.json
    assert r.json["errors"] == [
        {"location": "yaml", "field": "industry", "line": 4, "index": None, "reason": "no installed plugin provides industry 'bakery' (installed industries: retail)"}
    ]
    assert acme.get("/api/v1/config/versions").json == [] and enabled(acme) == ["core"]


def test_the_cli_upload_enables_the_industry_and_refuses_an_unknown_one(acme, app_db_url, tmp_path, engine):
    def run(*args):
        return CliRunner().invoke(csm, ["--database-url", app_db_url, *args], catch_exceptions=False)

    retail, unknown = tmp_path / "retail.yaml", tmp_path / "unknown.yaml"
    retail.write_text(RETAIL_YAML, encoding="utf-8")
    unknown.write_text(STORE_YAML.replace("version: 1\n", "version: 1\nindustry: bakery\n"), encoding="utf-8")
    refused = run("upload-config", "--tenant", "acme", str(unknown))
    assert refused.exit_code == 2 and f"{unknown}:4: industry: no installed plugin provides industry 'bakery'" in refused.stderr, refused.stderr
    assert run("upload-config", "--tenant", "acme", str(retail)).exit_code == 0
    with engine.connect() as connection:
        rows = connection.execute(select(TenantPluginRow.plugin, TenantPluginRow.enabled_by_key_id).where(TenantPluginRow.tenant_id == acme.id)).all()
    assert [tuple(r) for r in rows] == [("retail", None)]  # by the CLI, no key


def test_an_analysis_method_of_an_enabled_plugin_runs_on_the_tenants_responses(app, acme):
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    acme.put("/api/v1/tenant/plugins/analysis")
    registry = app.extensions["csm"].registry
    with unit_of_work(app.extensions["csm"].sessions) as session:
        bind_tenant(session, acme.id)
        tenant = plugin_ops.tenant_plugin_set(session, acme.id, registry)
        method = tenant.analysis_methods["satisfaction_rates"].item
        from core.operations.configuration import config_of, config_version

        stored = config_version(session, acme.id)
        frame = ResponseRepository(session).load_frame(acme.id, stored.version)
        result = method.function(frame, config_of(session, stored).indicator_set, method.resolve_params({}))
    # r1: A, B, 满意 (A); r2: Fairly dissatisfied (C), D, b (B); satisfied = A or B
    assert result == {"questions": {"env_overall": {"n": 2, "rate": 0.5}, "checkout_speed": {"n": 2, "rate": 0.5}, "cashier_attitude": {"n": 2, "rate": 1.0}}}


def test_a_plugin_enabled_earlier_but_no_longer_installed_is_listed_not_called_and_can_be_disabled(app, acme, engine):
    with engine.begin() as connection:
        connection.execute(insert(TenantPluginRow).values(tenant_id=acme.id, plugin="uninstalled"))
    listed = acme.get("/api/v1/tenant/plugins").json
    assert listed[-1] == {**listed[-1], "name": "uninstalled", "installed": False, "enabled": True, "version": None}
    assert acme.get("/api/v1/tenant/capabilities").json["plugins"] == ["core"]
    assert acme.delete("/api/v1/tenant/plugins/uninstalled").status_code == 204
    assert enabled(acme) == ["core"]


def test_the_repository_scopes_by_tenant_and_checks_the_key(app, client, acme):
    beta = TenantHandle(client, "beta")
    beta_key = beta.get("/api/v1/keys").json[0]["id"]
    with unit_of_work(app.extensions["csm"].sessions) as session:
        bind_tenant(session, acme.id)
        repo = TenantPluginRepository(session)
        record, created = repo.enable(acme.id, "clock")
        assert created and record.enabled_by_key_id is None
        assert repo.enable(acme.id, "clock") == (record, False)
        assert repo.names(acme.id) == {"clock"} and repo.get(acme.id, "service") is None
        with pytest.raises(UnknownApiKey):
            repo.enable(acme.id, "service", enabled_by_key_id=beta_key)
        assert repo.disable(acme.id, "service") is False
    assert enabled(beta) == ["core"] and enabled(acme) == ["core", "clock"]


def test_enabling_races_end_with_one_row(app, acme, monkeypatch):
    """The loser of two concurrent enables (same tenant, same plugin) hits the unique key
    inside a savepoint and returns the winner's row; the transaction goes on."""
    with unit_of_work(app.extensions["csm"].sessions) as session:
        bind_tenant(session, acme.id)
        repo = TenantPluginRepository(session)
        winner, _ = repo.enable(acme.id, "clock")
        real_row = repo._row
        calls = []
        monkeypatch.setattr(repo, "_row", lambda t, p: calls.append(p) or (None if len(calls) == 1 else real_row(t, p)))
        assert repo.enable(acme.id, "clock") == (winner, False)
        assert len(calls) == 2 and repo.names(acme.id) == {"clock"}


def test_docs_list_the_plugin_routes(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"put", "delete"} <= set(paths["/api/v1/tenant/plugins/{name}"])
    assert "409" in paths["/api/v1/tenant/plugins/{name}"]["delete"]["responses"]
    assert {"/api/v1/tenant/plugins", "/api/v1/tenant/capabilities"} <= set(paths)
