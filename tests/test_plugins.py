"""The plugin contract: the catalogue hooks, built-in and entry-point plugins, the retail catalogue.

Tests named ``test_hook_<hook>_...`` exercise that hook; tests/test_hook_docs.py checks
that every hook has one. Registration hooks: tests/test_plugin_registrations.py; plugin
metadata and refusals: tests/test_plugin_metadata.py; plugins per tenant:
tests/test_tenant_plugins.py.
"""

import ast
import inspect
import sys
from pathlib import Path

import pluggy
import pytest

from core import hookspecs
from core.catalogue import CataloguePlugin
from core.config import ConfigError, load_config
from core.hookspecs import hookimpl
from core.model import KPI, Industry, PluginInfo, Rule, Scale, ScaleKind, ServiceTier, Stage, Touchpoint
from core.plugins import IndustryRegistry, PluginLoadError, get_plugin_manager
from tests import external_plugin

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("csm_"))
CATALOGUE_HOOKS = ["csm_expectation_rules", "csm_indicator_templates", "csm_industries", "csm_kpis", "csm_scales", "csm_service_tiers", "csm_touchpoints"]


def info(name: str) -> PluginInfo:
    return PluginInfo(name=name, version="1.0", core=">=0.1")


def registry_with(*plugins) -> IndustryRegistry:
    return IndustryRegistry(get_plugin_manager(entry_points=False, extra=plugins))


@pytest.fixture
def external(tmp_path, monkeypatch):
    root = external_plugin.install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(root))
    yield root
    sys.modules.pop(external_plugin.PACKAGE, None)


def test_every_hook_is_prefixed_typed_and_documented_with_params_and_return():
    assert HOOKS == [
        *CATALOGUE_HOOKS[:4],
        "csm_register_analysis_methods",
        "csm_register_case_types",
        "csm_register_config_sections",
        "csm_register_event_types",
        "csm_register_expression_functions",
        "csm_register_scales",
        "csm_scales",
        "csm_section_defaults",
        *CATALOGUE_HOOKS[5:],
    ]
    for name in HOOKS:
        spec = getattr(hookspecs, name)
        doc = spec.__doc__ or ""
        assert ":return:" in doc, name
        assert inspect.signature(spec).return_annotation is not inspect.Signature.empty, name
        for param in inspect.signature(spec).parameters:
            assert f":param {param}:" in doc, (name, param)


def test_catalogue_plugin_implements_the_catalogue_hooks_and_case_and_event_types():
    implemented = {n for n, fn in inspect.getmembers(CataloguePlugin) if hasattr(fn, "csm_impl")}
    assert implemented == {*CATALOGUE_HOOKS, "csm_register_case_types", "csm_register_event_types"}


def test_hook_csm_industries_builtin_retail_plugin_is_registered():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    assert list(registry.industries()) == ["retail"]
    assert registry.industry_plugin("retail").name == "retail"
    catalogue = registry.catalogue("retail")
    assert catalogue["plugin"] == {"name": "retail", "version": "0.1.0"}
    assert [t["code"] for t in catalogue["templates"]] == ["supermarket-csi"]


def test_hook_csm_industries_two_plugins_claiming_one_industry_fail_at_start_up_naming_both():
    class Impostor:
        csm_plugin_info = info("impostor")

        @hookimpl
        def csm_industries(self):
            return [Industry(code="retail", name="Another retail")]

    with pytest.raises(PluginLoadError, match="'retail' is provided by more than one plugin: 'impostor' and 'retail'"):
        registry_with(Impostor())


def test_hook_csm_touchpoints_of_an_entry_point_plugin_outside_the_repo(external):
    registry = IndustryRegistry(get_plugin_manager())
    assert set(registry.industries()) == {"retail", "bakery"}
    assert registry.touchpoints("bakery").touchpoints["counter"].name_zh == "柜台"
    assert registry.touchpoints("retail").touchpoints["checkout_queue"].stage == "checkout"
    assert registry.touchpoints("nowhere").stages == ()


def test_hook_csm_indicator_templates_are_usable_by_reference(external):
    registry = IndustryRegistry(get_plugin_manager())
    assert [t.code for t in registry.templates("bakery")] == ["bakery-csi"]
    config = load_config("version: 1\nindustry: bakery\nindicator_set: {template: bakery-csi}\n", "t.yaml", registry.template)
    assert [q.code for q in config.indicator_set.questions] == ["fresh", "friendly"]
    assert registry.template("bakery", "nope") is None and registry.template("nowhere", "bakery-csi") is None


def test_hook_csm_scales_of_an_industry_are_its_templates_scales():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    assert {s["code"] for s in registry.catalogue("retail")["scales"]} == {"sat4", "convenience4", "queue3", "open_text"}


def test_hook_csm_kpis_second_plugin_can_add_kpis_to_an_existing_industry():
    class RetailKpis:
        csm_plugin_info = info("retail-kpis")

        @hookimpl
        def csm_kpis(self, industry):
            return [KPI(code="basket_size", name="Average basket", source="test")] if industry == "retail" else []

    registry = registry_with(RetailKpis())
    assert [k["code"] for k in registry.catalogue("retail")["kpis"]] == ["basket_size"]


class Diner:
    """A test industry with one time-limit rule and two service tiers given out of order."""

    csm_plugin_info = PluginInfo(name="diner", version="1.0", core=">=0.1")

    @hookimpl
    def csm_industries(self):
        return [Industry(code="diner", name="Diner", source="test")]

    @hookimpl
    def csm_expectation_rules(self, industry):
        rule = Rule(code="no_dish_10", name="No dish after 10 min", kind="time_limit", params={"minutes": 10}, source="test")
        return [rule] if industry == "diner" else []

    @hookimpl
    def csm_service_tiers(self, industry):
        if industry != "diner":
            return []
        return [ServiceTier(code="gold", name="Gold", rank=2, source="test"), ServiceTier(code="basic", name="Basic", rank=1, source="test")]


