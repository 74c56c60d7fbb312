"""The plugin contract: hooks, built-in plugins, entry-point plugins, the retail catalogue."""

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
from core.plugins import IndustryRegistry, PluginLoadError, get_plugin_manager
from tests import external_plugin

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("csm_"))


@pytest.fixture
def external(tmp_path, monkeypatch):
    root = external_plugin.install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(root))
    yield root
    sys.modules.pop(external_plugin.PACKAGE, None)


def test_every_hook_is_prefixed_and_documented_with_params_and_return():
    assert HOOKS == [
        "csm_expectation_rules",
        "csm_indicator_templates",
        "csm_industries",
        "csm_kpis",
        "csm_scales",
        "csm_service_tiers",
        "csm_touchpoints",
    ]
    for name in HOOKS:
        doc = getattr(hookspecs, name).__doc__ or ""
        assert ":return:" in doc, name
        if inspect.signature(getattr(hookspecs, name)).parameters:
            assert ":param industry:" in doc, name


def test_every_hook_is_documented_for_plugin_authors():
    guide = (ROOT / "plugins" / "README.md").read_text(encoding="utf-8")
    for name in HOOKS:
        assert f"`{name}" in guide, f"{name} missing from plugins/README.md"


def test_catalogue_plugin_implements_every_hook():
    implemented = {n for n, _ in inspect.getmembers(CataloguePlugin) if n.startswith("csm_")}
    assert implemented == set(HOOKS)


def test_builtin_retail_plugin_is_registered():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    assert list(registry.industries()) == ["retail"]
    catalogue = registry.catalogue("retail")
    assert [t["code"] for t in catalogue["templates"]] == ["supermarket-csi"]
    assert {s["code"] for s in catalogue["scales"]} == {"sat4", "convenience4", "queue3", "open_text"}


def test_entry_point_plugin_outside_the_repo_is_loaded(external):
    registry = IndustryRegistry(get_plugin_manager())
    assert set(registry.industries()) == {"retail", "bakery"}
    assert registry.touchpoints("bakery").touchpoints["counter"].name_zh == "柜台"
    assert [k.code for k in registry._collect("csm_kpis", "bakery")] == ["stale_rate"]
    # its template is usable by reference, like a built-in one
    config = load_config("version: 1\nindustry: bakery\nindicator_set: {template: bakery-csi}\n", "t.yaml", registry.template)
    assert [q.code for q in config.indicator_set.questions] == ["fresh", "friendly"]


def test_misspelt_hook_fails_at_start_up():
    class Typo:
        @hookimpl
        def csm_industrie(self):
            return []

    with pytest.raises(pluggy.PluginValidationError):
        get_plugin_manager(entry_points=False, extra=[Typo()])


def test_second_plugin_can_add_kpis_to_an_existing_industry():
    from core.model import KPI

    class RetailKpis:
        @hookimpl
        def csm_kpis(self, industry):
            return [KPI("basket_size", "Average basket", source="test")] if industry == "retail" else []

    registry = IndustryRegistry(get_plugin_manager(entry_points=False, extra=[RetailKpis()]))
    assert [k["code"] for k in registry.catalogue("retail")["kpis"]] == ["basket_size"]


def test_two_plugins_claiming_one_industry_is_an_error():
    from core.model import Industry

    class Impostor:
        @hookimpl
        def csm_industries(self):
            return [Industry("retail", "Another retail")]

    registry = IndustryRegistry(get_plugin_manager(entry_points=False, extra=[Impostor()]))
    with pytest.raises(PluginLoadError, match="'retail' is provided by more than one plugin"):
        registry.industries()


def test_broken_plugin_yaml_reports_file_line_and_path(tmp_path):
    (tmp_path / "industry.yaml").write_text("industry: {code: x, name: X}\ntouchpoints: []\n")
    with pytest.raises(ConfigError) as info:
        CataloguePlugin(tmp_path).catalogue
    assert [str(i) for i in info.value.issues] == [f"{tmp_path.name}/industry.yaml:1: industry.source: required field is missing"]


def test_core_knows_no_industry():
    """No module of the core names an industry plugin's code (industries come from hooks)."""
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in {"retail", "telecom", "tobacco", "banking", "real_estate"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_retail_catalogue_entries_all_cite_their_source():
    registry = IndustryRegistry(get_plugin_manager(entry_points=False))
    retail = registry.catalogue("retail")
    entries = [retail, *retail["stages"], *(t for s in retail["stages"] for t in s["touchpoints"]), *retail["factors"], *retail["respondent_attributes"]]
    assert all(e["source"].startswith("000_f8ab2f1e51417224.txt") for e in entries)
