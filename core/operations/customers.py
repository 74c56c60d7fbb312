"""Customers: bulk ingest graded on arrival, re-grading, grades and the service check.

Ingest checks a whole batch against the tenant's ``customers.attributes`` (the section's
own checker, ``core.rules.customers``), refuses it with every problem by item index and
field, or stores it all: the customers (a customer posted again gets the new attributes)
and, when the configuration grades, each one's grade for the period with the inputs that
produced it, its score and the configuration version. Grades are kept per period; a grade
holds until the next period graded (``grade in force``).

A service request (customer, service, time) is checked against the grade in force at that
time: ``entitled``, ``above_grade`` (the source says such service is to be played down) or
``unknown_service``; it is recorded, and an ``above_grade`` one raises an alert in the same
transaction (``raise_alerts``; one per request: its dedup key is the request's id).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.alerts import AlertCandidate
from core.alerts.model import ABOVE_GRADE
from core.batch import BatchError, RowError, check_row_count, errors_at
from core.batch import records, text
from core.batch.limits import MAX_ATTRIBUTE_LENGTH, MAX_ATTRIBUTES, MAX_ID_LENGTH
from core.db.base import utcnow
from core.db.records import Alert, Customer, CustomerGrade, ServiceRequest
from core.db.repositories import CustomerRepository, RequestFilter
from core.operations.alerts import raise_alerts
from core.operations.base import InvalidValue, NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.rules.customers import ID, CustomerModel, period_label
from core.rules.services import ABOVE_GRADE as OUTCOME_ABOVE_GRADE
from core.rules.services import UNKNOWN_SERVICE

WHAT = "customers"
ITEM_FIELDS = (ID, "attributes")
# Stored customers graded per step of ``grade_stored`` (one progress step each).
GRADE_CHUNK = 5000


@dataclass(frozen=True)
class Graded:
    """The configuration a tenant grades with now: its version, the customers section and
    the service menu (None when the configuration has none)."""

    version: int
    customers: CustomerModel
    services: object | None

    def period(self, text: str | None, at: datetime, location: str = "body", name: str = "period") -> str:
        """The period ``text`` names (checked against ``reevaluate``), or the one ``at`` is in."""
        reevaluate = self.customers.grading.reevaluate if self.customers.grading else "monthly"
        try:
            return period_label(reevaluate, text, at.astimezone(timezone.utc).date())
        except ValueError as exc:
            raise InvalidValue(location, name, f"{exc} ({reevaluate} periods)") from None

    def entitled(self, grade: str | None) -> list[str]:
        return list(self.services.entitled(grade)) if self.services is not None else []

    def check(self, grade: str | None, service: str) -> str:
        return self.services.check_request(grade, service) if self.services is not None else UNKNOWN_SERVICE


def graded_config(session: Session, tenant_id: int) -> Graded:
    """The latest configuration's customers section; NothingToUse (409) without one."""
    stored = config_version(session, tenant_id)
    config = config_of(session, stored)
    model = config.section("customers")
    if model is None:
        raise NothingToUse(f"configuration version {stored.version} has no customers section; upload one that declares the customers' attributes")
    return Graded(stored.version, model, config.section("services"))


# --- ingest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerIngestResult:
    accepted: int
    created: int
    updated: int
    unchanged: int
    period: str | None  # None: the configuration does not grade
    counts: dict[str, int] = field(default_factory=dict)  # customers of the batch per grade


