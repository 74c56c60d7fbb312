"""The sectioned configuration: a registry of sections, every problem at once, stored
formats read forever, contributed defaults, and one compiled configuration per version."""

import json
from pathlib import Path

import pytest
from marshmallow import fields
from core.config import ConfigError, build_config, load_config
from core.config.compiled import CompiledConfigCache
from core.config.document import FORMAT_VERSION, UnknownFormat, migrate
from core.config.sections import CORE_SECTIONS, Section, SectionRegistry
from tests.helpers import SMALL
from tests.sample_plugins import TARGETS, Target

ROOT = Path(__file__).resolve().parent.parent
STORE_YAML = (ROOT / "config" / "examples" / "store.yaml").read_text(encoding="utf-8")
FORMAT_1 = json.loads((Path(__file__).parent / "data" / "store-format-1.json").read_text(encoding="utf-8"))



WITH_TARGETS = SectionRegistry((TARGETS, *CORE_SECTIONS))  # registered out of order on purpose


def problems(text, **kw):
    with pytest.raises(ConfigError) as info:
        load_config(text, "t.yaml", **kw)
    return [str(i) for i in info.value.issues]


def test_a_registered_section_is_checked_built_stored_and_rebuilt():
    text = SMALL + "targets:\n  - {question: q2, minimum: 80}\n"
    config = load_config(text, "t.yaml", sections=WITH_TARGETS)
    assert config.section("targets") == (Target(question="q2", minimum=80.0),)
    assert config.document["targets"] == [{"question": "q2", "minimum": 80.0}]
    assert config.summary()["targets"] == 1
    rebuilt = build_config(config.document, sections=WITH_TARGETS)
    assert rebuilt.section("targets") == config.section("targets")
    assert rebuilt.indicator_set == config.indicator_set


def test_sections_are_built_after_what_they_require():
    assert [s.name for s in WITH_TARGETS.sections] == ["scales", "indicator_set", "targets", "customers", "services", "analysis", "calendars", "commitments"]


def test_a_section_problem_names_its_line_and_path():
    text = SMALL + "targets:\n  - {question: q9, minimum: 80}\n"
    assert problems(text, sections=WITH_TARGETS) == ["t.yaml:10: targets.0.question: no question 'q9' in the indicator set"]


def test_shape_problems_of_every_section_are_reported_together():
    text = SMALL.replace("max: 10", "max: '10'") + "targets:\n  - {question: q2, minimum: high}\n"
    assert problems(text, sections=WITH_TARGETS) == [
        "t.yaml:3: scales.ten.max: must be a number, not the text '10' (remove the quotes)",
        "t.yaml:10: targets.0.minimum: must be a number",
    ]


def test_a_document_without_the_new_section_means_what_it_meant():
    plain = load_config(SMALL, "t.yaml")
    extended = load_config(SMALL, "t.yaml", sections=WITH_TARGETS)
    assert extended.document == plain.document and "targets" not in extended.document
    assert extended.section("targets") is None
    assert extended.indicator_set == plain.indicator_set


def test_unknown_sections_stay_errors_and_list_the_known_ones():
    assert problems(SMALL + "targets: []\n") == ["t.yaml:9: targets: unknown section (a document has: version, industry, source, scales, indicator_set, customers, services, analysis, calendars, commitments)"]


def test_the_registry_refuses_duplicates_missing_prerequisites_and_cycles():
    with pytest.raises(ValueError, match="registered twice"):
        SectionRegistry((*CORE_SECTIONS, CORE_SECTIONS[0]))
    with pytest.raises(ValueError, match="requires 'indicator_set', which is not registered"):
        SectionRegistry((TARGETS, CORE_SECTIONS[0]))
    a = Section(name="a", field=fields.Raw, build=lambda c, d: d, requires=("b",))
    b = Section(name="b", field=fields.Raw, build=lambda c, d: d, requires=("a",))
    with pytest.raises(ValueError, match="cycle: a → b → a"):
        SectionRegistry((a, b))


# --- stored formats ----------------------------------------------------------------------


def test_the_stored_document_carries_its_format():
    assert load_config(STORE_YAML, "store.yaml").document["format_version"] == FORMAT_VERSION == 2


def test_a_format_1_document_builds_exactly_as_its_format_2_form():
    """tests/data/store-format-1.json is what the loader stored for config/examples/store.yaml
    before sections (no format_version); it must rebuild the same model as today's upload."""
    assert "format_version" not in FORMAT_1
    old = build_config(FORMAT_1)
    new = load_config(STORE_YAML, "store.yaml")
    assert old.indicator_set == new.indicator_set
    assert old.scales == new.scales
    assert migrate(FORMAT_1) == {**FORMAT_1, "format_version": 2}
    assert new.document == {**FORMAT_1, "format_version": 2}


def test_a_document_of_a_newer_format_is_refused_clearly():
    with pytest.raises(UnknownFormat, match="format 3; this CSM reads formats up to 2"):
        build_config({**FORMAT_1, "format_version": 3})


# --- contributed defaults ----------------------------------------------------------------

