"""The registration hooks, the core's built-in plugin, and the per-tenant plugin sets.

Registrations reach a tenant only from the core's own plugin and the plugins it enabled
(``registry.for_plugins``, built on pluggy's ``subset_hook_caller``); clashes between
plugins fail at start-up naming both plugins.
"""

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from core.builtins import expressions
from core.config import load_config
from core.hookspecs import hookimpl
from core.model import AnalysisMethod, CaseType, EventType, ExpressionFunction, ModelError, Param, PluginInfo
from core.model.standard_scales import SAT5, STANDARD_SCALES
from core.plugins import PluginLoadError
from tests import sample_plugins
from tests.helpers import STORE_YAML
from tests.sample_plugins import SAT5_YES_NO, Analysis, Sat5, Service, plugin, registry_with

T0 = "2026-01-15T10:00:00Z"


# --- csm_register_expression_functions ---------------------------------------------------


def test_hook_csm_register_expression_functions_core_time_limit_functions_known_answers():
    fns = sample_plugins.registry().expression_functions([])
    assert list(fns) == ["minutes_between", "hours_between", "days_between", "within_minutes", "within_hours"]
    later = "2026-01-16T12:30:00Z"  # 26.5 hours after T0
    assert fns["hours_between"](T0, later) == 26.5
    assert fns["days_between"](T0, later) == pytest.approx(26.5 / 24)
    assert fns["minutes_between"](T0, "2026-01-15T10:03:00Z") == 3.0
    assert fns["hours_between"](later, T0) == -26.5
    # the hotel's 3 minutes (seed 003): the limit itself still counts as kept
    assert fns["within_minutes"](T0, "2026-01-15T10:03:00Z", 3) is True
    assert fns["within_minutes"](T0, "2026-01-15T10:03:01Z", 3) is False
    assert fns["within_hours"](T0, later, 24) is False and fns["within_hours"](T0, later, 26.5) is True
    # offsets are honoured: 18:00+08:00 is 10:00Z
    assert fns["hours_between"]("2026-01-15T18:00:00+08:00", datetime(2026, 1, 15, 12, tzinfo=timezone.utc)) == 2.0
    start = datetime(2026, 1, 15, 10, tzinfo=timezone(timedelta(hours=-5)))
    assert fns["within_hours"](start, start + timedelta(hours=12), 12.0) is True


def test_hook_csm_register_expression_functions_refuse_bad_arguments():
    for call, error, text in [
        (lambda: expressions.hours_between("2026-01-15T10:00:00", T0), ValueError, "start: a timestamp needs a time zone"),
        (lambda: expressions.hours_between(T0, "tomorrow"), ValueError, "end: 'tomorrow' is not an ISO 8601 date-time"),
        (lambda: expressions.days_between(T0, 5), TypeError, "end: expected a timestamp, got int"),
        (lambda: expressions.within_hours(T0, T0, -1), ValueError, "limit: expected a non-negative number"),
        (lambda: expressions.within_hours(T0, T0, True), ValueError, "limit"),
        (lambda: expressions.within_minutes(T0, T0, float("nan")), ValueError, "limit"),
    ]:
        with pytest.raises(error, match=text):
            call()


def test_hook_csm_register_expression_functions_declare_typed_fixed_arity():
    registered = sample_plugins.registry().for_plugins([]).expression_functions
    assert {name: (reg.plugin, reg.item.arity, reg.item.returns) for name, reg in registered.items()} == {
        "minutes_between": ("core", 2, "double"),
        "hours_between": ("core", 2, "double"),
        "days_between": ("core", 2, "double"),
        "within_minutes": ("core", 3, "bool"),
        "within_hours": ("core", 3, "bool"),
    }
    assert [p.type for p in registered["within_hours"].item.params] == ["timestamp", "timestamp", "double"]
    assert all(reg.item.doc for reg in registered.values())


def test_hook_csm_register_expression_functions_of_a_plugin_reach_only_tenants_that_enabled_it():
    registry = sample_plugins.registry()
    assert "business_hours_between" not in registry.expression_functions([])
    assert registry.expression_functions(["clock"])["business_hours_between"] is sample_plugins.business_hours_between
    assert "hours_between" in registry.expression_functions(["clock"])  # the core's stay


