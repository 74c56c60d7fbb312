"""Plugins extend tenant documents: ``csm_register_config_sections`` adds sections,
``csm_section_defaults`` contributes section values (the standard scales among them).

The sample plugin ``targets`` (tests/sample_plugins.py) registers a ``targets`` section and
contributes a ``sat3`` scale, plus a default target for documents of industry ``retail``.
"""

import pytest

from core.app import create_app
from core.config import ConfigError, build_config
from core.config.sections import CORE_SECTIONS, Section, SectionDefault
from core.config.sections.scales import scale_document
from core.model.standard_scales import SAT5, STANDARD_SCALES
from core.operations import configuration
from core.plugins import PluginLoadError, get_plugin_manager
from tests import sample_plugins
from tests.helpers import OPERATOR_KEY, ROOT, SMALL, TenantHandle, app_session
from tests.sample_plugins import TARGETS, Target, Targets, plugin, registry_with

WITH_TARGET = SMALL + "targets:\n  - {question: q2, minimum: 80}\n"
RETAIL_YAML = (ROOT / "config" / "examples" / "retail-template.yaml").read_text(encoding="utf-8")


def read(registry, text, enabled=()):
    return configuration.read_config(text, "t.yaml", registry.template, enabled)


def problems(registry, text, enabled=()):
    with pytest.raises(ConfigError) as caught:
        read(registry, text, enabled)
    return [str(i) for i in caught.value.issues]


@pytest.fixture(scope="module")
def registry():
    return sample_plugins.registry()


# --- csm_register_config_sections ----------------------------------------------------------


def test_hook_csm_register_config_sections_the_cores_sections_come_from_its_own_plugin(registry):
    core_only = registry.for_plugins([])
    assert core_only.config_sections.names() == ["scales", "indicator_set", "customers", "services", "analysis", "calendars", "commitments"]
    assert [(reg.plugin, reg.item) for reg in core_only.registered_sections] == [("core", s) for s in CORE_SECTIONS]


def test_hook_csm_register_config_sections_a_plugins_section_is_read_for_the_tenants_that_enabled_it(registry):
    config = read(registry, WITH_TARGET, enabled=["targets"])
    assert config.section("targets") == (Target(question="q2", minimum=80.0),)
    assert config.summary()["targets"] == 1
    assert registry.for_plugins(["targets"]).config_sections.names() == ["scales", "indicator_set", "customers", "services", "analysis", "calendars", "commitments", "targets"]
    # a tenant without the plugin: the section is unknown, and the message lists what is known
    assert problems(registry, WITH_TARGET) == ["t.yaml:10: targets: unknown section (a document has: version, industry, source, scales, indicator_set, customers, services, analysis, calendars, commitments)"]
    # a document without the section means what it always meant
    assert read(registry, SMALL, enabled=["targets"]).document == read(registry, SMALL).document


def test_hook_csm_register_config_sections_a_plugins_section_reports_problems_with_lines(registry):
    text = SMALL + "targets:\n  - {question: q9, minimum: 80}\n  - {question: q1, minimum: high}\n"
    assert problems(registry, text, enabled=["targets"]) == ["t.yaml:11: targets.1.minimum: must be a number"]
    text = SMALL + "targets:\n  - {question: q9, minimum: 80}\n"
    assert problems(registry, text, enabled=["targets"]) == ["t.yaml:10: targets.0.question: no question 'q9' in the indicator set"]


def test_hook_csm_register_config_sections_two_plugins_registering_one_name_fail_naming_both():
    clash = Section(name="targets", field=TARGETS.field, build=TARGETS.build)
    with pytest.raises(PluginLoadError, match="configuration section 'targets' is registered by two plugins, 'again' and 'targets'"):
        registry_with(Targets(), plugin("again", csm_register_config_sections=[clash]))
    with pytest.raises(PluginLoadError, match="configuration section 'scales' is registered by two plugins"):
        registry_with(plugin("mine", csm_register_config_sections=[CORE_SECTIONS[0]]))


def test_hook_csm_register_config_sections_a_section_needing_an_unregistered_one_fails_at_start_up():
    orphan = Section(name="orphan", field=TARGETS.field, build=TARGETS.build, requires=("kpis",))
    with pytest.raises(PluginLoadError, match="configuration section 'orphan' requires 'kpis', which is not registered"):
        registry_with(plugin("orphans", csm_register_config_sections=[orphan]))


# --- csm_section_defaults ------------------------------------------------------------------


def test_hook_csm_section_defaults_standard_scales_need_no_definition(registry):
    """The core's sat5 (and any registered scale) may be referenced without a definition;
    the stored document carries the definition, so it rebuilds without any plugin."""
    text = SMALL.replace("- {code: q2, scale: ten", "- {code: q2, scale: sat5")
    config = read(registry, text)
    assert config.scales["sat5"] == SAT5 == STANDARD_SCALES["sat5"]
    assert {o["code"]: o["score"] for o in config.document["scales"]["sat5"]["options"]} == {"5": 5.0, "4": 4.0, "3": 3.0, "2": 2.0, "1": 1.0}
    assert set(config.document["scales"]) == {"ten", "sat5"}  # sat4 and sat7 are not referenced
    assert build_config(config.document).scales["sat5"] == SAT5
    # a tenant that enabled the sat5 plugin gets that plugin's sat5 instead
    assert read(registry, text, enabled=["sat5"]).scales["sat5"].name == "A plugin's own sat5"


