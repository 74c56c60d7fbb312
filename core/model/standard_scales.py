"""Rating scales the source cases define for any industry, ready to reuse.

``SAT4`` is the four-option questionnaire scale (A 满意 … D 不满意, seed 000's supermarket
questionnaire); ``SAT5`` and ``SAT7`` are the five and seven satisfaction levels (满意级度)
of seed 002. Scores run from 1 (很不满意) upward; the top levels count as satisfied.
"""

from __future__ import annotations

from core.model.scale import Scale, ScaleKind, ScaleOption

SAT4 = Scale(
    "sat4",
    ScaleKind.ORDINAL,
    (
        ScaleOption("A", 4, "Satisfied", "满意", True),
        ScaleOption("B", 3, "Fairly satisfied", "比较满意", True),
        ScaleOption("C", 2, "Fairly dissatisfied", "比较不满意"),
        ScaleOption("D", 1, "Dissatisfied", "不满意"),
    ),
    name="Four-option satisfaction",
    name_zh="四级满意度",
)

SAT5 = Scale(
    "sat5",
    ScaleKind.ORDINAL,
    (
        ScaleOption("5", 5, "Very satisfied", "很满意", True),
        ScaleOption("4", 4, "Satisfied", "满意", True),
        ScaleOption("3", 3, "Neutral", "一般"),
        ScaleOption("2", 2, "Dissatisfied", "不满意"),
        ScaleOption("1", 1, "Very dissatisfied", "很不满意"),
    ),
    name="Five satisfaction levels",
    name_zh="五个级度",
)

SAT7 = Scale(
    "sat7",
    ScaleKind.ORDINAL,
    (
        ScaleOption("7", 7, "Very satisfied", "很满意", True),
        ScaleOption("6", 6, "Satisfied", "满意", True),
        ScaleOption("5", 5, "Fairly satisfied", "较满意", True),
        ScaleOption("4", 4, "Neutral", "一般"),
        ScaleOption("3", 3, "Somewhat dissatisfied", "不太满意"),
        ScaleOption("2", 2, "Dissatisfied", "不满意"),
        ScaleOption("1", 1, "Very dissatisfied", "很不满意"),
    ),
    name="Seven satisfaction levels",
    name_zh="七个级度",
)

STANDARD_SCALES = {s.code: s for s in (SAT4, SAT5, SAT7)}
