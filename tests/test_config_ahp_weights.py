"""AHP weights in the indicator set: judgements become the children's weights at validation.

Known answer worked by hand: staff = 2 × speed, speed = 2 × comfort, staff = 4 × comfort
is a consistent matrix; its principal eigenvector is (4, 2, 1) / 7, λmax = 3, CR = 0.
"""

import textwrap

import pytest

from core.config import ConfigError, build_config, load_config

HEAD = """version: 1
scales:
  ten: {kind: numeric, min: 0, max: 10}
  open: {kind: text}
indicator_set:
  code: csi
"""


def doc(body: str) -> str:
    return HEAD + textwrap.indent(textwrap.dedent(body), "  ")


CONSISTENT = doc("""
    children:
      - code: service
        weight: 0.6
        weights:
          method: ahp
          judgements: [[staff, speed, 2], [speed, comfort, 2], [staff, comfort, 4]]
        children:
          - {code: staff, scale: ten}
          - {code: speed, scale: ten}
          - {code: comfort, scale: ten}
          - {code: remarks, scale: open}
      - {code: price, weight: 0.4, scale: ten}
""")


def issues(text):
    with pytest.raises(ConfigError) as info:
        load_config(text, "w.yaml")
    return [str(i) for i in info.value.issues]


def test_judgements_become_the_childrens_weights_and_the_stored_document_holds_them():
    config = load_config(CONSISTENT, "w.yaml")
    iset = config.indicator_set
    assert iset.node("staff").weight == pytest.approx(4 / 7)
    assert iset.node("speed").weight == pytest.approx(2 / 7)
    assert iset.node("comfort").weight == pytest.approx(1 / 7)
    assert iset.node("remarks").weight == 0  # an open question takes no weight
    service = config.document["indicator_set"]["children"][0]
    assert "weights" not in service
    assert [c["weight"] for c in service["children"]] == pytest.approx([4 / 7, 2 / 7, 1 / 7, 0])
    rebuilt = build_config(config.document)
    assert rebuilt.indicator_set.node("staff").weight == pytest.approx(4 / 7)


def test_top_level_weights_and_several_experts():
    """Two experts on service/price: 2 and 8, geometric mean 4, so 0.8 / 0.2."""
    text = doc("""
        weights:
          method: ahp
          experts: [[[service, price, 2]], [[service, price, 8]]]
        children:
          - {code: service, scale: ten}
          - {code: price, scale: ten}
    """)
    iset = load_config(text).indicator_set
    assert iset.node("service").weight == pytest.approx(0.8) and iset.node("price").weight == pytest.approx(0.2)


INCONSISTENT = doc("""
    weights:
      method: ahp
      judgements: [[a, b, 2], [b, c, 2], [c, d, 2], [a, c, 4], [b, d, 4], [d, a, 8]]
    children:
      - {code: a, scale: ten}
      - {code: b, scale: ten}
      - {code: c, scale: ten}
      - {code: d, scale: ten}
""")


def test_an_inconsistent_panel_is_refused_naming_the_judgement_unless_allowed():
    (problem,) = issues(INCONSISTENT)
    assert problem.startswith("w.yaml:10: indicator_set.weights.judgements.5: consistency ratio ")
    assert "the most inconsistent judgement is a vs d (judged 1/8" in problem and "allow_inconsistent: true" in problem
    allowed = INCONSISTENT.replace("method: ahp", "method: ahp\n    allow_inconsistent: true")
    assert load_config(allowed).indicator_set.node("a").weight > 0


@pytest.mark.parametrize(
    "judgements, expected",
    [
        ("[[staff, speed, 2], [speed, comfort, 2], [staff, chairs, 4]]", "indicator_set.children.0.weights.judgements.2: unknown criterion 'chairs'; criteria: staff, speed, comfort"),
        ("[[staff, speed, 2], [speed, comfort, 2]]", "indicator_set.children.0.weights.judgements: pairs not judged: staff/comfort"),
        ("[[staff, speed, 2], [speed, comfort, 12], [staff, comfort, 4]]", "indicator_set.children.0.weights.judgements.1: 12 is outside Saaty's scale 1/9 .. 9"),
        ("[[staff, speed, 2], [speed, comfort, '1/10'], [staff, comfort, 4]]", "indicator_set.children.0.weights.judgements.1: 0.1 is outside Saaty's scale 1/9 .. 9"),
        ("[[staff, speed, 2], [speed, comfort, high], [staff, comfort, 4]]", "indicator_set.children.0.weights.judgements.1: the judgement must be a number from 1/9 to 9"),
        ("[[staff, speed, 2], [speed, staff, 2], [staff, comfort, 4]]", "indicator_set.children.0.weights.judgements.1: speed and staff are already compared in judgement 0"),
        ("[[staff, speed], [speed, comfort, 2], [staff, comfort, 4]]", "indicator_set.children.0.weights.judgements.0: a judgement is [a, b, how many times a is as important as b]"),
        ("[[staff, speed, 2], [speed, comfort, 2], [staff, remarks, 4]]", "indicator_set.children.0.weights.judgements.2: unknown criterion 'remarks'"),
    ],
)
def test_bad_judgements_are_refused_with_their_path(judgements, expected):
    text = CONSISTENT.replace("[[staff, speed, 2], [speed, comfort, 2], [staff, comfort, 4]]", judgements)
    (problem,) = issues(text)
    assert expected in problem


def test_a_child_weight_beside_ahp_and_ahp_on_a_question_are_refused():
    text = CONSISTENT.replace("{code: staff, scale: ten}", "{code: staff, scale: ten, weight: 0.5}")
    assert issues(text) == ["w.yaml:15: indicator_set.children.0.children.0.weight: weight is set by the group's AHP judgements (weights: method: ahp); remove it"]
    text = CONSISTENT.replace("- {code: price, weight: 0.4, scale: ten}", "- {code: price, weight: 0.4, scale: ten, weights: {method: ahp, judgements: [[a, b, 2]]}}")
    assert any("indicator_set.children.1.weights: weights: method: ahp gives a group's children" in p for p in issues(text))
    text = CONSISTENT.replace("method: ahp", "method: smart")
    assert any("indicator_set.children.0.weights.method: Must be one of: ahp." in p for p in issues(text))
    text = CONSISTENT.replace("judgements: [[staff", "experts: [[[staff, speed, 2]]]\n        judgements: [[staff")
    assert any("weights.judgements: give `judgements` (one expert) or `experts` (several), not both" in p for p in issues(text))
