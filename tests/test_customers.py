"""Customer grades and the service menu: the tobacco case worked by hand, the sections'
validation with paths, typed attributes, the cumulative KANO check, periods."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.config import ConfigError, build_config, load_config
from core.rules.customers import period_label
from tests.helpers import BASIC, EXPECTED, WORKED

ROOT = Path(__file__).resolve().parent.parent
TOBACCO = (ROOT / "config" / "examples" / "tobacco.yaml").read_text(encoding="utf-8")



def frame(rows=WORKED):
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "contribution": [str(r[1]) for r in rows], "compliance": [str(r[2]) for r in rows], "capability": [str(r[3]) for r in rows]})


def problems(text):
    with pytest.raises(ConfigError) as info:
        load_config(text, "t.yaml")
    return [f"{i.dotted}: {i.message}" for i in info.value.issues]


def test_the_tobacco_grades_worked_by_hand():
    config = load_config(TOBACCO, "tobacco.yaml")
    customers = config.section("customers")
    typed, errors = customers.check(frame())
    assert errors == []
    result = customers.grade(typed)
    assert result.errors == []
    assert result.score.tolist() == pytest.approx([r[4] for r in WORKED])
    assert result.grade.tolist() == [r[5] for r in WORKED]
    assert result.counts(customers.grading.grades) == {"G9": 1, "G8": 2, "G7": 1, "G6": 0, "G5": 0, "G4": 1, "G3": 1, "G2": 0, "G1": 1}


def test_the_menu_grows_with_the_grade_as_the_source_orders_it():
    menu = load_config(TOBACCO, "tobacco.yaml").section("services")
    # low grades order by phone or online; middle grades add agreed supply; high grades add online allocation
    assert list(menu.entitled("G1")) == BASIC
    assert list(menu.entitled("G3")) == BASIC
    assert list(menu.entitled("G4")) == BASIC + EXPECTED
    assert list(menu.entitled("G7")) == BASIC + EXPECTED + ["online_allocation"]
    assert list(menu.entitled("G9")) == BASIC + EXPECTED + ["online_allocation"]
    assert menu.entitled(None) == ()
    assert menu.check_request("G3", "agreement_supply") == "above_grade"
    assert menu.check_request("G4", "agreement_supply") == "entitled"
    assert menu.check_request("G8", "online_allocation") == "entitled"
    assert menu.check_request("G6", "online_allocation") == "above_grade"
    assert menu.check_request("G9", "free_gifts") == "unknown_service"
    assert menu.categories["business_profit"].name_zh == "经营盈利类"


def test_the_sections_are_stored_and_rebuilt_the_same():
    config = load_config(TOBACCO, "tobacco.yaml")
    rebuilt = build_config(config.document)
    assert rebuilt.document == config.document
    assert rebuilt.section("customers").grading.grades == ("G9", "G8", "G7", "G6", "G5", "G4", "G3", "G2", "G1")
    assert rebuilt.section("services").services == config.section("services").services
    assert config.summary()["grades"][0] == "G9" and config.summary()["services"] == 6


def test_grading_by_ordered_rules():
    text = TOBACCO.split("customers:")[0] + """customers:
  attributes:
    contribution: {type: number}
    compliance: {type: number}
    licensed: {type: boolean}
  grading:
    score: "customer.contribution + customer.compliance"
    rules:
      - {grade: key, when: 'customer.licensed && score >= 150.0'}
      - {grade: regular, when: 'customer.licensed'}
    reevaluate: quarterly
