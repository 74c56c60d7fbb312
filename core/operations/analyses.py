"""Analyses: one registered analysis method run on a tenant's stored responses.

What a call runs on: the responses of one configuration version (default: the latest)
collected in ``[start, end)``, read from the answer store (``core.store.frames``: the
canonical-answers frame built from the version's blocks, never the JSON columns), under
that version's indicator set; a method that also reads purchases (``inputs``) gets the
purchases made in the same window. Its parameters are the configuration's ``analysis`` section
for the method (``core.analysis.settings``), then the call's own (API query parameters,
CLI options), which override them; the indicator set's marks (``role: overall``,
``expectation_of``, ``peak_end``) are the method's defaults after that. A parameter the
method does not take, a value of the wrong type, or data the method cannot analyse is an
``AnalysisInputError`` naming the parameter (422, CLI exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.analysis.errors import AnalysisInputError
from core.analysis.settings import AnalysisSettings
from core.db.repositories import AnswerBlockRepository, CustomerRepository, PurchaseRepository
from core.model import AnalysisMethod, IndicatorSet, ModelError
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.operations.plugins import tenant_plugin_set
from core.plugins import IndustryRegistry
from core.store.frames import answer_frame


def describe(method: AnalysisMethod, plugin: str | None = None) -> dict:
    """A method as the catalogue lists it: code, names, description, parameters, inputs."""
    out = {"code": method.code, "name": method.name, "name_zh": method.name_zh, "description": method.description, "params": [asdict(p) for p in method.params], "inputs": ["responses", *method.inputs]}
    return out | ({"plugin": plugin} if plugin is not None else {})


def methods(session: Session, tenant_id: int, registry: IndustryRegistry) -> list[dict]:
    """The analysis methods the tenant's plugins register (the core's among them)."""
    plugins = tenant_plugin_set(session, tenant_id, registry)
    return [describe(reg.item, reg.plugin) for reg in plugins.analysis_methods.values()]


def find_method(registry: IndustryRegistry, plugins, code: str) -> AnalysisMethod:
    method = registry.analysis_method(plugins, code)
    if method is None:
        known = ", ".join(sorted(registry.analysis_methods(plugins)))
        raise NotFound(f"no analysis method {code!r} (the methods: {known})")
    return method


def from_text(method: AnalysisMethod, given: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters given as text (a query string) read as their declared types: ``int``,
    ``double``, ``bool`` (true/false), a ``list`` as comma-separated codes or a JSON
    array, a ``map`` as a JSON object; values already typed pass unchanged."""
    types = {p.name: p.type for p in method.params}
    out = {}
    for name, value in given.items():
        kind = types.get(name)
        if isinstance(value, str):
            if kind in ("list", "map"):
                value = _structured(name, value, kind)
            elif kind in _SCALARS:
                value = _scalar(name, value, kind)
        out[name] = value
    return out


_SCALARS = {"int": "a whole number", "double": "a number", "bool": "true or false"}


def _scalar(name: str, text: str, kind: str):
    text = text.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "double":
            value = float(text)
            if np.isfinite(value):
                return value
        elif text.lower() in ("true", "false"):
            return text.lower() == "true"
    except ValueError:
        pass
    raise AnalysisInputError(name, f"must be {_SCALARS[kind]}")


def _structured(name: str, text: str, kind: str):
    text = text.strip()
    if kind == "list" and not text.startswith("["):
        return [part.strip() for part in text.split(",") if part.strip()]
    try:
        value = json.loads(text)
    except ValueError:
        expected = "a JSON array, or codes separated by commas" if kind == "list" else "a JSON object"
        raise AnalysisInputError(name, f"must be {expected}") from None
    if not isinstance(value, list if kind == "list" else dict):
        raise AnalysisInputError(name, "must be a JSON array" if kind == "list" else "must be a JSON object")
    return value