def _typed_frame(model: CustomerModel, items: list) -> pd.DataFrame:
    """The items as the section's checker takes them, every problem by index and field."""
    errors: list[RowError] = []
    frame = records.items_frame(items, ITEM_FIELDS, (ID,), WHAT, errors)
    dicts = records.object_column(frame, "attributes", "must be an object of attribute name → value", errors, required=False)
    records.refuse_too_many_names(dicts, "attributes", "attribute names", MAX_ATTRIBUTES, "use the declared attributes only")
    attrs = records.dict_frame(dicts, frame.index)
    declared = ", ".join(model.attributes) or "none"
    for col in attrs.columns:
        if col not in model.attributes:
            row = int(attrs[col].notna().to_numpy().argmax())
            errors.append(RowError(row, f"attributes.{col}", f"unknown attribute (declared: {declared})"))
    attrs = attrs[[c for c in attrs.columns if c in model.attributes]]
    nested = np.zeros((len(attrs), len(attrs.columns)), dtype=bool)
    for j, col in enumerate(attrs.columns):
        nested[:, j] = attrs[col].map(lambda v: isinstance(v, (list, dict))).to_numpy(dtype=bool)
        errors.extend(errors_at(nested[:, j], f"attributes.{col}", "must be a single value (text, a number or a boolean)"))
        attrs[col] = attrs[col].where(~nested[:, j], None)
    checked = pd.DataFrame({ID: frame[ID].reset_index(drop=True)})
    for name in model.attributes:
        checked[name] = attrs[name].reset_index(drop=True) if name in attrs.columns else pd.Series([None] * len(frame), dtype=object)
    typed, problems = model.check(checked)
    text.check_text(_strings(typed[ID], MAX_ID_LENGTH), ID, MAX_ID_LENGTH, errors)  # longer ones: reported above
    for name, attr in model.attributes.items():
        if attr.type == "string":
            text.check_text(_strings(typed[name]), f"attributes.{name}", MAX_ATTRIBUTE_LENGTH, errors)
    flagged = {(int(r), f"attributes.{attrs.columns[j]}") for r, j in zip(*np.nonzero(nested))}
    for e in problems:
        name = e.field if e.field == ID else f"attributes.{e.field}"
        if (e.row, name) not in flagged:
            errors.append(RowError(e.row, name, e.message))
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        raise BatchError(errors)
    return typed


def _strings(s: pd.Series, longest: int | None = None) -> pd.Series:
    """The text cells of ``s`` (others None), for the storable-text check."""
    return pd.Series([v if isinstance(v, str) and (longest is None or len(v) <= longest) else None for v in s.tolist()], index=s.index, dtype=object)


def _attribute_dicts(model: CustomerModel, typed: pd.DataFrame) -> list[dict]:
    """Each customer's typed attributes as stored (JSON types; absent ones left out)."""
    columns = {}
    for name, attr in model.attributes.items():
        s = typed[name]
        if attr.type == "number":
            columns[name] = [None if math.isnan(v) else float(v) for v in s.to_numpy(dtype=np.float64, na_value=np.nan)]
        elif attr.type == "integer":
            columns[name] = [None if v is pd.NA else int(v) for v in s.array]
        elif attr.type == "boolean":
            columns[name] = [None if v is pd.NA else bool(v) for v in s.array]
        else:
            columns[name] = [v if isinstance(v, str) else None for v in s.tolist()]
    names = list(columns)
    return [{k: v for k, v in zip(names, row) if v is not None} for row in zip(*columns.values())] if names else [{} for _ in range(len(typed))]


def _grade_rows(graded: Graded, typed: pd.DataFrame, inputs: list[dict], row_ids: Sequence[int], now: datetime, describe: Callable[[int], str] | None = None) -> tuple[list[dict], dict[str, int]]:
    """The grade of each checked customer (with its inputs) and the counts per grade;
    a customer the grading fails on refuses the whole batch."""
    result = graded.customers.grade(typed)
    if result.errors:
        raise BatchError([RowError(e.row, e.field, (describe(e.row) if describe else "") + f"cannot be graded: {e.message}") for e in result.errors])
    rows = [
        {"customer_id": rid, "grade": g, "score": None if math.isnan(s) else float(s), "inputs": inp, "config_version": graded.version, "graded_at": now}
        for rid, g, s, inp in zip(row_ids, result.grade.tolist(), result.score.tolist(), inputs)
    ]
    return rows, result.counts(graded.customers.grading.grades)


