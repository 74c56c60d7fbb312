"""The indicator set's marks for the analyses: `role: overall`, `expectation_of`, `peak_end`.

Each is checked when the configuration is built, with the YAML path and line of the node
carrying the mark; a question of weight 0 stays out of the CSI yet is analysed.
"""

from __future__ import annotations

import pytest

from core.config import ConfigError, load_config

BASE = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
  comment: {kind: text}
indicator_set:
  code: estate
  children:
    - code: sales
      weight: 0.5
      peak_end: peak
      children:
        - {code: sign, weight: 0.5, scale: ten}
        - {code: sign_exp, weight: 0, scale: ten, expectation_of: sign}
        - {code: hand, weight: 0.5, scale: ten}
    - code: service
      weight: 0.5
      peak_end: end
      children:
        - {code: fix, scale: ten}
        - {code: fee, scale: ten}
    - {code: overall, weight: 0, scale: ten, role: overall}
    - {code: note, scale: comment}
"""


def test_the_marks_are_read_into_the_model():
    iset = load_config(BASE, "e.yaml").indicator_set
    assert iset.overall == "overall"
    assert iset.expectation_pairs == {"sign": "sign_exp"}
    assert iset.peak_end_stages() == ({"sales": ["sign", "hand"], "service": ["fix", "fee"]}, ["sales"], "service")
    assert iset.global_weights()["overall"] == 0 and iset.global_weights()["sign_exp"] == 0


def test_a_group_of_weight_0_is_no_stage_of_the_journey():
    """A loyalty group asked beside the stages but outside the CSI (weight 0) is not
    compared as a stage; a weight-0 group marked as a stage still is."""
    with_loyalty = BASE.replace(
        "    - {code: overall, weight: 0, scale: ten, role: overall}\n",
        "    - {code: overall, weight: 0, scale: ten, role: overall}\n"
        "    - code: loyalty\n      weight: 0\n      children:\n        - {code: again, weight: 1, scale: ten}\n",
    )
    iset = load_config(with_loyalty, "e.yaml").indicator_set
    assert iset.peak_end_stages() == ({"sales": ["sign", "hand"], "service": ["fix", "fee"]}, ["sales"], "service")
    marked = with_loyalty.replace("    - code: service\n      weight: 0.5\n      peak_end: end", "    - code: service\n      weight: 0.5").replace(
        "      weight: 0\n      children:\n        - {code: again", "      weight: 0\n      peak_end: end\n      children:\n        - {code: again")
    iset = load_config(marked, "e.yaml").indicator_set
    assert iset.peak_end_stages() == ({"sales": ["sign", "hand"], "service": ["fix", "fee"], "loyalty": ["again"]}, ["sales"], "loyalty")


def test_the_resolved_document_keeps_the_marks():
    config = load_config(BASE, "e.yaml")
    children = config.document["indicator_set"]["children"]
    assert children[0]["peak_end"] == "peak" and children[0]["children"][1]["expectation_of"] == "sign" and children[2]["role"] == "overall"
    document = {k: v for k, v in config.document.items() if k != "format_version"}
    assert load_config(__import__("yaml").safe_dump(document, allow_unicode=True), "again.yaml").indicator_set == config.indicator_set


@pytest.mark.parametrize("old,new,where,message", [
    ("expectation_of: sign}", "expectation_of: nope}", (13, "indicator_set.children.0.children.1.expectation_of"), "unknown question 'nope'"),
    ("expectation_of: sign}", "expectation_of: sign_exp}", (13, "indicator_set.children.0.children.1.expectation_of"), "a question cannot be the expectation of itself"),
    ("expectation_of: sign}", "expectation_of: service}", (13, "indicator_set.children.0.children.1.expectation_of"), "'service' is a group; name the experience question"),
    ("expectation_of: sign}", "expectation_of: note}", (13, "indicator_set.children.0.children.1.expectation_of"), "both questions of an expectation pair must be scored"),
    ("{code: hand, weight: 0.5, scale: ten}", "{code: hand, weight: 0.5, scale: ten, expectation_of: sign_exp}", (14, "indicator_set.children.0.children.2.expectation_of"), "'sign_exp' is itself an expectation question"),
    ("{code: fee, scale: ten}", "{code: fee, scale: ten, expectation_of: sign}", (20, "indicator_set.children.1.children.1.expectation_of"), "'sign' already has the expectation question 'sign_exp'"),
    ("{code: fix, scale: ten}", "{code: fix, scale: ten, role: overall}", (21, "indicator_set.children.2.role"), "only one question can be the overall question; 'fix' already is"),
    ("role: overall}", "role: best}", (21, "indicator_set.children.2.role"), "Must be one of: overall."),
    ("{code: note, scale: comment}", "{code: note, scale: comment, role: overall}", (22, "indicator_set.children.3.role"), "the overall question must be scored"),
    ("peak_end: end", "peak_end: peak", (10, "indicator_set.children.0.peak_end"), "no stage is marked `peak_end: end`"),
    ("peak_end: peak", "peak_end: middle", (10, "indicator_set.children.0.peak_end"), "Must be one of: peak, end."),
    ("role: overall}", "role: overall, peak_end: end}", (21, "indicator_set.children.2.peak_end"), "peak_end is peak or end, on a group"),
    ("    - {code: note, scale: comment}\n", "    - {code: note, scale: comment}\n    - {code: more, weight: 0, peak_end: end, children: [{code: m1, scale: ten}]}\n", (23, "indicator_set.children.4.peak_end"), "only one stage can be the end; 'service' already is"),
    ("        - {code: fee, scale: ten}\n", "        - {code: fee, scale: ten}\n        - {code: sub, peak_end: peak, children: [{code: s1, scale: ten}]}\n", (21, "indicator_set.children.1.children.2.peak_end"), "the peak and end stages must be sibling groups"),
])
def test_a_wrong_mark_is_refused_at_its_path(old, new, where, message):
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load_config(BASE.replace(old, new, 1), "e.yaml")
    found = [(i.line, i.dotted, i.message) for i in caught.value.issues]
    assert any((line, path) == where and message in text for line, path, text in found), found
