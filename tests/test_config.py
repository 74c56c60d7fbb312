"""Tenant YAML: accepted documents, resolved documents, and precise errors with file:line: path."""

import textwrap

import pytest

from core.config import MAX_BYTES, ConfigError, build_config, load_config, read_yaml
from core.model import ScaleKind
from core.plugins import IndustryRegistry, get_plugin_manager

SCALES = """
scales:
  sat4:
    kind: ordinal
    options:
      - {code: A, label: Satisfied, label_zh: 满意, score: 4, satisfied: true}
      - {code: B, label: Fairly satisfied, label_zh: 比较满意, score: 3, satisfied: true}
      - {code: C, label: Fairly dissatisfied, label_zh: 比较不满意, score: 2}
      - {code: D, label: Dissatisfied, label_zh: 不满意, score: 1}
  ten: {kind: numeric, min: 0, max: 10}
  nps: {kind: nps}
"""

GOOD = "version: 1\n" + SCALES + """
indicator_set:
  code: store-csi
  name: Store satisfaction
  children:
    - code: environment
      weight: 0.4
      children:
        - {code: env_overall, weight: 1.0, scale: sat4, touchpoint: store_floor}
    - code: checkout
      weight: 0.6
      children:
        - {code: speed, weight: 0.5, scale: sat4}
        - {code: noise, weight: 0.5, scale: ten, reverse: true}
"""


def issues(text, file="t.yaml", **kw):
    with pytest.raises(ConfigError) as info:
        load_config(text, file, **kw)
    return [str(i) for i in info.value.issues]


@pytest.fixture(scope="module")
def registry():
    return IndustryRegistry(get_plugin_manager())


def test_valid_document_builds_the_tree_and_scales():
    config = load_config(GOOD, "t.yaml")
    iset = config.indicator_set
    assert iset.code == "store-csi"
    assert [q.code for q in iset.questions] == ["env_overall", "speed", "noise"]
    assert iset.scales["sat4"].kind is ScaleKind.ORDINAL and iset.scales["sat4"].min == 1 and iset.scales["sat4"].max == 4
    assert iset.node("noise").reverse is True
    # global weight = product of weights down the tree: checkout 0.6 × noise 0.5
    assert iset.global_weights() == pytest.approx({"env_overall": 0.4, "speed": 0.3, "noise": 0.3})


def test_resolved_document_rebuilds_the_same_model():
    config = load_config(GOOD, "t.yaml")
    assert build_config(config.document).indicator_set == config.indicator_set


def test_weights_summing_to_point_nine_are_refused_with_line_and_path():
    # line 18 is where the sibling list starts ("- code: environment")
    bad = GOOD.replace("weight: 0.6", "weight: 0.5")
    assert issues(bad) == ["t.yaml:18: indicator_set.children: sibling weights sum to 0.9, not 1"]


def test_weight_tolerance_is_one_in_a_million():
    load_config(GOOD.replace("weight: 0.6", "weight: 0.6000005"), "t.yaml")
    with pytest.raises(ConfigError):
        load_config(GOOD.replace("weight: 0.6", "weight: 0.600002"), "t.yaml")


def test_unknown_scale_names_the_known_ones():
    bad = GOOD.replace("scale: ten", "scale: tenn")
    assert issues(bad) == ["t.yaml:26: indicator_set.children.1.children.1.scale: unknown scale 'tenn' (known: nps, sat4, ten)"]


def test_duplicate_code_is_refused():
    bad = GOOD.replace("code: speed", "code: env_overall")
    assert issues(bad) == ["t.yaml:25: indicator_set.children.1.children.0.code: duplicate code 'env_overall'"]


def test_bad_type_and_unknown_field_are_reported_together_and_missing_field():
    bad = GOOD.replace("weight: 0.4", "weight: heavy").replace("reverse: true", "reverse: true, colour: red")
    found = issues(bad)
    assert found == [
        "t.yaml:19: indicator_set.children.0.weight: must be a number",
        "t.yaml:26: indicator_set.children.1.children.1.colour: unknown field",
    ]
    assert issues(GOOD.replace("  code: store-csi\n", "")) == ["t.yaml:15: indicator_set.code: required field is missing"]