def ingest_customers(session: Session, tenant_id: int, items: list, period: str | None, max_rows: int | None, now: datetime | None = None) -> CustomerIngestResult:
    """Store a batch of customers, all or nothing, and grade them for ``period`` (default:
    the period ``now`` is in) when the configuration grades."""
    now = now or utcnow()
    check_row_count(len(items), max_rows, WHAT)
    graded = graded_config(session, tenant_id)
    label = graded.period(period, now) if graded.customers.grading is not None else None
    typed = _typed_frame(graded.customers, items)
    inputs = _attribute_dicts(graded.customers, typed)
    keys = typed[ID].tolist()
    rows, counts = [], {}
    if label is not None:
        rows, counts = _grade_rows(graded, typed, inputs, [0] * len(keys), now)
    repo = CustomerRepository(session)
    done = repo.upsert(tenant_id, list(zip(keys, inputs)), now)
    if label is not None:
        for row, key in zip(rows, keys):
            row["customer_id"] = done.ids[key]
        repo.store_grades(tenant_id, label, rows)
    return CustomerIngestResult(len(keys), done.created, done.updated, done.unchanged, label, counts)


# --- re-grading stored customers ------------------------------------------------------------


@dataclass(frozen=True)
class GradeRun:
    period: str
    config_version: int
    graded: int
    counts: dict[str, int]


def grade_stored(session: Session, tenant_id: int, period: str | None = None, now: datetime | None = None, on_chunk: Callable[[int, int], None] | None = None) -> GradeRun:
    """Grade every stored customer for ``period`` (default: the current one) with the
    latest configuration, replacing that period's grades; ``on_chunk(done, total)`` after
    each chunk. A customer whose stored attributes no longer fit refuses the whole run
    (BatchError, its field prefixed with the customer's id)."""
    now = now or utcnow()
    graded = graded_config(session, tenant_id)
    if graded.customers.grading is None:
        raise NothingToUse(f"configuration version {graded.version} has no customers.grading to grade with")
    label = graded.period(period, now, name="period")
    repo = CustomerRepository(session)
    total = repo.count(tenant_id)
    counts = {g: 0 for g in graded.customers.grading.grades}
    done = 0
    while done < total:
        chunk = repo.list_page(tenant_id, GRADE_CHUNK, done)
        if not chunk:
            break
        frame = pd.DataFrame([{ID: c.customer_id, **{k: v for k, v in c.attributes.items() if k in graded.customers.attributes}} for c in chunk], columns=[ID, *graded.customers.attributes])
        typed, problems = graded.customers.check(frame)
        if problems:
            raise BatchError([RowError(done + max(e.row, 0), e.field, f"customer {chunk[max(e.row, 0)].customer_id!r}: {e.message}") for e in problems])
        inputs = _attribute_dicts(graded.customers, typed)
        rows, chunk_counts = _grade_rows(graded, typed, inputs, [c.id for c in chunk], now, lambda r: f"customer {chunk[r].customer_id!r}: ")
        repo.store_grades(tenant_id, label, rows)
        for g, n in chunk_counts.items():
            counts[g] = counts.get(g, 0) + n
        done += len(chunk)
        if on_chunk is not None:
            on_chunk(done, total)
    return GradeRun(label, graded.version, done, counts)


# --- reading ------------------------------------------------------------------------------


def get_customer(session: Session, tenant_id: int, customer_id: str) -> Customer:
    found = CustomerRepository(session).get(tenant_id, customer_id)
    if found is None:
        raise NotFound(f"customer {customer_id!r} does not exist")
    return found