def test_hook_csm_register_expression_functions_duplicate_names_fail_naming_both_plugins():
    again = ExpressionFunction(name="hours_between", function=lambda a, b: 0.0, params=(Param(name="a"), Param(name="b")), returns="double")
    with pytest.raises(PluginLoadError, match="expression function 'hours_between' is registered by two plugins, 'shadow' and 'core'"):
        registry_with(plugin("shadow", csm_register_expression_functions=[again]))


def test_expression_function_model_refuses_what_a_rule_engine_could_not_bind():
    one = (Param(name="x", type="double"),)
    for kwargs, field in [
        ({"name": "not-an-identifier"}, "name"),
        ({"function": "not callable"}, "function"),
        ({"params": (Param(name="x"), Param(name="x"))}, "params"),
        ({"params": (Param(name="x", required=False),)}, "params"),
        ({"returns": "date"}, "returns"),
    ]:
        with pytest.raises(ModelError) as caught:
            ExpressionFunction(**{"name": "f", "function": abs, "params": one, "returns": "double", **kwargs})
        assert caught.value.path[0] == field


# --- csm_register_scales -----------------------------------------------------------------


def test_hook_csm_register_scales_standard_scales_are_every_tenants():
    registry = sample_plugins.registry()
    assert registry.tenant_scales([]) == STANDARD_SCALES
    assert registry.for_plugins([]).generic_scales["sat5"].plugin == "core"


def test_hook_csm_register_scales_a_plugins_scale_overrides_the_cores_for_its_tenants():
    registry = sample_plugins.registry()
    assert registry.tenant_scales(["sat5"])["sat5"] is SAT5_YES_NO
    assert registry.tenant_scales(["sat5"])["sat7"] is STANDARD_SCALES["sat7"]
    assert registry.tenant_scales([])["sat5"] is SAT5  # tenants without the plugin keep the core's


def test_hook_csm_register_scales_two_plugins_overriding_one_code_fail_naming_both():
    with pytest.raises(PluginLoadError, match="scale 'sat5' is registered by two plugins, 'other' and 'sat5'"):
        registry_with(Sat5(), plugin("other", csm_register_scales=[SAT5_YES_NO]))


def test_tenant_scales_add_the_enabled_industries_scales_which_win():
    registry = sample_plugins.registry()
    retail = registry.tenant_scales(["retail"])
    assert list(retail) == ["convenience4", "kano", "open_text", "queue3", "sat4", "sat5", "sat7"]
    assert retail["sat4"].name == "Four-level satisfaction"  # the retail template's, not the core's "Four-option satisfaction"
    assert registry.tenant_scales(["retail"], industry="retail") == retail
    # an industry the tenant's plugins do not provide adds nothing
    assert registry.tenant_scales([], industry="retail") == STANDARD_SCALES
    assert registry.tenant_scales(["retail"], industry="nowhere") == STANDARD_SCALES


# --- csm_register_case_types and csm_register_event_types ---------------------------------


def test_hook_csm_register_case_types_from_plugins_the_tenant_enabled():
    registry = sample_plugins.registry()
    assert registry.case_types([]) == {}
    assert list(registry.case_types(["retail"])) == ["return_exchange", "product_repair", "quality_problem"]
    assert all(c.default_time_limit_hours is None for c in registry.case_types(["retail"]).values())  # the source promises none
    both = registry.case_types(["retail", "service"])
    assert both["complaint"] == CaseType(code="complaint", name="Complaint", name_zh="投诉", source="test fixture", default_time_limit_hours=24)
    assert registry.for_plugins(["retail", "service"]).case_types["complaint"].plugin == "service"


def test_hook_csm_register_case_types_duplicate_codes_fail_naming_both_plugins():
    twin = CaseType(code="product_repair", name="Repair", source="test fixture")
    with pytest.raises(PluginLoadError, match="case type 'product_repair' is registered by two plugins, 'twin' and 'retail'"):
        registry_with(plugin("twin", csm_register_case_types=[twin]))


def test_case_and_event_type_models_need_a_source_and_sane_values():
    with pytest.raises(ModelError, match="source is required"):
        CaseType(code="c", name="C", source=" ")
    with pytest.raises(ModelError, match="positive number of hours"):
        CaseType(code="c", name="C", source="s", default_time_limit_hours=float("inf"))
    with pytest.raises(ModelError, match="duplicate parameter 'at'"):
        EventType(code="e", name="E", source="s", payload=(Param(name="at"), Param(name="at")))


def test_hook_csm_register_event_types_with_payload_fields():
    registry = sample_plugins.registry()
    assert registry.event_types(["retail"]) == {}  # the source describes no service events
    [replied] = registry.event_types(["service"]).values()
    assert [(p.name, p.type, p.required) for p in replied.payload] == [("case_id", "string", True), ("replied_at", "timestamp", True)]


