"""The business operations the API and the CLI share: one module per use case.

Each function takes an open session (the caller owns the transaction: it commits once or
rolls back) plus plain values, and returns plain records. Nothing here knows about HTTP
or the terminal, so both front ends behave identically. Shared vocabulary (who acts, the
domain errors every front end maps the same way) lives in ``core.operations.base``; each
use case is a module beside it (``tenants``, ``keys``, ``audit``, ``configuration``,
``responses``, ``reports``, ``export``, ``erasure``), and a new use case is a new module.
"""