def resolve(method: AnalysisMethod, settings: AnalysisSettings | None, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The section's parameters for ``method`` (those it takes), then ``given``; a given
    parameter the method does not take is refused, naming it."""
    names = {p.name for p in method.params}
    for name in given or {}:
        if name not in names:
            raise AnalysisInputError(name, f"analysis {method.code!r} takes no parameter {name!r} (it takes: {', '.join(sorted(names)) or 'none'})")
    section = (settings or AnalysisSettings()).params_for(method.code)
    merged = {k: v for k, v in section.items() if k in names}
    merged.update({k: v for k, v in (given or {}).items() if v is not None})
    try:
        return method.resolve_params(merged)
    except ModelError as exc:
        raise AnalysisInputError(str(exc.path[-1]) if exc.path else method.code, exc.message) from None


def apply(method: AnalysisMethod, frame: pd.DataFrame, iset: IndicatorSet, params: dict, purchases: pd.DataFrame | None = None, customers: pd.DataFrame | None = None) -> dict:
    """Run ``method``; numerical failures on degenerate data (a singular matrix, no
    variance) are refused as input the method cannot analyse, never a server error.
    Questions the frame has no column for (a CSV without them) are blank, as the store
    reads them. The inputs a method declares (``AnalysisMethod.inputs``) follow the
    parameters, in the order declared: ``purchases`` (a frame of customer_id,
    purchased_at, amount, category_spend), refused naming ``purchases`` when there are
    none, and ``customers`` (attributes by customer_id), empty when there are none."""
    absent = [q.code for q in iset.questions if q.code not in frame.columns]
    if absent:
        frame = frame.assign(**dict.fromkeys(absent, None))
    if "purchases" in method.inputs and purchases is None:
        raise AnalysisInputError("purchases", f"analysis {method.code!r} reads purchase records: store them (POST /api/v1/purchases) or give a file (csm analyze --purchases P.csv)")
    given = {"purchases": purchases, "customers": customers if customers is not None else pd.DataFrame(index=pd.Index([], dtype=object, name="customer_id"))}
    extra = tuple(given[name] for name in method.inputs)
    try:
        return json_ready(method.function(frame, iset, params, *extra))
    except np.linalg.LinAlgError as exc:
        raise AnalysisInputError("responses", f"the data cannot be analysed this way ({exc}); too few or too uniform responses?") from None
    except ZeroDivisionError:
        raise AnalysisInputError("responses", "the data cannot be analysed this way: too few or too uniform responses") from None


# Leaves already JSON-ready; a float is when finite (``v - v`` is 0.0 for a finite float,
# NaN for NaN and the infinities).
_AS_IS = (str, int, bool, type(None))


def json_ready(value):
    """NaN and infinities as null (JSON has neither), numpy scalars as Python numbers.

    Plain leaves are passed over without a call of their own: a ranked list of 50,000
    customers holds over a million of them, and one call each cost seconds."""
    if isinstance(value, dict):
        return {k: v if type(v) in _AS_IS or (type(v) is float and v - v == 0.0) else json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _AS_IS or (type(v) is float and v - v == 0.0) else json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def run(
    session: Session,
    tenant_id: int,
    registry: IndustryRegistry,
    code: str,
    given: Mapping[str, Any] | None = None,
    version: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict:
    """Analysis ``code`` on the stored responses of one version (default: the latest).

    NotFound (404) for a method the tenant's plugins do not register, a version that does
    not exist, or a tenant without any configuration (nothing to analyse, as for /scores).
    The answer is the method's own, with ``version`` and ``responses`` (how many stored
    responses were read) added."""
    plugins = tenant_plugin_set(session, tenant_id, registry).names
    method = find_method(registry, plugins, code)
    try:
        stored = config_version(session, tenant_id, version)
    except NothingToUse as exc:
        raise NotFound(str(exc)) from exc
    config = config_of(session, stored)
    params = resolve(method, config.section("analysis"), from_text(method, given or {}))
    blocks = AnswerBlockRepository(session).payloads(tenant_id, stored.version, start, end)
    frame = answer_frame(blocks, config.indicator_set, start, end)
    purchases = PurchaseRepository(session).frame(tenant_id, start, end) if "purchases" in method.inputs else None
    customers = customer_attributes(session, tenant_id) if "customers" in method.inputs else None
    return {"version": stored.version, "responses": len(frame), **apply(method, frame, config.indicator_set, params, purchases, customers)}


def customer_attributes(session: Session, tenant_id: int) -> pd.DataFrame:
    """The stored customers' attributes: one row per customer (indexed by customer_id),
    one column per attribute."""
    stored = CustomerRepository(session).list_page(tenant_id, None)
    index = pd.Index([c.customer_id for c in stored], dtype=object, name="customer_id")
    return pd.DataFrame.from_records([c.attributes for c in stored], index=index) if stored else pd.DataFrame(index=index)