# An unknown scale (line 21), a duplicate code (line 25) and weights summing to 0.9 (the
# list starting on line 18): three independent problems of the tree.
THREE_PROBLEMS = (
    GOOD.replace("scale: sat4, touchpoint", "scale: sat9, touchpoint")
    .replace("code: speed", "code: env_overall")
    .replace("weight: 0.6", "weight: 0.5")
)
THREE_ISSUES = [
    "t.yaml:18: indicator_set.children: sibling weights sum to 0.9, not 1",
    "t.yaml:21: indicator_set.children.0.children.0.scale: unknown scale 'sat9' (known: nps, sat4, ten)",
    "t.yaml:25: indicator_set.children.1.children.0.code: duplicate code 'env_overall'",
]


def test_every_problem_of_the_tree_is_reported_together():
    assert issues(THREE_PROBLEMS) == THREE_ISSUES


def test_every_node_that_cannot_be_built_is_reported():
    both = "      scale: sat4\n"
    bad = GOOD.replace("- code: environment\n      weight: 0.4\n", "- code: environment\n      weight: 0.4\n" + both).replace(
        "- code: checkout\n      weight: 0.6\n", "- code: checkout\n      weight: 0.6\n" + both
    )
    assert issues(bad) == [
        "t.yaml:20: indicator_set.children.0.scale: a node has either children or a scale, not both",
        "t.yaml:25: indicator_set.children.1.scale: a node has either children or a scale, not both",
    ]


def test_node_with_both_children_and_scale_is_refused():
    bad = GOOD.replace("- code: environment\n      weight: 0.4\n", "- code: environment\n      weight: 0.4\n      scale: sat4\n")
    assert issues(bad) == ["t.yaml:20: indicator_set.children.0.scale: a node has either children or a scale, not both"]


def test_omitted_weights_mean_equal_weights_but_a_partial_set_is_an_error():
    text = "version: 1\n" + SCALES + "indicator_set:\n  code: x\n  children:\n    - {code: a, scale: sat4}\n    - {code: b, scale: sat4}\n    - {code: c, scale: sat4}\n"
    iset = load_config(text).indicator_set
    assert [q.weight for q in iset.questions] == pytest.approx([1 / 3] * 3)
    partial = text.replace("{code: a, scale: sat4}", "{code: a, scale: sat4, weight: 0.5}")
    assert any("children.1.weight: weight is missing" in i for i in issues(partial))


def test_text_questions_take_no_weight():
    text = "version: 1\nscales:\n  t: {kind: text}\n  n: {kind: nps}\nindicator_set:\n  code: x\n  children:\n    - {code: a, scale: n, weight: 1}\n    - {code: why, scale: t, weight: 0.2}\n"
    assert issues(text) == ["t.yaml:9: indicator_set.children.1.weight: an open (text) question is not scored and takes no weight"]
    ok = load_config(text.replace(", weight: 0.2", "")).indicator_set
    assert [q.code for q in ok.scored_questions] == ["a"]


def test_scale_errors_point_into_the_scale():
    text = GOOD.replace("ten: {kind: numeric, min: 0, max: 10}", "ten: {kind: numeric, min: 10, max: 0}")
    assert issues(text) == ["t.yaml:11: scales.ten.max: max (0.0) must be greater than min (10.0)"]
    dup = GOOD.replace("{code: B, label: Fairly satisfied", "{code: A, label: Fairly satisfied")
    assert issues(dup) == ["t.yaml:8: scales.sat4.options.1.code: duplicate option code 'A'"]