def test_hook_csm_expectation_rules_carry_their_params_as_data():
    catalogue = registry_with(Diner()).catalogue("diner")
    assert [(r["code"], r["kind"], r["params"]) for r in catalogue["expectation_rules"]] == [("no_dish_10", "time_limit", {"minutes": 10})]
    assert registry_with(Diner()).catalogue("retail")["expectation_rules"] == []  # the source gives retail none


def test_hook_csm_service_tiers_are_ordered_by_rank():
    assert [t["code"] for t in registry_with(Diner()).catalogue("diner")["service_tiers"]] == ["basic", "gold"]


def test_hook_csm_touchpoints_hookimpl_may_take_fewer_arguments_than_its_spec():
    class Lazy:
        csm_plugin_info = info("lazy")

        @hookimpl
        def csm_industries(self):
            return [Industry(code="lazy", name="Lazy", source="test")]

        @hookimpl
        def csm_touchpoints(self):  # no `industry`: answers for every industry
            return [Stage(code="s", name="S", touchpoints=(Touchpoint(code="t", name="T", stage="s"),))]

    registry = registry_with(Lazy())
    assert list(registry.touchpoints("lazy").touchpoints) == ["t"]
    assert registry.catalogue("lazy")["service_tiers"] == []


def test_misspelt_hook_fails_at_start_up():
    class Typo:
        csm_plugin_info = info("typo")

        @hookimpl
        def csm_industrie(self):
            return []

    with pytest.raises(pluggy.PluginValidationError):
        get_plugin_manager(entry_points=False, extra=[Typo()])


def test_a_hook_returning_the_wrong_type_fails_at_start_up_naming_the_plugin():
    class Sloppy:
        csm_plugin_info = info("sloppy")

        @hookimpl
        def csm_register_scales(self):
            return ["sat5"]

    with pytest.raises(PluginLoadError, match="plugin 'sloppy': csm_register_scales returned a str, not a Scale"):
        registry_with(Sloppy())


def test_broken_plugin_yaml_reports_file_line_and_path(tmp_path):
    (tmp_path / "industry.yaml").write_text("industry: {code: x, name: X}\ntouchpoints: []\n")
    with pytest.raises(ConfigError) as caught:
        CataloguePlugin(tmp_path).catalogue
    assert [str(i) for i in caught.value.issues] == [f"{tmp_path.name}/industry.yaml:1: industry.source: required field is missing"]


def test_case_and_event_types_in_plugin_yaml_are_checked_with_file_line_and_path(tmp_path):
    head = "industry: {code: x, name: X, source: s}\n"
    cases = [
        ("case_types:\n  - {code: c, name: C, source: s, default_time_limit_hours: 0}\n", "case_types.0.default_time_limit_hours: Must be greater than 0."),
        ("case_types:\n  - {code: c, name: C}\n", "case_types.0.source: required field is missing"),
        ("event_types:\n  - {code: e, name: E, source: s, payload: [{name: 'not id', type: string}]}\n", "event_types.0.payload.0.name: a parameter name must be an identifier"),
        ("event_types:\n  - {code: e, name: E, source: s, payload: [{name: at, type: date}]}\n", "event_types.0.payload.0.type: unknown type 'date'"),
    ]
    for body, expected in cases:
        (tmp_path / "industry.yaml").write_text(head + body)
        with pytest.raises(ConfigError) as caught:
            CataloguePlugin(tmp_path).catalogue
        [issue] = caught.value.issues
        assert issue.line == 3 and expected in str(issue), (str(issue), expected)


def test_core_knows_no_industry():
    """No module of the core names an industry plugin's code (industries come from hooks)."""
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in {"retail", "telecom", "tobacco", "banking", "real_estate"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_catalogue_objects_are_built_by_keyword():
    """core/catalogue.py and the standard scales name every field they pass (a field added
    to a model in the middle cannot shift the others)."""
    for path in (ROOT / "core" / "catalogue.py", ROOT / "core" / "model" / "standard_scales.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        models = {"Industry", "Factor", "AttributeValue", "RespondentAttribute", "Stage", "Touchpoint", "KPI", "Rule", "ServiceTier", "IndicatorTemplate",
                  "CaseType", "EventType", "Param", "Scale", "ScaleOption"}
        positional = [
            f"{path.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in models and node.args
        ]
        assert positional == []


def test_retail_catalogue_entries_all_cite_their_source():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    retail = registry.catalogue("retail")
    entries = [retail, *retail["stages"], *(t for s in retail["stages"] for t in s["touchpoints"]), *retail["factors"], *retail["respondent_attributes"]]
    entries += registry.case_types(["retail"]).values()
    assert all((e["source"] if isinstance(e, dict) else e.source).startswith("000_f8ab2f1e51417224.txt") for e in entries)


def test_standard_scales_match_the_seeds():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    scales = registry.tenant_scales([])
    assert list(scales) == ["kano", "sat4", "sat5", "sat7"]
    assert all(s.kind is ScaleKind.ORDINAL and isinstance(s, Scale) for s in scales.values())
    assert [o.label_zh for o in scales["sat7"].options] == ["很满意", "满意", "较满意", "一般", "不太满意", "不满意", "很不满意"]
    assert scales["sat5"].satisfied_codes == {"5", "4"}
    assert [o.code for o in scales["kano"].options] == ["like", "must_be", "neutral", "live_with", "dislike"]
    assert [o.label_zh for o in scales["kano"].options] == ["我很喜欢", "理所当然", "无所谓", "能忍受", "我很不喜欢"]