"""
    customers = load_config(text, "t.yaml").section("customers")
    typed, errors = customers.check(pd.DataFrame({"customer_id": ["a", "b", "c"], "contribution": ["90", "90", "99"], "compliance": ["60", "50", "99"], "licensed": ["true", "true", "false"]}))
    assert errors == []
    result = customers.grade(typed)
    # a: 150 and licensed -> key; b: 140 -> regular; c: not licensed -> matched by no rule
    assert result.grade.tolist() == ["key", "regular", None]
    assert result.counts(("key", "regular")) == {"key": 1, "regular": 1, "ungraded": 1}


def test_attributes_are_typed_and_every_problem_named_by_row_and_column():
    customers = load_config(TOBACCO, "tobacco.yaml").section("customers")
    bad = pd.DataFrame(
        {
            "customer_id": ["a", "a", None, "d"],
            "contribution": ["ninety", "101", "50", "50"],
            "compliance": ["50", "50", "", "inf"],
            "capability": ["50", "50", "50", "50"],
            "region": ["urban", "", "city", None],
            "colour": ["x", "y", "z", "w"],
        }
    )
    _, errors = customers.check(bad)
    assert [(e.row, e.field, e.message) for e in errors] == [
        (-1, "colour", "unknown column (the columns are customer_id and the attributes: contribution, compliance, capability, region)"),
        (0, "contribution", "must be a number"),
        (1, "contribution", "must be at most 100"),
        (1, "customer_id", "customer 'a' appears more than once"),
        (2, "compliance", "required"),
        (2, "customer_id", "required"),
        (2, "region", "'city' is not one of urban, rural"),
        (3, "compliance", "must be a finite number"),
    ]


@pytest.mark.parametrize(
    "change, expected",
    [
        (("customer.contribution + 0.3", "customer.contributoin + 0.3"), "customers.grading.score: expression: unknown field 'contributoin'"),
        (("0.5 * customer.contribution", "0.5 * customer.region"), "customers.grading.score: expression: '*' is not defined for a double and a string"),
        (("0.2 * customer.capability", "2 * customer.capability"), "customers.grading.score: expression: '*' is not defined for an int and a double"),
        (("{grade: G7, min: 70}", "{grade: G7, min: 85}"), "customers.grading.bands.2.min: bands go from the highest grade down: min 85.0 is not below 80.0 (G8)"),
        (("{grade: G7, min: 70}", "{grade: G8, min: 75}"), "customers.grading.bands.2.grade: grade 'G8' is listed twice"),
        (("min_grade: G7", "min_grade: G10"), "services.menu.5.min_grade: no grade 'G10' (the grades, highest first: G9, G8"),
        (("category: business_profit, kano: delight", "category: profit, kano: delight"), "services.menu.5.category: no category 'profit'"),
        (("kano: delight", "kano: wow"), "services.menu.5.kano: Must be one of: basic, expected, delight."),
        (("capability:   {type: number", "capability:   {type: float"), "customers.attributes.capability.type: Must be one of: number, integer, string, boolean."),
        (("reevaluate: monthly", "reevaluate: weekly"), "customers.grading.reevaluate: Must be one of: monthly, bimonthly, quarterly."),
        (("region:       {type: string", "in:       {type: string"), "customers.attributes.in: an attribute name is read in expressions"),
    ],
)
def test_configuration_problems_name_their_path(change, expected):
    text = TOBACCO.replace(*change)
    assert text != TOBACCO
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    "change, expected",
    [
        (("kano: basic, grades: all, name: Order by phone", "kano: basic, min_grade: G2, name: Order by phone"), "services.menu.0: cumulative: a basic service is for every grade, down to G1"),
        (("kano: expected, min_grade: G4, name: Business", "kano: expected, grades: all, name: Business"), "services.menu.3: cumulative: an expected service is for the middle grades up, not the lowest (G1)"),
        (("kano: delight, min_grade: G7", "kano: delight, min_grade: G4"), "services.menu.5: cumulative: a delight service starts above the lowest grade with an expected service (G4)"),
        (("kano: delight, min_grade: G7", "kano: delight, grades: [G9, G7]"), "services.menu.5: cumulative: G7 is entitled but the higher G8 is not"),
    ],
)
def test_the_cumulative_kano_rule_is_checked_when_asked(change, expected):
    text = TOBACCO.replace(*change)
    assert problems(text) == [expected]
    assert load_config(text.replace("cumulative: true", "cumulative: false"), "t.yaml").section("services") is not None


def test_services_need_graded_customers():
    no_grading = TOBACCO.replace("  grading:\n", "  unused:\n", 1)
    assert problems(no_grading)[0] == "customers.unused: unknown field"
    text = TOBACCO.split("  grading:")[0] + "services:" + TOBACCO.split("services:")[1]
    assert problems(text) == ["services: the menu is served by grade: customers.grading is needed"]


def test_a_score_that_fails_on_a_record_is_that_customers_error():
    text = TOBACCO.replace('score: "0.5 * customer.contribution', 'score: "100.0 / customer.contribution')
    customers = load_config(text, "t.yaml").section("customers")
    typed, _ = customers.check(frame(WORKED[:1] + [("Z", 0, 0, 0, 0, None)]))
    result = customers.grade(typed)
    # A: 100/90 + 24 + 14 = 39.11 -> G3; Z: 100/0 = +inf, not a score
    assert result.grade.tolist() == ["G3", None]
    assert [(e.row, e.field, e.message) for e in result.errors] == [(1, "score", "the score formula gave inf, not a finite number")]
    assert np.isinf(result.score[1])


@pytest.mark.parametrize(
    "reevaluate, text, expected",
    [("monthly", "2026-03", "2026-03"), ("bimonthly", "2026-03", "2026-03"), ("quarterly", "2026-Q2", "2026-Q2")],
)
def test_periods(reevaluate, text, expected):
    assert period_label(reevaluate, text) == expected


def test_period_defaults_and_refusals():
    from datetime import date

    assert period_label("monthly", today=date(2026, 4, 15)) == "2026-04"
    assert period_label("bimonthly", today=date(2026, 4, 15)) == "2026-03"  # March-April
    assert period_label("quarterly", today=date(2026, 4, 15)) == "2026-Q2"
    with pytest.raises(ValueError, match="bimonthly periods start in an odd month"):
        period_label("bimonthly", "2026-04")
    with pytest.raises(ValueError, match="is not a month"):
        period_label("monthly", "2026-13")
    with pytest.raises(ValueError, match="is not a quarter"):
        period_label("quarterly", "2026-03")