def test_version_must_be_one():
    assert issues(GOOD.replace("version: 1", "version: 2")) == ["t.yaml:1: version: only format version 1 is supported"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: &x [1, 2]\nb: *x\n", "t.yaml:2: (document): anchors and aliases (*name) are not allowed"),
        ("a: !!python/object/apply:os.system ['true']\n", "t.yaml:1: (document): tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
        ("a: 1\na: 2\n", "t.yaml:2: (document): duplicate key 'a'"),
        ("a: [1,\n", "t.yaml:2: (document): invalid YAML: while parsing a flow node did not find expected node content"),
        ("[" * 60 + "]" * 60, "t.yaml:1: (document): nesting deeper than 50 levels"),
        ("", "t.yaml:1: (document): document is empty"),
        ("- 1\n", "t.yaml:1: (document): a configuration document must be a mapping with version, scales, indicator_set, customers, services, analysis, calendars and commitments"),
    ],
)
def test_hostile_and_broken_yaml_is_refused_precisely(text, expected):
    assert issues(text) == [expected]


def test_control_characters_are_refused_not_crashed_on():
    found = issues("version: 1\nname: a\x1fb\n")
    assert found == ["t.yaml:2: (document): invalid YAML: the character U+001F is not allowed in a YAML document"]


def test_oversized_document_is_refused_before_parsing():
    text = "version: 1\n#" + "x" * MAX_BYTES
    assert issues(text) == [f"t.yaml: (document): document is larger than the limit of {MAX_BYTES} bytes"]


def test_reader_records_lines_of_nested_paths():
    doc = read_yaml("a:\n  b:\n    - x\n    - y\n")
    assert doc.line_of(("a", "b", 1)) == 4
    assert doc.line_of(("a", "b", 7, "nope")) == 3  # nearest known ancestor


# --- templates from plugins ------------------------------------------------------------


def test_retail_template_by_reference_with_overrides(registry):
    text = textwrap.dedent(
        """\
        version: 1
        industry: retail
        indicator_set:
          template: supermarket-csi
          name: Our survey
          overrides:
            service: {weight: 0.15}
            checkout: {weight: 0.35}
            q09_queue_time: {question: "How long did you queue?"}
        """
    )
    config = load_config(text, "mine.yaml", registry.template)
    iset = config.indicator_set
    assert iset.name == "Our survey"
    assert iset.node("service").weight == 0.15 and iset.node("checkout").weight == 0.35
    assert iset.node("q09_queue_time").question == "How long did you queue?"
    assert config.document["template"] == {"industry": "retail", "code": "supermarket-csi"}
    # the stored document is self-contained: it rebuilds without the plugin
    assert build_config(config.document).indicator_set == iset


def test_template_overrides_that_break_the_weights_point_at_the_override(registry):
    text = "version: 1\nindustry: retail\nindicator_set:\n  template: supermarket-csi\n  overrides:\n    service: {weight: 0.5}\n"
    found = issues(text, "mine.yaml", templates=registry.template)
    assert len(found) == 1
    assert found[0].startswith("mine.yaml:6: indicator_set.overrides.service.weight: sibling weights sum to 1.25, not 1 (siblings: ")


def test_unknown_template_node_and_unknown_template(registry):
    text = "version: 1\nindustry: retail\nindicator_set:\n  template: supermarket-csi\n  overrides:\n    nope: {weight: 0.5}\n"
    assert issues(text, templates=registry.template) == ["t.yaml:6: indicator_set.overrides.nope: template 'supermarket-csi' has no node 'nope'"]
    text = "version: 1\nindustry: retail\nindicator_set:\n  template: bakery\n"
    assert issues(text, templates=registry.template) == ["t.yaml:4: indicator_set.template: industry 'retail' has no template 'bakery'"]
    text = "version: 1\nindicator_set:\n  template: supermarket-csi\n"
    assert issues(text, templates=registry.template) == ["t.yaml:3: indicator_set.template: a template needs `industry:` naming the plugin that provides it"]


def test_tenant_scales_replace_template_scales(registry):
    text = textwrap.dedent(
        """\
        version: 1
        industry: retail
        scales:
          queue3:
            kind: ordinal
            options:
              - {code: A, label: No queue, score: 3, satisfied: true}
              - {code: B, label: Short queue, score: 2, satisfied: true}
              - {code: C, label: Long wait, score: 1}
        indicator_set:
          template: supermarket-csi
        """
    )
    iset = load_config(text, "t.yaml", registry.template).indicator_set
    assert iset.scales["queue3"].satisfied_codes == frozenset({"A", "B"})
