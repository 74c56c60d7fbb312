"""What a score answer looks like (core.scoring.result ``to_dict``, plus what was scored:
``version`` and ``versions``).

Scores are 0..100 and ``null`` where no response has data; node codes and group labels
are the mapping keys, in tree order (nodes) and in sorted order (groups)."""

from marshmallow import fields, validate

from core.api.common import JsonShape

SCORE = {"description": "0..100 (rounded to 4 decimals); null when no response has data here."}


class NodeValueSchema(JsonShape):
    """A score and the number of responses it rests on (touchpoints; nodes within a group)."""

    score = fields.Float(allow_none=True, metadata=SCORE)
    n = fields.Integer(metadata={"description": "Responses with data for this node."})


class NodeScoreSchema(JsonShape):
    """One node of the indicator tree over all responses."""

    score = fields.Float(allow_none=True, metadata=SCORE)
    n = fields.Integer(metadata={"description": "Responses with data for this node (for a group: beneath it)."})
    weight = fields.Float(metadata={"description": "The node's weight among its siblings, as configured (resolved)."})
    parent = fields.String(allow_none=True, metadata={"description": "Code of the parent group; null at the top level."})
    kind = fields.String(validate=validate.OneOf(["group", "question"]))
    satisfaction_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Questions only: share (0..1) of answers among the scale's `satisfied` options; null when the scale marks none or nobody answered."},
    )
    nps = fields.Float(allow_none=True, metadata={"description": "NPS questions only: % promoters (9-10) − % detractors (0-6), −100..100."})
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
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeValueSchema), metadata={"description": "Node code → the node's score in this group."})


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
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeScoreSchema), metadata={"description": "Node code → its score, in tree order."})
    touchpoints = fields.Dict(keys=fields.String(), values=fields.Nested(NodeValueSchema), metadata={"description": "Touchpoint code → question-weighted mean of its questions."})
    group_by = fields.List(fields.String(), metadata={"description": "With `by` only: the breakdown keys."})
    groups = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(GroupScoreSchema),
        metadata={"description": "With `by` only: group label (key values joined by ` | `, e.g. `vip | 2026-03`; `(missing)` where a response has no value) → its scores."},
    )
