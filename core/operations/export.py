"""Tenant export: everything a tenant owns, as one zip archive."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session

from core.config import ConfigError
from core.db.base import utcnow
from core.db.records import ConfigVersion
from core.db.repositories import (
    AlertRepository,
    ApiKeyRepository,
    AuditRepository,
    CaseRepository,
    ConfigVersionRepository,
    CustomerRepository,
    PurchaseRepository,
    RequestFilter,
    ResponseRepository,
    TenantPluginRepository,
    TenantRepository,
    WebhookRepository,
)
from core.export import FORMAT, FORMAT_VERSION, NOT_EXPORTED, ExportArchive, utc_iso
from core.operations import audit
from core.operations.base import Actor, NotFound
from core.operations.configuration import config_of


def export_tenant(session: Session, tenant_id: int, out: IO[bytes], actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """Write the tenant's whole data as a zip archive into ``out``; return its manifest.

    The layout is described in ``core.export``. The export is itself audited first, so the
    archive's audit log ends with the event recording it. Responses are read one
    configuration version at a time (``load_frame``) and written as CSV in chunks; the
    manifest counts what was written, so it always agrees with the files.
    """
    tenant = TenantRepository(session).get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    now = now or utcnow()
    audit.record(session, tenant_id, actor, "tenant.export", tenant.slug)
    archive = ExportArchive(out)
    try:
        archive.write_json("tenant.json", asdict(tenant))
        keys = [{k: v for k, v in asdict(key).items() if k != "tenant_id"} for key in ApiKeyRepository(session).list(tenant_id)]
        archive.write_json("api_keys.json", keys, rows=len(keys))
        plugins = [{k: v for k, v in asdict(p).items() if k != "tenant_id"} for p in TenantPluginRepository(session).list(tenant_id)]
        archive.write_json("tenant_plugins.json", plugins, rows=len(plugins))
        versions = ConfigVersionRepository(session).list(tenant_id)
        index = []
        for v in versions:
            yaml_name, resolved_name = f"config_versions/v{v.version}.yaml", f"config_versions/v{v.version}.resolved.json"
            archive.write_text(yaml_name, v.yaml_text)
            archive.write_json(resolved_name, v.document)
            index.append(
                {
                    "version": v.version,
                    "indicator_set_code": v.indicator_set_code,
                    "checksum": v.checksum,
                    "created_at": v.created_at,
                    "created_by_key_id": v.created_by_key_id,
                    "yaml": yaml_name,
                    "resolved": resolved_name,
                }
            )
        archive.write_json("config_versions/index.json", index, rows=len(index))
        responses = ResponseRepository(session)
        by_number = {v.version: v for v in versions}
        written: dict[str, int] = {}
        for number in responses.versions_with_data(tenant_id):
            frame = responses.load_frame(tenant_id, number)
            written[str(number)] = archive.write_responses_csv(f"responses/v{number}.csv", frame, _question_codes(session, by_number[number]))
            del frame  # one version's frame in memory at a time
        counts = _export_cases_and_alerts(session, tenant_id, archive)
        counts |= _export_customers(session, tenant_id, archive)
        events = AuditRepository(session).list(tenant_id, limit=None)  # newest first, unpaged
        archive.write_jsonl("audit_events.jsonl", [{k: v for k, v in asdict(e).items() if k != "tenant_id"} for e in reversed(events)])
    except BaseException:
        archive.abort()
        raise
    return archive.finish(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": utc_iso(now),
            "tenant": {"id": tenant.id, "slug": tenant.slug},
            "counts": {
                "api_keys": len(keys),
                "tenant_plugins": len(plugins),
                "config_versions": len(versions),
                "responses": sum(written.values()),
                **counts,
                "audit_events": len(events),
            },
            "responses_by_version": written,
            "not_exported": NOT_EXPORTED,
            "reimport": [
                "create the tenant; upload config_versions/v1.yaml, v2.yaml ... in order, so the version numbers match",
                "enable the plugins tenant_plugins.json lists (`PUT /api/v1/tenant/plugins/NAME`); uploading a configuration already enables its industry's",
                (
                    "for each responses/vN.csv: `csm import-responses --tenant SLUG --version N responses/vN.csv` "
                    "(with CSM_MAX_BATCH raised for a file of more rows than it), "
                    "or POST it to /api/v1/responses/csv?version=N in pieces of at most MAX_BATCH rows"
                ),
            ],
        }
    )


def _question_codes(session: Session, version: ConfigVersion) -> list[str]:
    """The version's question codes in tree order (the CSV's column order); [] if the stored
    document no longer builds, in which case the columns keep the stored order."""
    try:
        return [q.code for q in config_of(session, version).indicator_set.questions]
    except ConfigError:
        return []


def _export_cases_and_alerts(session: Session, tenant_id: int, archive: ExportArchive) -> dict[str, int]:
    """cases.jsonl (each case with its event log, in the shape ``POST /cases`` and
    ``POST /case-events`` take back), alerts.jsonl, webhook_endpoints.json (never a
    secret) and webhook_deliveries.jsonl (each delivery with its attempts); the counts."""
    repo = CaseRepository(session)
    cases, n_events = [], 0
    for case in repo.list_page(tenant_id, limit=None, offset=0):
        events = [{"event_id": e.event_id, "type": e.type, "at": e.at, "attributes": e.attributes} for e in repo.events(tenant_id, case.id)]
        n_events += len(events)
        record = {k: v for k, v in asdict(case).items() if k not in ("id", "next_check_at")}
        cases.append({**record, "events": events})
    archive.write_jsonl("cases.jsonl", cases)
    alerts = [asdict(a) for a in reversed(AlertRepository(session).list_page(tenant_id, limit=None))]
    archive.write_jsonl("alerts.jsonl", alerts)
    webhooks = WebhookRepository(session)
    endpoints = webhooks.list(tenant_id)
    archive.write_json("webhook_endpoints.json", [asdict(e) for e in endpoints], rows=len(endpoints))
    deliveries = [asdict(d) for e in endpoints for d in reversed(webhooks.deliveries_page(tenant_id, e.id, limit=None))]
    archive.write_jsonl("webhook_deliveries.jsonl", deliveries)
    return {
        "cases": len(cases),
        "case_events": n_events,
        "alerts": len(alerts),
        "webhook_endpoints": len(endpoints),
        "webhook_deliveries": len(deliveries),
        "webhook_attempts": sum(len(d["log"]) for d in deliveries),
    }


def _export_customers(session: Session, tenant_id: int, archive: ExportArchive) -> dict[str, int]:
    """customers.jsonl (each customer with its attributes, in the item shape ``POST
    /customers`` takes back, and its grade history with the inputs of each grade) and
    service_requests.jsonl (every checked request, oldest first) and purchases.jsonl (every
    purchase, oldest first, in the item shape ``POST /purchases`` takes back, with when it
    was recorded); the counts."""
    repo = CustomerRepository(session)
    customers, n_grades = [], 0
    history = repo.history(tenant_id)
    for customer in repo.list_page(tenant_id, limit=None):
        grades = [{k: v for k, v in asdict(g).items() if k != "customer_id"} for g in history.get(customer.id, [])]
        n_grades += len(grades)
        customers.append({"customer_id": customer.customer_id, "attributes": customer.attributes, "created_at": customer.created_at, "updated_at": customer.updated_at, "grades": grades})
    archive.write_jsonl("customers.jsonl", customers)
    requests = [asdict(r) for r in repo.requests(tenant_id, RequestFilter(), limit=None)]
    archive.write_jsonl("service_requests.jsonl", requests)
    purchases = [asdict(p) for p in PurchaseRepository(session).list_page(tenant_id, limit=None)]
    archive.write_jsonl("purchases.jsonl", purchases)
    return {"customers": len(customers), "customer_grades": n_grades, "service_requests": len(requests), "purchases": len(purchases)}