def test_hook_csm_section_defaults_contributed_values_reach_only_the_plugins_tenants(registry):
    text = SMALL.replace("- {code: q2, scale: ten", "- {code: q2, scale: sat3")
    config = read(registry, text, enabled=["targets"])
    assert [o.code for o in config.scales["sat3"].options] == ["good", "ok", "bad"]
    assert [(o["code"], o["score"], o["satisfied"]) for o in config.document["scales"]["sat3"]["options"]] == [("good", 3.0, True), ("ok", 2.0, False), ("bad", 1.0, False)]
    assert "targets" not in config.document  # the default target is for retail documents only
    assert any("sat3" in p for p in problems(registry, text))  # without the plugin


def test_hook_csm_section_defaults_follow_the_documents_industry(registry):
    config = read(registry, RETAIL_YAML, enabled=["targets"])
    assert config.section("targets") == (Target(question="q01_environment", minimum=80.0),)
    own = RETAIL_YAML + "targets:\n  - {question: q02_returns_exchanges, minimum: 70}\n"
    assert read(registry, own, enabled=["targets"]).section("targets") == (Target(question="q02_returns_exchanges", minimum=70.0),)
    assert read(registry, RETAIL_YAML).section("targets") is None


def test_hook_csm_section_defaults_of_two_plugins_merge_key_by_key_first_plugin_wins():
    first = plugin("first", csm_section_defaults=[SectionDefault(section="scales", value={"x": {"kind": "numeric", "min": 0, "max": 5}})])
    second = plugin("second", csm_section_defaults=[SectionDefault(section="scales", value={"x": {"kind": "nps"}, "y": {"kind": "nps"}})])
    registry = registry_with(first, second)  # the later registered is called first
    defaults = registry.for_plugins(["first", "second"]).section_defaults()["scales"]
    assert defaults["x"] == {"kind": "nps"} and defaults["y"] == {"kind": "nps"}
    assert defaults["sat5"] == scale_document(SAT5)  # registered scales stay beneath
    assert registry.for_plugins(["first"]).section_defaults()["scales"]["x"] == {"kind": "numeric", "min": 0, "max": 5}


def test_hook_csm_section_defaults_must_return_section_defaults():
    with pytest.raises(PluginLoadError, match="plugin 'wrong': csm_section_defaults returned a dict, not a SectionDefault"):
        registry_with(plugin("wrong", csm_section_defaults=[{"scales": {}}])).for_plugins(["wrong"]).section_defaults()


# --- through the API, on both databases --------------------------------------------------------


@pytest.fixture
def app(app_db_url):
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True}, plugin_manager=sample_plugins.plugin_manager())
    yield app
    app.extensions["csm"].engine.dispose()


def test_a_tenant_stores_and_uses_a_plugin_section(app, client):
    acme, beta = TenantHandle(client, "acme"), TenantHandle(client, "beta")
    assert acme.put("/api/v1/tenant/plugins/targets").status_code == 200
    assert acme.post("/api/v1/config/validate", data=WITH_TARGET.encode(), content_type="application/yaml").json["summary"]["targets"] == 1
    stored = acme.upload(WITH_TARGET)
    assert stored["summary"]["targets"] == 1
    assert acme.get(f"/api/v1/config/versions/{stored['version']}").json["document"]["targets"] == [{"question": "q2", "minimum": 80.0}]
    with app_session(app, acme.id) as session:
        compiled = configuration.config_of(session, configuration.config_version(session, acme.id))
        assert compiled.section("targets") == (Target(question="q2", minimum=80.0),) and compiled.uncompiled == ()
    # beta did not enable the plugin: the same document is refused, nothing stored
    r = beta.post("/api/v1/config/versions", data=WITH_TARGET.encode(), content_type="application/yaml")
    assert r.status_code == 422 and [(e["field"], e["line"]) for e in r.json["errors"]] == [("targets", 10)]
    assert r.json["errors"][0]["reason"].startswith("unknown section")
    assert beta.get("/api/v1/config/versions").json == []


def test_a_plugin_the_current_configuration_needs_cannot_be_disabled(client):
    acme = TenantHandle(client, "acme")
    acme.put("/api/v1/tenant/plugins/targets")
    acme.upload(WITH_TARGET)
    r = acme.delete("/api/v1/tenant/plugins/targets")
    assert r.status_code == 409
    assert r.json["message"] == "configuration version 1 has the section(s) targets, which plugin 'targets' registers: upload a configuration without them first"
    acme.upload(SMALL)
    assert acme.delete("/api/v1/tenant/plugins/targets").status_code == 204


def test_a_stored_version_whose_plugin_is_gone_still_scores(app_db_url, client):
    acme = TenantHandle(client, "acme")
    acme.put("/api/v1/tenant/plugins/targets")
    acme.upload(WITH_TARGET)
    pushed = acme.post("/api/v1/responses", json={"responses": [{"response_id": "r1", "answers": {"q1": 8, "q2": 6}}]})
    assert pushed.status_code == 201, pushed.json
    without = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "TESTING": True}, plugin_manager=get_plugin_manager(entry_points=False))
    try:
        with app_session(without, acme.id) as session:
            compiled = configuration.config_of(session, configuration.config_version(session, acme.id))
            assert compiled.uncompiled == ("targets",) and compiled.section("targets") is None
        scores = without.test_client().get("/api/v1/scores", headers=acme.headers)
        assert scores.status_code == 200 and scores.json["csi"] == pytest.approx(70.0)  # (0.8 * 0.5 + 0.6 * 0.5) * 100
    finally:
        without.extensions["csm"].engine.dispose()
