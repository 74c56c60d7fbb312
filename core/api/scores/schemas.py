"""What a score answer looks like (core.scoring.result ``to_dict``, plus what was scored:
``version`` and ``versions``).

Scores are 0..100 and ``null`` where no response has data; node codes and group labels
are the mapping keys, in tree order (nodes) and in sorted order (groups)."""

from marshmallow import fields, validate

from core.api.common import JsonShape

SCORE = {"description": "0..100 (rounded to 4 decimals); null when no response has data here."}
MARGIN = {"description": "95 % margin of error of the score: 1.96 × sd / √n of the respondents' values (a question's normalised answers; for a group, the CSI and a touchpoint each respondent's own index); null below 2 responses."}
LOW_N = {"description": "True when n is below the minimum (`min_n`): read the figure as indicative, not solid."}
RATE_MARGIN = {"description": "95 % margin of error of the satisfaction rate, 1.96 × √(p(1−p)/n); null without answers."}
NPS_MARGIN = {"description": "95 % margin of error of the NPS, 1.96 × 100 × √(var/n) with var = p_P(1−p_P) + p_D(1−p_D) + 2 p_P p_D; null without answers."}


class NodeValueSchema(JsonShape):
    """A score and the number of responses it rests on (touchpoints; nodes within a group)."""

    score = fields.Float(allow_none=True, metadata=SCORE)
    n = fields.Integer(metadata={"description": "Responses with data for this node."})
    margin_of_error = fields.Float(allow_none=True, metadata=MARGIN)
    low_n = fields.Boolean(metadata=LOW_N)
    satisfaction_rate = fields.Float(allow_none=True, metadata={"description": "Questions whose scale marks satisfied options: share (0..1) of answers among them."})
    satisfaction_rate_margin_of_error = fields.Float(allow_none=True, metadata=RATE_MARGIN)
    nps = fields.Float(allow_none=True, metadata={"description": "NPS questions: % promoters − % detractors, −100..100."})
    nps_margin_of_error = fields.Float(allow_none=True, metadata=NPS_MARGIN)


class DifferenceSchema(JsonShape):
    """One test of a difference (this period − the other)."""

    test = fields.String(validate=validate.OneOf(["welch_t", "two_proportion_z", "nps_z"]), metadata={"description": "Welch's t-test on respondent indices (scores), the two-proportion z-test (rates), z with the NPS variance formula (NPS)."})
    difference = fields.Float(allow_none=True, metadata={"description": "This group's figure minus the other's (score points; rate 0..1; NPS points); null when a side has fewer than 2 responses (1 for rates)."})
    margin_of_error = fields.Float(allow_none=True, metadata={"description": "95 % margin of error of the difference."})
    t = fields.Float(allow_none=True, metadata={"description": "Welch's t."})
    df = fields.Float(allow_none=True, metadata={"description": "Welch–Satterthwaite degrees of freedom."})
    z = fields.Float(allow_none=True, metadata={"description": "The z statistic (rates, NPS)."})
    p_value = fields.Float(allow_none=True, metadata={"description": "Two-sided p-value; null when nothing could be tested."})
    significant = fields.Boolean(metadata={"description": "p < 0.05."})
    n = fields.List(fields.Integer(), metadata={"description": "n of this group and of the other."})
    low_n = fields.Boolean(metadata={"description": "True when either n is below `min_n`."})


class NodeDifferenceSchema(JsonShape):
    score = fields.Nested(DifferenceSchema)
    satisfaction_rate = fields.Nested(DifferenceSchema, metadata={"description": "Questions whose scale marks satisfied options."})
    nps = fields.Nested(DifferenceSchema, metadata={"description": "NPS questions."})


class ComparisonSchema(JsonShape):
    """This group against the same group in another period."""

    with_ = fields.String(data_key="with", metadata={"description": "The label of the group compared with."})
    csi = fields.Nested(DifferenceSchema)
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeDifferenceSchema), metadata={"description": "Node code → the differences of its figures (open questions have none)."})


class NodeScoreSchema(JsonShape):
    """One node of the indicator tree over all responses."""

    score = fields.Float(allow_none=True, metadata=SCORE)
    n = fields.Integer(metadata={"description": "Responses with data for this node (for a group: beneath it)."})
    margin_of_error = fields.Float(allow_none=True, metadata=MARGIN)
    low_n = fields.Boolean(metadata=LOW_N)
    weight = fields.Float(metadata={"description": "The node's weight among its siblings, as configured (resolved)."})
    parent = fields.String(allow_none=True, metadata={"description": "Code of the parent group; null at the top level."})
    kind = fields.String(validate=validate.OneOf(["group", "question"]))
    satisfaction_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Questions only: share (0..1) of answers among the scale's `satisfied` options; null when the scale marks none or nobody answered."},
    )
    satisfaction_rate_margin_of_error = fields.Float(allow_none=True, metadata=RATE_MARGIN)
    nps = fields.Float(allow_none=True, metadata={"description": "NPS questions only: % promoters (9-10) − % detractors (0-6), −100..100."})
    nps_margin_of_error = fields.Float(allow_none=True, metadata=NPS_MARGIN)
    distribution = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        allow_none=True,
        metadata={"description": "Questions only: answers per option code in option order (ordinal), per distinct value (numeric, NPS); null for open questions."},
    )


class GroupScoreSchema(JsonShape):
    """The index of one group of responses (e.g. segment `vip` in 2026-03)."""

    csi = fields.Float(allow_none=True, metadata=SCORE)
    n = fields.Integer()
    margin_of_error = fields.Float(allow_none=True, metadata={"description": "95 % margin of error of the group's CSI; null below 2 responses."})
    low_n = fields.Boolean(metadata=LOW_N)
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeValueSchema), metadata={"description": "Node code → the node's score in this group."})
    compare = fields.Nested(ComparisonSchema, metadata={"description": "With `compare` only: this group against the same group in the other period; absent when there is no such group (the first period, the named period itself)."})


class ScoreResultSchema(JsonShape):
    version = fields.Raw(
        metadata={
            "description": "What was asked for: the configuration version scored, or `all` (every version's responses pooled).",
            "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["all"]}],
        }
    )
    versions = fields.List(fields.Integer(), metadata={"description": "The configuration versions whose responses were scored, ascending."})
    indicator_set = fields.String()
    csi = fields.Float(allow_none=True, metadata={"description": "The satisfaction index: the root's weighted score, 0..100; null without data."})
    n = fields.Integer(metadata={"description": "Responses scored."})
    margin_of_error = fields.Float(allow_none=True, metadata={"description": "95 % margin of error of the CSI (1.96 × sd / √n of respondent indices); null below 2 responses."})
    low_n = fields.Boolean(metadata=LOW_N)
    min_n = fields.Integer(metadata={"description": "The minimum n: the `min_n` asked for, else the configuration's `analysis.min_n`, else 30."})
    compare = fields.String(metadata={"description": "With `compare` only: what each group is compared with (`previous` or a period label)."})
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeScoreSchema), metadata={"description": "Node code → its score, in tree order."})
    touchpoints = fields.Dict(keys=fields.String(), values=fields.Nested(NodeValueSchema), metadata={"description": "Touchpoint code → question-weighted mean of its questions."})
    group_by = fields.List(fields.String(), metadata={"description": "With `by` only: the breakdown keys."})
    groups = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(GroupScoreSchema),
        metadata={"description": "With `by` only: group label (key values joined by ` | `, e.g. `vip | 2026-03`; `(missing)` where a response has no value) → its scores."},
    )