SAT3 = {"kind": "ordinal", "options": [{"code": "good", "score": 3, "satisfied": True}, {"code": "ok", "score": 2}, {"code": "bad", "score": 1}]}
UNUSED = {"kind": "numeric", "min": 0, "max": 5}


def contributed(industry):
    return {"scales": {"sat3": SAT3, "five": UNUSED}}


def test_a_question_may_use_a_contributed_scale_and_the_version_keeps_its_definition():
    text = SMALL.replace("- {code: q2, scale: ten", "- {code: q2, scale: sat3")
    config = load_config(text, "t.yaml", defaults=contributed)
    assert set(config.scales) == {"ten", "sat3"}  # the unreferenced "five" stays out
    assert config.document["scales"]["sat3"]["options"][0] == {"code": "good", "score": 3.0, "satisfied": True}
    # the stored document rebuilds without the plugin that contributed the scale
    assert build_config(config.document).scales["sat3"] == config.scales["sat3"]


def test_a_scale_the_tenant_defines_replaces_the_contributed_one():
    own = "  sat3: {kind: numeric, min: 1, max: 3}\n"
    text = SMALL.replace("scales:\n", "scales:\n" + own).replace("- {code: q2, scale: ten", "- {code: q2, scale: sat3")
    config = load_config(text, "t.yaml", defaults=contributed)
    assert config.scales["sat3"].kind.value == "numeric"


def test_without_defaults_an_undefined_scale_is_still_an_error():
    text = SMALL.replace("- {code: q2, scale: ten", "- {code: q2, scale: sat3")
    assert any("sat3" in p for p in problems(text))


# --- the compiled-configuration cache ------------------------------------------------------


def test_each_stored_version_is_compiled_once():
    cache = CompiledConfigCache(max_entries=2)
    document = load_config(SMALL, "t.yaml").document
    first = cache.get(("db", 1, 1), document)
    assert cache.get(("db", 1, 1), document) is first
    assert cache.builds == 1
    cache.get(("db", 2, 1), document)
    cache.get(("other-db", 1, 1), document)
    assert cache.builds == 3
    cache.get(("db", 1, 1), document)  # dropped as least recently used (2 entries kept)
    assert cache.builds == 4


# --- numbers are numbers, tags are plain ---------------------------------------------------


@pytest.mark.parametrize(
    "change, expected",
    [
        (("weight: 0.5}", "weight: '0.5'}", 1), "t.yaml:7: indicator_set.children.0.weight: must be a number, not the text '0.5' (remove the quotes)"),
        (("weight: 0.5}", "weight: true}", 1), "t.yaml:7: indicator_set.children.0.weight: must be a number"),
        (("max: 10", "max: 1e3"), "t.yaml:3: scales.ten.max: must be a number, not the text '1e3' (YAML reads an exponent without a sign as text: write 1.0e+3)"),
        (("min: 0, max: 10", "min: -1.7e+308, max: 1.7e+308"), "t.yaml:3: scales.ten.max: the range max − min (1.7e+308 − -1.7e+308) is too wide to normalise answers; narrow it"),
        (("code: small", "code: !!binary c21hbGw="), "t.yaml:5: indicator_set.code: tag 'tag:yaml.org,2002:binary' is not allowed (only plain strings, numbers, booleans, null and dates)"),
        (("max: 10", "max: " + "9" * 4400), "t.yaml:3: scales.ten.max: the value cannot be read as int: an integer of more than 4300 digits"),
    ],
)
def test_values_are_taken_as_written_never_coerced(change, expected):
    assert problems(SMALL.replace(*change)) == [expected]


# --- the cost of a refusal -----------------------------------------------------------------

HEAD = "version: 1\nscales: {t: {kind: numeric, min: 0, max: 10}}\nindicator_set:\n  code: x\n  children:\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (HEAD + "".join(f"    - {{code: q{i}, scale: t}}\n" for i in range(30000)), "t.yaml:1006: (document): more than 1000 items in one list (starting at line 6)"),
        ("version: 1\n" + "".join(f"k{i}: 1\n" for i in range(80000)), "t.yaml:1001: (document): more than 1000 keys in one mapping (starting at line 1)"),
        (
            HEAD + "".join("    - {code: g%d, children: [%s]}\n" % (j, ", ".join(f"{{code: q{j}_{i}, scale: t}}" for i in range(400))) for j in range(60)),
            "t.yaml:55: (document): more than 100000 values in the document",
        ),
    ],
)
def test_a_structural_limit_stops_reading_where_it_is_passed(text, expected):
    import tracemalloc

    tracemalloc.start()
    try:
        assert problems(text) == [expected]
        assert tracemalloc.get_traced_memory()[1] < 50_000_000
    finally:
        tracemalloc.stop()


def test_at_most_100_problems_are_listed_and_all_are_counted():
    fields_ = "".join(f", x{i}: 1" for i in range(150))
    text = HEAD + "    - {code: q, scale: t" + fields_ + "}\n"
    with pytest.raises(ConfigError) as info:
        load_config(text, "t.yaml")
    assert info.value.total == 150 and len(info.value.issues) == 100
    assert info.value.headline == "150 problem(s) (the first 100 listed)"
