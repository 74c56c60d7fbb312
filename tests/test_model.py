"""Domain objects refuse broken values on creation; the standard scales match the sources."""

import pytest

from core.model import (
    Indicator,
    IndicatorSet,
    ModelError,
    Scale,
    ScaleOption,
    Stage,
    Touchpoint,
    TouchpointCatalogue,
)
from core.model.standard_scales import SAT4, SAT5, SAT7


def test_standard_scales_follow_the_seed_wording_and_normalise_linearly():
    assert [o.label_zh for o in SAT7.options] == ["很满意", "满意", "较满意", "一般", "不太满意", "不满意", "很不满意"]
    assert [o.label_zh for o in SAT5.options] == ["很满意", "满意", "一般", "不满意", "很不满意"]
    assert [o.label_zh for o in SAT4.options] == ["满意", "比较满意", "比较不满意", "不满意"]
    # (4 − 1) / (7 − 1) × 100 = 50: 一般 sits in the middle of seven levels
    assert SAT7.normalise(4) == 50.0
    # reverse mirrors: B (3) on 1..4 → 66.67, reversed → 33.33
    assert SAT4.normalise(3) == pytest.approx(66.6667, abs=1e-4)
    assert SAT4.normalise(3, reverse=True) == pytest.approx(33.3333, abs=1e-4)
    assert SAT4.option_code("比较满意") == "B" and SAT4.option_code(" fairly SATISFIED ") == "B"
    assert SAT4.option_code("E") is None


def test_scale_invariants():
    with pytest.raises(ModelError, match="at least two options"):
        Scale("x", "ordinal", (ScaleOption("A", 1),))
    with pytest.raises(ModelError, match="must not all be equal"):
        Scale("x", "ordinal", (ScaleOption("A", 1), ScaleOption("B", 1)))
    with pytest.raises(ValueError):
        Scale("x", "likert")
    assert Scale("n", "nps").max == 10.0


def test_indicator_set_invariants():
    q = lambda code, w=1.0: Indicator(code, w, scale="s")  # noqa: E731
    scales = {"s": SAT4.__class__("s", "numeric", min=0, max=1)}
    with pytest.raises(ModelError) as info:
        IndicatorSet("x", (q("a", 0.5), q("b", 0.4)), scales)
    assert info.value.path == ("children",) and "sum to 0.9" in info.value.message
    deep = q("leaf")
    for i in range(21):
        deep = Indicator(f"g{i}", 1.0, children=(deep,))
    with pytest.raises(ModelError, match="deeper than 20"):
        IndicatorSet("x", (deep,), scales)
    with pytest.raises(ModelError, match="either children or a scale"):
        Indicator("a", 1.0, children=(q("b"),), scale="s")
    with pytest.raises(ModelError, match="weight must be a finite number"):
        Indicator("a", -0.1, scale="s")


def test_touchpoint_codes_are_unique_per_catalogue():
    tp = Touchpoint("desk", "Desk")
    with pytest.raises(ModelError, match="duplicate touchpoint code 'desk'") as info:
        TouchpointCatalogue("x", (Stage("a", "A", touchpoints=(tp,)), Stage("b", "B", touchpoints=(tp,))))
    assert info.value.path == ("stages", 1, "touchpoints", 0, "code")
