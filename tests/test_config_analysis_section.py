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
