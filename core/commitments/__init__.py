"""Time-limit commitments (时限承诺): clocks over case events, pure and vectorised.

The source cases promise service within a time: a hotel checks a guest in within 3
minutes, a restaurant owes a fruit plate after 10 minutes without a dish, a destroyer's
complaint reaches the general manager within 12 hours (seed 003), an after-sales customer
is contacted within an hour (seed 002). This package computes, from a case's stored
event log alone, how each such promise stands at any instant.

- ``durations``: ``10m``, ``4h``, ``PT10M`` → seconds;
- ``calendars``: business calendars and their timelines (business time ⇄ instants);
- ``model``: ``Commitment``, ``Clock``, ``Trigger``, ``LadderStep``;
- ``engine``: the clock state machine, lockstep over all cases;
- ``log``: ``CaseLog`` (the input) and what conditions see; ``table``: a CSV's rows → log;
- ``evaluate``: ``evaluate(commitments, log, at, calendars)`` → ``report.Evaluation``;
- ``conditions``: where commitment conditions are compiled.

No Flask, no SQL: the API, the worker and the CLI hand a log in and read figures out.
"""

from core.commitments.evaluate import evaluate
from core.commitments.log import CaseLog
from core.commitments.report import Evaluation

__all__ = ["CaseLog", "Evaluation", "evaluate"]
