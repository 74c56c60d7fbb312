"""Property checks on random data: grouping is consistent with scoring subsets, and the
vectorised engine agrees with a slow, obviously-correct reference written per respondent."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from core.model import Indicator, IndicatorSet, Scale, ScaleOption
from core.scoring import score

SEEDS = [1, 2, 3, 4, 5]


def random_set() -> IndicatorSet:
    """Three branches, one nested, mixing ordinal (one reversed), numeric and nps."""
    sat4 = Scale("sat4", "ordinal", tuple(ScaleOption(c, s, satisfied=s >= 3) for c, s in zip("ABCD", (4, 3, 2, 1))))
    three = Scale("three", "ordinal", (ScaleOption("fast", 3), ScaleOption("ok", 2), ScaleOption("slow", 0)))
    scales = {"sat4": sat4, "three": three, "ten": Scale("ten", "numeric", min=1, max=10), "nps": Scale("nps", "nps")}
    return IndicatorSet(
        "random",
        (
            Indicator(
                "G1",
                0.5,
                children=(
                    Indicator("A1", 0.6, scale="sat4"),
                    Indicator(
                        "G11",
                        0.4,
                        children=(Indicator("A2", 0.25, scale="three"), Indicator("A3", 0.75, scale="sat4", reverse=True)),
                    ),
                ),
            ),
            Indicator("G2", 0.3, children=(Indicator("B1", 0.5, scale="ten"), Indicator("B2", 0.5, scale="nps"))),
            Indicator("C1", 0.2, scale="sat4"),
        ),
        scales,
    )


def random_responses(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values, blank):
        out = np.array(values, dtype=object)[rng.integers(0, len(values), n)]
        out[rng.random(n) < blank] = None
        return out

    frame = pd.DataFrame(
        {
            "segment": pick(["north", "south", "east", "west"], 0.05),
            "touchpoint": pick(["store", "web"], 0.0),
            "collected_at": pd.Timestamp("2025-11-01") + pd.to_timedelta(rng.integers(0, 150, n), unit="D"),
            "A1": pick(list("ABCD"), 0.2),
            "A2": pick(["fast", "ok", "slow"], 0.3),
            "A3": pick(list("ABCD"), 0.3),
            "B1": np.where(rng.random(n) < 0.25, np.nan, rng.integers(1, 11, n).astype(float)),
            "B2": np.where(rng.random(n) < 0.25, np.nan, rng.integers(0, 11, n).astype(float)),
            "C1": pick(list("ABCD"), 0.4),
        }
    )
    # Some respondents skip whole branches.
    frame.loc[rng.random(n) < 0.15, ["B1", "B2"]] = np.nan
    frame.loc[rng.random(n) < 0.1, ["A1", "A2", "A3"]] = None
    return frame


@pytest.mark.parametrize("seed", SEEDS)
def test_each_group_scores_like_its_own_subset(seed):
    iset = random_set()
    frame = random_responses(seed)
    grouped = score(frame, iset, by=["segment", "period"], period="quarter")
    quarters = frame["collected_at"].dt.to_period("Q").astype(str)  # e.g. "2025Q4"
    seen = 0
    for label, group in grouped.groups.items():
        segment, quarter = label.split(" | ")
        mask = (frame["segment"].isna() if segment == "(missing)" else frame["segment"].eq(segment)) & quarters.eq(
            quarter
        )
        alone = score(frame[mask], iset)
        seen += int(mask.sum())
        assert group.n == alone.n
        assert group.csi == pytest.approx(alone.csi, abs=1e-9)
        if alone.margin_of_error is None:
            assert group.margin_of_error is None
        else:
            assert group.margin_of_error == pytest.approx(alone.margin_of_error, abs=1e-9)
        for code, node in group.nodes.items():
            assert node.n == alone.nodes[code].n
            assert (node.score is None) == (alone.nodes[code].score is None)
            if node.score is not None:
                assert node.score == pytest.approx(alone.nodes[code].score, abs=1e-9)
    assert seen == len(frame)


# --- a slow reference, one respondent at a time -----------------------------------------------
def _reference_node(node, answers, iset):
    """Score of ``node`` from a dict of one respondent's (or one group's) question scores."""
    if node.is_question:
        return answers.get(node.code)
    parts = [(c.weight, _reference_node(c, answers, iset)) for c in node.children]
    parts = [(w, s) for w, s in parts if s is not None]
    total = sum(w for w, _ in parts)
    return sum(w * s for w, s in parts) / total if parts and total > 0 else None


def _reference(frame, iset):
    root = Indicator("root", 1.0, children=iset.children)
    per_question = {}
    indices = []
    for _, row in frame.iterrows():
        mine = {}
        for q in iset.scored_questions:
            raw = row[q.code]
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                continue
            scale = iset.scales[q.scale]
            value = scale.option_scores[raw] if scale.options else float(raw)
            mine[q.code] = scale.normalise(value, q.reverse)
            per_question.setdefault(q.code, []).append(mine[q.code])
        index = _reference_node(root, mine, iset)
        if index is not None:
            indices.append(index)
    means = {code: statistics.fmean(v) for code, v in per_question.items()}
    csi = _reference_node(root, means, iset)
    moe = 1.96 * statistics.stdev(indices) / math.sqrt(len(indices))
    return csi, moe, means


@pytest.mark.parametrize("seed", SEEDS)
def test_engine_matches_a_per_respondent_reference(seed):
    iset = random_set()
    frame = random_responses(seed, n=200)
    result = score(frame, iset)
    csi, moe, means = _reference(frame, iset)
    assert result.csi == pytest.approx(csi, abs=1e-9)
    assert result.margin_of_error == pytest.approx(moe, abs=1e-9)
    for code, mean in means.items():
        assert result.nodes[code].score == pytest.approx(mean, abs=1e-9)
