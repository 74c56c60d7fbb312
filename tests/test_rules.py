"""Tenant CEL expressions: checked when compiled (syntax, names, types, length), evaluated
on one record or many, plugin functions bound, and refusals located in the YAML."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from marshmallow import fields

from core.builtins.expressions import EXPRESSION_FUNCTIONS
from core.config import ConfigError, build_config, load_config
from core.config.sections import CORE_SECTIONS, Section, SectionRegistry
from core.config.sections.expressions import compile_at, expression_field
from core.model import ExpressionFunction, Param
from core.rules import MAX_LENGTH, EvaluationError, ExpressionError, compile_expression
from core.rules import types as T
from tests.helpers import SMALL

CUSTOMER = T.record(contribution=T.DOUBLE, compliance=T.DOUBLE, capability=T.DOUBLE, visits=T.INT, region=T.STRING, tags=T.list_of(T.STRING))
VARS = {"customer": CUSTOMER, "opened": T.TIMESTAMP, "replied": T.TIMESTAMP}
SOURCE_SCORE = "0.5 * customer.contribution + 0.3 * customer.compliance + 0.2 * customer.capability"
UTC = timezone.utc


def refusal(text, variables=VARS, **kw) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text, variables, EXPRESSION_FUNCTIONS, **kw)
    return info.value


def test_the_source_score_formula_worked_by_hand():
    # contribution 90, compliance 80, capability 70: 0.5*90 + 0.3*80 + 0.2*70 = 45 + 24 + 14 = 83
    expr = compile_expression(SOURCE_SCORE, VARS, returns=T.DOUBLE)
    assert expr.type == T.DOUBLE and expr.reads == {"customer"}
    assert expr.evaluate({"customer": {"contribution": 90.0, "compliance": 80.0, "capability": 70.0}}) == pytest.approx(83.0)


@pytest.mark.parametrize(
    "text, message, column",
    [
        ("customer.contribution +", "expected a value, a name or '(', found the end of the expression", 24),
        ("custmer.visits > 3", "unknown variable 'custmer' (the variables are: customer, opened, replied)", 1),
        ("customer.visit > 3", "unknown field 'visit' (the fields are: capability, compliance, contribution, region, tags, visits)", 10),
        ("customer.contribution * 2", "'*' is not defined for a double and an int: double and int do not mix in CEL", 23),
        ("customer.region == 3", "comparing a string with an int is always false", 17),
        ("customer.region > 3", "'>' does not compare a string with an int", 17),
        ("customer.visits && true", "'&&' joins bools, not an int", 1),
        ("lookup(customer.region)", "unknown function 'lookup'", 1),
        ("within_hours(opened, replied)", "within_hours() takes 3 arguments (start, end, limit), not 2", 1),
        ("within_hours(opened, customer.region, 2.0)", "within_hours(): end is a timestamp, not a string", 22),
        ("customer.tags.all(t, t)", "the condition of all() is a bool, not a string", 22),
        ("customer.region.matches('(')", "invalid regular expression", 25),
    ],
)
def test_refusals_say_what_and_where(text, message, column):
    exc = refusal(text)
    assert message in exc.message
    assert exc.column == column


def test_the_result_type_is_checked():
    assert refusal("customer.region", returns=T.BOOL).message == "the expression gives a string; a bool is needed here"
    assert compile_expression("customer.visits", VARS, returns=(T.DOUBLE, T.INT)).type == T.INT


def test_the_length_cap():
    text = "1.0 + " * (MAX_LENGTH // 6) + "1.0"
    assert len(text) > MAX_LENGTH
    assert refusal(text).message == f"an expression has at most {MAX_LENGTH} characters (this one has {len(text)})"
    assert refusal("true || true", max_length=5).message == "an expression has at most 5 characters (this one has 12)"


def test_builtin_time_functions_are_bound():
    # opened 10:00, replied 12:30: 2.5 hours, within 3 but not within 2
    expr = compile_expression("hours_between(opened, replied) <= 3.0 && !within_hours(opened, replied, 2)", VARS, EXPRESSION_FUNCTIONS, returns=T.BOOL)
    assert expr.functions == {"hours_between", "within_hours"}
    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert expr.evaluate({"opened": at, "replied": at + timedelta(hours=2, minutes=30)}) is True
    assert expr.evaluate({"opened": at, "replied": at + timedelta(hours=3, minutes=1)}) is False


def test_a_plugin_function_that_raises_is_an_evaluation_error():
    def shout(text):
        raise RuntimeError("no shouting")

    fn = ExpressionFunction(name="shout", function=shout, params=(Param("text", "string"),), returns="string")
    expr = compile_expression("shout(customer.region) == 'X'", VARS, {"shout": fn})
    with pytest.raises(EvaluationError, match=r"shout\(\): no shouting"):
        expr.evaluate({"customer": {"region": "north"}})


def test_an_expression_sees_only_what_it_reads():
    expr = compile_expression("customer.visits > 3", VARS)
    assert expr.reads == {"customer"}
    with pytest.raises(EvaluationError, match="variable 'customer' is not given"):
        expr.evaluate({"opened": datetime(2026, 1, 1, tzinfo=UTC)})


def test_runtime_errors_are_evaluation_errors():
    expr = compile_expression("customer.visits / (customer.visits - 3) > 0", VARS)
    with pytest.raises(EvaluationError, match="division by zero"):
        expr.evaluate({"customer": {"visits": 3}})
    assert expr.evaluate({"customer": {"visits": 4}}) is True  # 4 / 1 = 4 > 0


def test_many_records_from_a_frame_with_errors_collected():
    frame = pd.DataFrame({"contribution": [90.0, 60.0, None], "compliance": [80.0, 50.0, 10.0], "capability": [70.0, 40.0, 10.0]})
    expr = compile_expression(SOURCE_SCORE, VARS, returns=T.DOUBLE)
    errors: dict[int, str] = {}
    values = expr.evaluate_many({"customer": frame}, errors=errors)
    # row 1: 30 + 15 + 8 = 53; row 2 has no contribution (absent): an error, NaN in its slot
    assert values.dtype == np.float64
    assert values[:2].tolist() == pytest.approx([83.0, 53.0])
    assert np.isnan(values[2]) and errors == {2: "no such key: 'contribution'"}
    with pytest.raises(EvaluationError) as info:
        expr.evaluate_many({"customer": frame})
    assert info.value.index == 2


def test_many_records_as_activations_give_bools():
    expr = compile_expression('"vip" in customer.tags || customer.visits >= 10', VARS, returns=T.BOOL)
    rows = [{"customer": {"tags": ["vip"], "visits": 0}}, {"customer": {"tags": [], "visits": 10}}, {"customer": {"tags": [], "visits": 9}}]
    values = expr.evaluate_many(rows)
    assert values.dtype == np.bool_ and values.tolist() == [True, True, False]


# --- inside a configuration section -----------------------------------------------------

def _build(context, data):
    issues = []
    compiled = [compile_at(context, ("alerts", i, "when"), item["when"], {"score": T.DOUBLE}, issues, returns=T.BOOL) for i, item in enumerate(data)]
    if issues:
        raise ConfigError(issues)
    return tuple(compiled)


ALERTS = Section(
    name="alerts",
    field=lambda: fields.List(fields.Dict(keys=fields.String(), values=expression_field())),
    build=_build,
)
WITH_ALERTS = SectionRegistry((*CORE_SECTIONS, ALERTS), {f.name: f for f in EXPRESSION_FUNCTIONS})


def test_a_section_compiles_its_expressions_once_and_keeps_them():
    config = load_config(SMALL + "alerts:\n  - {when: 'score < 60.0'}\n", "t.yaml", sections=WITH_ALERTS)
    (expr,) = config.section("alerts")
    assert expr.evaluate({"score": 59.5}) is True and expr.evaluate({"score": 60.0}) is False
    assert build_config(config.document, sections=WITH_ALERTS).section("alerts")[0].text == "score < 60.0"


def test_a_refused_expression_is_reported_at_its_yaml_path_and_line():
    text = SMALL + "alerts:\n  - {when: 'score < 60.0'}\n  - {when: 'score + 1.0'}\n  - {when: 'scor < 1.0'}\n"
    with pytest.raises(ConfigError) as info:
        load_config(text, "t.yaml", sections=WITH_ALERTS)
    assert [str(i) for i in info.value.issues] == [
        "t.yaml:11: alerts.1.when: expression: the expression gives a double; a bool is needed here",
        "t.yaml:12: alerts.2.when: expression: unknown variable 'scor' (the variables are: score) (column 1)",
    ]


def test_plugin_functions_reach_section_expressions():
    config = load_config(SMALL + "alerts:\n  - {when: 'hours_between(timestamp(\"2026-01-01T00:00:00Z\"), timestamp(\"2026-01-01T06:00:00Z\")) > score'}\n", "t.yaml", sections=WITH_ALERTS)
    assert config.section("alerts")[0].evaluate({"score": 5.0}) is True  # 6 hours > 5
    with pytest.raises(ConfigError, match="unknown function 'hours_between'"):
        load_config(SMALL + "alerts:\n  - {when: 'hours_between(timestamp(\"2026-01-01T00:00:00Z\"), timestamp(\"2026-01-01T06:00:00Z\")) > score'}\n", "t.yaml", sections=SectionRegistry((*CORE_SECTIONS, ALERTS)))


# --- the column path gives what the runtime gives, row by row --------------------------

EDGE = pd.DataFrame(
    {
        "contribution": [90.0, -0.0, None, 1e308, float("inf"), 0.5],
        "compliance": [80.0, 0.0, 1.0, 1e308, 1.0, None],
        "capability": [70.0, 2.0, 3.0, -1e308, float("-inf"), 0.25],
        "visits": [3, 9223372036854775807, 0, -9223372036854775807, 2**53 + 1, 7],
        "region": ["north", "", None, "south", "n\u00e9", "north"],
        "tags": [["vip"], [], None, ["a", "vip"], ["x"], ["vip", "vip"]],
    }
)
COLUMN_EXPRESSIONS = [
    SOURCE_SCORE,
    "customer.contribution / customer.compliance",
    "customer.visits + 1 > 3",
    "customer.visits * 2 == customer.visits + customer.visits",
    "-customer.visits < 0",
    "customer.visits > customer.contribution",
    "double(customer.visits) >= 3.0",
    "int(customer.capability) == 70",
    'customer.region == "north" || customer.visits == 0',
    'has(customer.region) && customer.region != "north"',
    'customer.region in ["north", "south"]',
    '"vip" in customer.tags && customer.contribution > 1.0',
    "customer.contribution > 50.0 ? customer.compliance : customer.capability",
    'customer.region + "!" == "north!"',
    '!(customer.region < "s")',
    "customer.compliance >= 80.0 && customer.capability >= 70.0",
]


@pytest.mark.parametrize("text", COLUMN_EXPRESSIONS)
def test_the_column_path_matches_the_runtime_row_by_row(text):
    expr = compile_expression(text, VARS)
    assert expr._columns is not None  # this expression is evaluated on columns
    errors: dict[int, str] = {}
    values = expr.evaluate_many({"customer": EDGE}, errors=errors)
    rows = EDGE.astype(object).to_dict("records")
    for i, row in enumerate(rows):
        record = {k: v for k, v in row.items() if not (v is None or (isinstance(v, float) and np.isnan(v)))}
        try:
            expected = expr.evaluate({"customer": record})
        except EvaluationError as exc:
            assert errors.get(i) == exc.message, (i, text)
            continue
        assert i not in errors, (i, text, errors.get(i))
        got = values[i]
        if isinstance(expected, float) and np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got == expected and type(got.item() if hasattr(got, "item") else got) is type(expected), (i, text, got, expected)


def test_lists_a_comprehension_reads_are_capped():
    from core.rules.expression import MAX_ITEMS

    expr = compile_expression("customer.tags.exists(t, t == 'vip')", VARS)
    assert expr.evaluate({"customer": {"tags": ["x"] * MAX_ITEMS + ["vip"][:0]}}) is False
    with pytest.raises(EvaluationError, match=f"customer.tags has {MAX_ITEMS + 1} items; a comprehension runs over at most {MAX_ITEMS}"):
        expr.evaluate({"customer": {"tags": ["x"] * (MAX_ITEMS + 1)}})