def customer_view(session: Session, tenant_id: int, customer_id: str, now: datetime | None = None) -> dict:
    """A customer's attributes, the grade in force now and the services it entitles to."""
    customer = get_customer(session, tenant_id, customer_id)
    graded = graded_config(session, tenant_id)
    current = CustomerRepository(session).current_grades(tenant_id, [customer.id], graded.period(None, now or utcnow())).get(customer.id)
    return {
        "customer_id": customer.customer_id,
        "attributes": customer.attributes,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "grade": current,
        "services": graded.entitled(current.grade if current else None),
    }


def list_customers(session: Session, tenant_id: int, limit: int, offset: int, now: datetime | None = None) -> tuple[list[tuple[Customer, CustomerGrade | None]], int]:
    """A page of customers (oldest stored first), each with the grade in force now."""
    repo = CustomerRepository(session)
    page = repo.list_page(tenant_id, limit, offset)
    try:
        period = graded_config(session, tenant_id).period(None, now or utcnow())
        current = repo.current_grades(tenant_id, [c.id for c in page], period)
    except NothingToUse:
        current = {}
    return [(c, current.get(c.id)) for c in page], repo.count(tenant_id)


def grade_history(session: Session, tenant_id: int, customer_id: str) -> list[CustomerGrade]:
    """Every period's grade of a customer, oldest period first."""
    customer = get_customer(session, tenant_id, customer_id)
    return CustomerRepository(session).history(tenant_id, customer.id).get(customer.id, [])


def customer_fields(session: Session, tenant_id: int, customer_ids: Sequence[str], at: datetime | None = None) -> dict[str, dict]:
    """What expressions over a case read as ``customer.*``: each stored customer's
    attributes plus ``grade`` (the grade in force at ``at``, default now; None when
    ungraded). Customers not stored are left out; without a customers section, {}."""
    repo = CustomerRepository(session)
    customers = repo.by_keys(tenant_id, list(customer_ids))
    if not customers:
        return {}
    try:
        period = graded_config(session, tenant_id).period(None, at or utcnow())
    except NothingToUse:
        return {}
    current = repo.current_grades(tenant_id, [c.id for c in customers], period)
    return {c.customer_id: {**c.attributes, "grade": current[c.id].grade if c.id in current else None} for c in customers}


# --- service requests ---------------------------------------------------------------------


def check_service(session: Session, tenant_id: int, customer_id: str, service: str, at: datetime | None = None, now: datetime | None = None) -> tuple[ServiceRequest, list[Alert]]:
    """Check and record a service request against the grade in force at ``at`` (default
    now); an ``above_grade`` one raises its alert in the same transaction."""
    now = now or utcnow()
    at = now if at is None else at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)  # naive: UTC
    customer = get_customer(session, tenant_id, customer_id)
    graded = graded_config(session, tenant_id)
    period = graded.period(None, at)
    repo = CustomerRepository(session)
    current = repo.current_grades(tenant_id, [customer.id], period).get(customer.id)
    grade = current.grade if current else None
    outcome = graded.check(grade, service)
    request = repo.record_request(
        tenant_id,
        {"customer_id": customer.id, "service": service, "requested_at": at, "outcome": outcome, "grade": grade, "period": period, "config_version": graded.version, "recorded_at": now},
    )
    raised: list[Alert] = []
    if outcome == OUTCOME_ABOVE_GRADE:
        alert = AlertCandidate(
            kind=ABOVE_GRADE,
            dedup_key=f"above_grade:request:{request.id}",
            occurred_at=at,
            customer_id=customer.customer_id,
            payload={"service_request_id": request.id, "service": service, "grade": grade, "period": period, "entitled": graded.entitled(grade)},
        )
        raised = raise_alerts(session, tenant_id, [alert], now)
    return request, raised


def list_requests(session: Session, tenant_id: int, f: RequestFilter, limit: int, offset: int) -> tuple[list[ServiceRequest], int]:
    repo = CustomerRepository(session)
    return repo.requests(tenant_id, f, limit, offset), repo.count_requests(tenant_id, f)
