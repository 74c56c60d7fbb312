"""Scores: the CSI, node scores, touchpoints and breakdowns of the stored responses."""

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.api.answer_cache import cached_answer
from core.api.auth import principal, tenant_required
from core.api.blueprint import Blueprint
from core.api.common import MAX_ID, UtcDateTime
from core.api.context import db
from core.api.scores.schemas import ScoreResultSchema
from core.operations import reports

COMPARE_PATTERN = r"^(previous|[0-9]{4}(-(0[1-9]|1[0-2])|Q[1-4])?)$"

blp = Blueprint("scores", __name__, url_prefix="/api/v1", description="Satisfaction index (CSI), node and touchpoint scores, breakdowns.")


class VersionChoice(fields.Field):
    """A configuration version number, or ``all``: every version's responses pooled."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == reports.ALL_VERSIONS:
            return value
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"a version number (1..{MAX_ID}) or `all`") from None
        if not 1 <= number <= MAX_ID:
            raise ValidationError(f"a version number (1..{MAX_ID}) or `all`")
        return number


class ScoreQuerySchema(Schema):
    version = VersionChoice(
        metadata={
            "description": "Configuration version (a number), or `all`; default the latest. Responses are scored against the version they were collected under; "
            "`all` pools every version's responses, scored against the latest version's tree, when every version holding responses scores answers as the latest does (422 naming the differences otherwise).",
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "enum": [reports.ALL_VERSIONS]}],
        }
    )
    start = UtcDateTime(data_key="from", metadata={"description": "Only responses collected at or after this ISO 8601 time (UTC without an offset)."})
    end = UtcDateTime(data_key="to", metadata={"description": "Only responses collected before this ISO 8601 time (UTC without an offset); must lie after `from` (422 otherwise)."})
    by = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Comma-separated breakdown keys: `touchpoint`, any attribute name, or `period`."},
    )
    period = fields.String(validate=validate.OneOf(["month", "quarter", "year"]), metadata={"description": "Period length for `by=period` (default month); only with `period` among the `by` keys (422 otherwise)."})
    min_n = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Figures resting on fewer responses are flagged `low_n: true`; default the configuration's `analysis.min_n`, else 30."},
    )
    compare = fields.String(
        validate=[validate.Length(max=20), validate.Regexp(COMPARE_PATTERN, error="`previous` or a period label (2026-03, 2026Q1, 2026)")],
        metadata={
            "description": "With `period` among the `by` keys: compare each period's group with the previous period's (`previous`) or with a named period "
            "(a label of the requested length: `2026-03`, `2026Q1`, `2026`); 422 naming `compare` without `period` among the keys or for a label of another length.",
            "pattern": COMPARE_PATTERN,
        },
    )

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("`from` must be before `to`", "to")


@blp.route("/scores")
class Scores(MethodView):
    @blp.errors(401, 404, 422)
    @blp.alt_response(304, description="Not modified: the `ETag` sent in `If-None-Match` is still the answer's.")
    @tenant_required
    @cached_answer
    @blp.arguments(ScoreQuerySchema, location="query")
    @blp.response(200, ScoreResultSchema)
    @blp.doc(operationId="get_scores")
    def get(self, query):
        """CSI, every node's and touchpoint's score, each with n, its 95 % margin of error and `low_n`, and breakdowns, optionally compared period over period; `n` 0 and null scores where no response matches.

        422 when `from` is not before `to` (an empty window), when `by` names a key that is
        neither `touchpoint`, `period` nor an attribute of the stored responses, when
        `period` is given without `period` among the `by` keys, when `compare` is given
        without `period` among the `by` keys or names a period of another length, or when
        `version=all` pools versions that score answers differently."""
        by = tuple(part.strip() for part in query.get("by", "").split(",") if part.strip())
        period = query.get("period") or ("month" if "period" in by else None)
        return reports.report(
            db(), principal().tenant_id, query.get("version"), query.get("start"), query.get("end"), by, period,
            min_n=query.get("min_n"), compare=query.get("compare"),
        )
