"""Synthetic survey responses for demos, tests and benchmarks (industry-neutral).

Each respondent gets a latent satisfaction; every scored question draws an answer near it
(ordinal: an option whose normalised score is close; numeric/nps: a rounded value), with a
share left blank. Attributes and periods are drawn independently. Vectorised with numpy
(no Python loop per response), and seeded, so the same call gives the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model import IndicatorSet, ScaleKind

BLANK_SHARE = 0.05  # of each scored question's answers left blank


def synthetic_responses(
    iset: IndicatorSet,
    n: int,
    seed: int = 7,
    attributes: dict[str, list[str]] | None = None,
    touchpoints: list[str] | None = None,
    start: str = "2026-01-01",
    months: int = 12,
    shifts: dict[str, dict[str, float]] | None = None,
) -> pd.DataFrame:
    """A wide response table in the CSV format (option codes, numbers, text).

    ``shifts`` nudges the latent satisfaction per attribute value (e.g. township stores
    −0.1), so breakdowns show differences worth looking at.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"response_id": [f"R{seed}-{i:07d}" for i in range(n)]})
    frame["customer_id"] = [f"C{v:06d}" for v in rng.integers(0, max(n // 2, 1), n)]
    latent = rng.beta(5, 2, n)
    if touchpoints:
        frame["touchpoint"] = rng.choice(touchpoints, n)
    base = pd.Timestamp(start, tz="UTC")
    offsets = rng.integers(0, int(months * 30.4 * 24 * 3600), n)
    frame["collected_at"] = (base + pd.to_timedelta(offsets, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name, values in (attributes or {}).items():
        frame[name] = rng.choice(values, n)
        for value, delta in ((shifts or {}).get(name) or {}).items():
            latent = np.where(frame[name].to_numpy() == value, latent + delta, latent)
    latent = np.clip(latent, 0.0, 1.0)
    first: tuple[str, np.ndarray] | None = None  # a scored question's values before blanking
    for q in iset.questions:
        scale = iset.scales[q.scale]
        if scale.kind is ScaleKind.TEXT:
            frame[q.code] = np.where(rng.random(n) < 0.1, "Faster checkout, please", None)
            continue
        target = np.clip(latent + rng.normal(0, 0.15, n), 0, 1)
        if q.reverse:
            target = 1 - target
        if scale.kind is ScaleKind.ORDINAL:
            codes = np.array([o.code for o in scale.options], dtype=object)
            norm = np.array([(o.score - scale.min) / (scale.max - scale.min) for o in scale.options])
            values = codes[np.abs(target[:, None] - norm[None, :]).argmin(axis=1)]
        else:
            values = np.round(scale.min + target * (scale.max - scale.min)).astype(float)
        values = values.astype(object)
        first = first or (q.code, values.copy())
        values[rng.random(n) < BLANK_SHARE] = None
        frame[q.code] = values
    if first is not None:  # a response answers at least one question (few questions, all blank)
        codes = [q.code for q in iset.questions]
        empty = frame[codes].isna().all(axis=1).to_numpy()
        frame.loc[empty, first[0]] = first[1][empty]
    return frame
