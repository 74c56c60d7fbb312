"""Rating scales the source cases define for any industry, ready to reuse.

``SAT4`` is the four-option questionnaire scale (A 满意 … D 不满意, seed 000's supermarket
questionnaire); ``SAT5`` and ``SAT7`` are the five and seven satisfaction levels (满意级度)
of seed 002. Scores run from 1 (很不满意) upward; the top levels count as satisfied.
``KANO`` is the five-answer KANO scale (Berger et al. 1993) whose option codes
``core.analysis.kano`` classifies; its scores order the answers from like (5) to dislike
(1) and none counts as satisfied: KANO questions are asked for the classification, so a
tenant gives them weight 0 (analysed, not part of the CSI).

The core's built-in plugin (``core.builtins``) registers them for every tenant through
``csm_register_scales``, as fallbacks: a plugin's scale of the same code replaces them.
"""

from __future__ import annotations

from core.model.scale import Scale, ScaleKind, ScaleOption

SAT4 = Scale(
    code="sat4",
    kind=ScaleKind.ORDINAL,
    options=(
        ScaleOption(code="A", score=4, label="Satisfied", label_zh="满意", satisfied=True),
        ScaleOption(code="B", score=3, label="Fairly satisfied", label_zh="比较满意", satisfied=True),
        ScaleOption(code="C", score=2, label="Fairly dissatisfied", label_zh="比较不满意"),
        ScaleOption(code="D", score=1, label="Dissatisfied", label_zh="不满意"),
    ),
    name="Four-option satisfaction",
    name_zh="四级满意度",
)

SAT5 = Scale(
    code="sat5",
    kind=ScaleKind.ORDINAL,
    options=(
        ScaleOption(code="5", score=5, label="Very satisfied", label_zh="很满意", satisfied=True),
        ScaleOption(code="4", score=4, label="Satisfied", label_zh="满意", satisfied=True),
        ScaleOption(code="3", score=3, label="Neutral", label_zh="一般"),
        ScaleOption(code="2", score=2, label="Dissatisfied", label_zh="不满意"),
        ScaleOption(code="1", score=1, label="Very dissatisfied", label_zh="很不满意"),
    ),
    name="Five satisfaction levels",
    name_zh="五个级度",
)

SAT7 = Scale(
    code="sat7",
    kind=ScaleKind.ORDINAL,
    options=(
        ScaleOption(code="7", score=7, label="Very satisfied", label_zh="很满意", satisfied=True),
        ScaleOption(code="6", score=6, label="Satisfied", label_zh="满意", satisfied=True),
        ScaleOption(code="5", score=5, label="Fairly satisfied", label_zh="较满意", satisfied=True),
        ScaleOption(code="4", score=4, label="Neutral", label_zh="一般"),
        ScaleOption(code="3", score=3, label="Somewhat dissatisfied", label_zh="不太满意"),
        ScaleOption(code="2", score=2, label="Dissatisfied", label_zh="不满意"),
        ScaleOption(code="1", score=1, label="Very dissatisfied", label_zh="很不满意"),
    ),
    name="Seven satisfaction levels",
    name_zh="七个级度",
)

KANO = Scale(
    code="kano",
    kind=ScaleKind.ORDINAL,
    options=(
        ScaleOption(code="like", score=5, label="I like it", label_zh="我很喜欢"),
        ScaleOption(code="must_be", score=4, label="It must be that way", label_zh="理所当然"),
        ScaleOption(code="neutral", score=3, label="I am neutral", label_zh="无所谓"),
        ScaleOption(code="live_with", score=2, label="I can live with it", label_zh="能忍受"),
        ScaleOption(code="dislike", score=1, label="I dislike it", label_zh="我很不喜欢"),
    ),
    name="KANO answers",
    name_zh="KANO 问卷答案",
)

STANDARD_SCALES = {s.code: s for s in (SAT4, SAT5, SAT7, KANO)}
