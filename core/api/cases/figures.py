"""Schemas of commitments' figures: one case's clocks, and on-time rates.

The fields are those of ``core.commitments.report`` (``Evaluation.cases()`` and
``on_time_rates``), which ``csm cases evaluate --format json`` prints too. Instants are
ISO 8601 text in UTC (``2026-03-01T12:10:00Z``), durations seconds rounded to the
millisecond.
"""

from marshmallow import Schema, fields

from core.commitments.model import STATUSES

REMEDY_STATES = ("delivered", "late", "overdue", "due")


def instant(description: str = "") -> fields.String:
    return fields.String(allow_none=True, metadata={"format": "date-time", **({"description": description} if description else {})})


def seconds(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class RemedySchema(Schema):
    step = fields.String(metadata={"description": "The ladder step that owes it."})
    remedy = fields.String()
    remedy_zh = fields.String()
    percent_off = fields.Float()
    reached_at = instant("When the step was reached.")
    respond_by = instant("When it is owed by (the step's `respond_within`); null: no time promised.")
    delivered_at = instant("When the event recording it given came (its `delivered` type); null: not given.")
    status = fields.String(metadata={"description": " | ".join(REMEDY_STATES) + ": given in time, given late, not given and time is up, not given and still in time."})
    on_time = fields.Boolean(allow_none=True, metadata={"description": "true: given in time; false: late or overdue; null: not decided (or no time promised)."})


class PreviousCycleSchema(Schema):
    cycle = fields.Integer()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    started_at = instant()
    stopped_at = instant()
    elapsed_seconds = seconds("Counted time of the cycle.")
    steps = fields.List(fields.String())


class FiguresSchema(Schema):
    """A commitment's clock on one case: its latest cycle, earlier ones summarised."""

    status = fields.String(metadata={"description": " | ".join(STATUSES) + "; an open clock past its limit is `breached` with `open` true."})
    open = fields.Boolean(metadata={"description": "The clock still runs (or is paused): no stop or cancel yet."})
    paused = fields.Boolean()
    cycle = fields.Integer(metadata={"description": "1 for the first cycle; a reopened case starts another."})
    started_at = instant()
    stopped_at = instant("null while open.")
    elapsed_seconds = seconds("Counted time (on the commitment's calendar), up to the stop or `at`.")
    paused_seconds = seconds("Wall-clock time spent paused.")
    limit_seconds = seconds("The commitment's limit.")
    remaining_seconds = seconds("limit - elapsed; negative when over.")
    due_at = instant("When the counted time reaches the limit.")
    breached_at = instant("When the counted time exceeded the limit; null: not breached.")
    overdue = fields.Boolean(metadata={"description": "Open and breached, or a remedy overdue."})
    steps = fields.List(fields.String(), metadata={"description": "Ladder steps reached, in order."})
    reached = fields.Dict(keys=fields.String(), values=instant(), metadata={"description": "Step code → when it was reached."})
    remedies_due = fields.List(fields.Nested(RemedySchema), metadata={"description": "The remedies the steps reached owe, and their state."})
    # a nullable object, spelt out inline (a nullable Nested is documented as an untyped object)
    next_step = fields.Raw(allow_none=True, metadata={
        "description": "The next ladder step of an open clock; null: none.", "type": "object",
        "properties": {"code": {"type": "string"}, "at": {"type": "string", "format": "date-time", "nullable": True,
                       "description": "When it will be reached if no event comes; null while the clock is paused."}},
    })
    next_check_at = instant("The earliest instant something falls due without any event (a step, the breach, a remedy's time).")
    previous_cycles = fields.List(fields.Nested(PreviousCycleSchema), metadata={"description": "Earlier cycles of a reopened case (only when there are any)."})


class RateSchema(Schema):
    rate = fields.Float(allow_none=True, metadata={"description": "met / n; null when n is 0."})
    n = fields.Integer(metadata={"description": "Decided cycles: met plus breached (running and cancelled ones are not counted)."})
    met = fields.Integer()
    breached = fields.Integer()


class CommitmentRateSchema(RateSchema):
    groups = fields.Dict(
        keys=fields.String(), values=fields.Nested(RateSchema),
        metadata={"description": "With `by` only: group label (key values joined by ` | `, e.g. `restaurant | 2026-03`; `(missing)` where a case has no value) → its rate; groups with n 0 are left out."},
    )


class OnTimeSchema(Schema):
    at = instant("The instant the clocks were evaluated at.")
    to = instant("Only cycles started before this.")
    group_by = fields.List(fields.String(), metadata={"description": "The breakdown keys (`by`)."})
    period = fields.String(allow_none=True)
    commitments = fields.Dict(keys=fields.String(), values=fields.Nested(CommitmentRateSchema), metadata={"description": "Commitment code → its on-time rate."})

    class Meta:  # `from` is a Python keyword
        include = {"from": instant("Only cycles started at or after this.")}
        ordered = True