def test_hook_csm_register_event_types_duplicate_codes_fail_naming_both_plugins():
    twin = EventType(code="case_replied", name="Replied", source="test fixture")
    with pytest.raises(PluginLoadError, match="event type 'case_replied' is registered by two plugins, 'twin' and 'service'"):
        registry_with(Service(), plugin("twin", csm_register_event_types=[twin]))


# --- csm_register_analysis_methods --------------------------------------------------------


def test_hook_csm_register_analysis_methods_looked_up_by_code_and_run():
    registry = sample_plugins.registry()
    assert registry.analysis_method([], "satisfaction_rates") is None
    method = registry.analysis_method(["analysis"], "satisfaction_rates")
    core_methods = list(registry.analysis_methods([]))  # the core's own (core.analysis.methods)
    assert list(registry.analysis_methods(["analysis"])) == ["satisfaction_rates", *core_methods]
    iset = load_config(STORE_YAML, "store.yaml").indicator_set
    frame = pd.DataFrame({"env_overall": ["A", "C", None], "checkout_speed": ["B", "D", "A"], "cashier_attitude": ["A", "B", "D"]})
    assert method.function(frame, iset, method.resolve_params({})) == {
        "questions": {
            "env_overall": {"n": 2, "rate": 0.5},
            "checkout_speed": {"n": 3, "rate": pytest.approx(2 / 3)},
            "cashier_attitude": {"n": 3, "rate": pytest.approx(2 / 3)},
        }
    }
    assert list(method.function(frame, iset, method.resolve_params({"min_n": 3}))["questions"]) == ["checkout_speed", "cashier_attitude"]


def test_hook_csm_register_analysis_methods_params_are_checked_against_their_description():
    method = sample_plugins.registry().analysis_method(["analysis"], "satisfaction_rates")
    assert method.resolve_params(None) == {"min_n": 1}
    with pytest.raises(ModelError, match="takes no parameter 'min'") as caught:
        method.resolve_params({"min": 2})
    assert caught.value.path == ("params", "min")
    strict = AnalysisMethod(code="m", name="M", function=lambda f, i, p: {}, params=(Param(name="by", type="string"),))
    with pytest.raises(ModelError, match="needs parameter 'by'"):
        strict.resolve_params({})


def test_hook_csm_register_analysis_methods_duplicate_codes_fail_naming_both_plugins():
    twin = AnalysisMethod(code="satisfaction_rates", name="Twin", function=lambda f, i, p: {})
    with pytest.raises(PluginLoadError, match="analysis method 'satisfaction_rates' is registered by two plugins, 'twin' and 'analysis'"):
        registry_with(Analysis(), plugin("twin", csm_register_analysis_methods=[twin]))


# --- plugin sets: the per-tenant subset of the hooks ---------------------------------------


def test_a_plugin_set_calls_only_the_core_and_the_enabled_plugins():
    calls = []

    class Counting(Service):
        csm_plugin_info = PluginInfo(name="counting", version="1.0", core=">=0.1")

        @hookimpl
        def csm_register_case_types(self):
            calls.append("counting")
            return []

    registry = registry_with(Counting())
    calls.clear()  # the start-up check called every plugin once
    caller = registry.for_plugins([]).hook("csm_register_event_types")
    assert caller() == [] and calls == []
    assert registry.for_plugins([]).hook("csm_register_case_types")() == [] and calls == []
    assert registry.for_plugins(["counting"]).hook("csm_register_case_types")() == [[]] and calls == ["counting"]
    assert registry.for_plugins(["counting"]).names == {"core", "counting"}


def test_plugin_sets_are_cached_per_enabled_set_and_ignore_names_not_installed(monkeypatch):
    registry = sample_plugins.registry()
    first = registry.for_plugins(["clock", "service"])
    assert registry.for_plugins(("service", "clock", "uninstalled")) is first
    assert registry.for_plugins(["core"]) is registry.for_plugins([])
    assert first.expression_functions is first.expression_functions  # collected once
    monkeypatch.setattr("core.plugins.PLUGIN_SET_CACHE", 2)
    registry.for_plugins(["retail"])
    registry.for_plugins(["sat5"])  # a third distinct set: the least recently used one goes
    assert len(registry._sets) == 2 and registry.for_plugins(["clock", "service"]) is not first
