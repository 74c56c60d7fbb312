"""The ``analysis`` configuration section: shape and references checked, with paths and lines."""

from __future__ import annotations

import pytest

from core.config import ConfigError, load_config
from tests.helpers import STORE_YAML

GOOD = STORE_YAML + """analysis:
  drivers: {target: env_overall, method: shapley, level: question, bootstrap: 100}
  kano:
    features:
      - {code: speed, functional: checkout_speed, dysfunctional: cashier_attitude}
  pls:
    constructs: {ENV: [env_overall, env_noise], CHK: [checkout_speed, cashier_attitude]}
    paths: {CHK: [ENV]}
    scheme: path
    scaled: false
  min_n: 20
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(text, "store.yaml")
    return [str(i) for i in err.value.issues]


def test_the_section_gives_each_analysis_its_parameters():
    settings = load_config(GOOD, "store.yaml").sections["analysis"]
    assert settings.min_n == 20
    assert settings.params_for("drivers") == {"min_n": 20, "target": "env_overall", "method": "shapley", "level": "question", "bootstrap": 100}
    assert settings.params_for("drivers", {"method": "relative_weights", "target": None})["method"] == "relative_weights"
    assert settings.params_for("pls")["scheme"] == "path" and settings.params_for("pls")["scaled"] is False
    assert settings.params_for("ahp") == {}


def test_a_document_without_the_section_means_what_it_meant_before():
    assert "analysis" not in load_config(STORE_YAML, "store.yaml").sections


def test_references_are_checked_against_the_indicator_set_with_lines():
    bad = GOOD.replace("target: env_overall", "target: overall_sat").replace("dysfunctional: cashier_attitude", "dysfunctional: app_d")
    bad = bad.replace("paths: {CHK: [ENV]}", "paths: {CHK: [IMAG]}")
    found = problems(bad)
    assert any("analysis.drivers.target: 'overall_sat' is not a question of the indicator set" in p for p in found), found
    assert any("analysis.kano.features.0.dysfunctional: 'app_d' is not a question" in p for p in found), found
    assert any("analysis.pls.paths.CHK: unknown construct 'IMAG'" in p for p in found), found
    assert all(p.startswith("store.yaml:") for p in found), found


@pytest.mark.parametrize(
    "change, words",
    [
        (("method: shapley", "method: magic"), "analysis.drivers.method"),
        (("scheme: path", "scheme: mode"), "analysis.pls.scheme"),
        (("scaled: false", "scaled: 'no'"), "analysis.pls.scaled"),
        (("min_n: 20", "min_n: 0"), "analysis.min_n"),
        (("bootstrap: 100", "bootstrap: many"), "analysis.drivers.bootstrap"),
        (("  min_n: 20", "  min_n: 20\n  colour: blue"), "analysis.colour: unknown field"),
    ],
)
def test_shape_errors_name_the_path(change, words):
    found = problems(GOOD.replace(*change))
    assert any(words in p for p in found), found


PURCHASE_YAML = STORE_YAML + """analysis:
  loyalty:
    emotional: [nps_recommend, env_overall]
    weights: {recency: 2, frequency: 1}
    composite: {transactional: 0.6, emotional: 0.4}
  customer_value:
    components: {loyalty: loyalty, stability: stability, referrals: nps_recommend}
    weights: {revenue: 2, loyalty: 1}
    cutoffs: [0.8, 0.95]
    top_n: 10
"""


def test_loyalty_and_customer_value_entries_and_the_loyalty_component_gets_the_loyalty_entry():
    settings = load_config(PURCHASE_YAML, "store.yaml").sections["analysis"]
    assert settings.params_for("loyalty")["composite"] == {"transactional": 0.6, "emotional": 0.4}
    value = settings.params_for("customer_value")
    assert value["top_n"] == 10 and value["cutoffs"] == [0.8, 0.95]
    assert value["loyalty_settings"]["emotional"] == ["nps_recommend", "env_overall"]  # the `loyalty` component is computed as the loyalty entry says


@pytest.mark.parametrize(
    "change, words",
    [
        (("emotional: [nps_recommend, env_overall]", "emotional: [nps_recommend, nope]"), "analysis.loyalty.emotional.1: 'nope' is not a scored question"),
        (("weights: {recency: 2, frequency: 1}", "weights: {recency: 2, loudness: 1}"), "analysis.loyalty.weights"),
        (("composite: {transactional: 0.6, emotional: 0.4}", "composite: {transactional: -1}"), "analysis.loyalty.composite.transactional"),
        (("referrals: nps_recommend}", "referrals: gossip}"), "analysis.customer_value.components.referrals: 'gossip' is not loyalty, stability, customer.<attribute> or a scored question"),
        (("stability: stability,", "revenue: stability,"), "analysis.customer_value.components.revenue: revenue is always a component"),
        (("weights: {revenue: 2, loyalty: 1}", "weights: {revenue: 2, ghost: 1}"), "analysis.customer_value.weights.ghost: no such component"),
        (("cutoffs: [0.8, 0.95]", "cutoffs: [0.95, 0.8]"), "analysis.customer_value.cutoffs: two cumulative revenue shares"),
        (("cutoffs: [0.8, 0.95]", "cutoffs: [0.8]"), "analysis.customer_value.cutoffs"),
        (("top_n: 10", "top_n: 0"), "analysis.customer_value.top_n"),
    ],
)
def test_purchase_entries_errors_name_the_path(change, words):
    found = problems(PURCHASE_YAML.replace(*change))
    assert any(words in p for p in found), found


def test_a_customer_attribute_source_must_be_a_numeric_attribute_of_the_customers_section():
    """With a customers section, customer.<attribute> names one of its numeric attributes
    (the tobacco case's contribution, compliance, capability; region is text)."""
    from tests.helpers import CUSTOMER_SECTIONS

    with_customers = PURCHASE_YAML.replace("referrals: nps_recommend}", "referrals: nps_recommend, size: customer.contribution}") + CUSTOMER_SECTIONS
    settings = load_config(with_customers, "store.yaml").section("analysis")
    assert settings.params_for("customer_value")["components"]["size"] == "customer.contribution"
    found = problems(with_customers.replace("size: customer.contribution", "size: customer.region"))
    assert found == ["store.yaml:44: analysis.customer_value.components.size: 'customer.region': the customers section declares no numeric attribute 'region' (numeric: capability, compliance, contribution)"]
    # without a customers section the stored customers' attributes are checked when it runs
    assert load_config(PURCHASE_YAML.replace("referrals: nps_recommend}", "referrals: nps_recommend, size: customer.anything}"), "store.yaml")
