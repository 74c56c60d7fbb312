"""Demo tenants for `make run`: configurations from config/examples plus synthetic responses.

Re-running is safe: existing tenants, versions and responses are kept, and the demo keys
(written once to a file beside the SQLite database, since stored keys are only hashes)
are printed again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from core.db.repositories import ApiKeyRepository, ResponseRepository, TenantRepository
from core.db.tenancy import bind_tenant
from core.demo.synthetic import synthetic_responses
from core.ingest import batch_from_frame
from core.operations import base, configuration, responses, tenants
from core.operations import keys as keys_ops
from core.roles import ADMIN
from core.settings import sqlite_path

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"

DEMO_TENANTS = (
    {
        "slug": "demo-retail",
        "name": "Demo supermarket chain",
        "config": "retail-template.yaml",
        "attributes": {"store_type": ["county", "township"], "region": ["north", "south", "east", "west"]},
        "shifts": {"store_type": {"township": -0.08}, "region": {"south": -0.05}},
        "touchpoints": ["checkout_counter", "service_desk", "store_floor"],
    },
    {
        "slug": "demo-store",
        "name": "Demo single store",
        "config": "store.yaml",
        "attributes": {"segment": ["new", "regular", "vip"]},
        "shifts": {"segment": {"vip": 0.08}},
        "touchpoints": ["store_floor", "checkout"],
    },
    {
        "slug": "demo-hotel",
        "name": "Demo hotel with time-limit commitments",
        "config": "hotel-commitments.yaml",
        "attributes": {"segment": ["member", "guest"]},
        "shifts": {"segment": {"member": 0.05}},
        "touchpoints": ["front_desk", "restaurant"],
    },
)
BATCH = 2000


def keys_file(settings: dict) -> Path:
    if settings.get("DEMO_KEYS_FILE"):
        return Path(settings["DEMO_KEYS_FILE"])
    db_file = sqlite_path(settings["DATABASE_URL"])
    return (db_file.parent if db_file else Path("var")) / "demo-api-keys.json"


def seed(ctx, count: int, echo=print) -> dict[str, str]:
    path = keys_file(ctx.settings)
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for spec in DEMO_TENANTS:
        slug = spec["slug"]
        with ctx.unit_of_work() as session:
            tenant = TenantRepository(session).get_by_slug(slug)
            if tenant is None:
                tenant, _key, keys[slug] = tenants.create_tenant(session, slug, spec["name"], key_name="demo key", actor=base.CLI)
                echo(f"{slug}: tenant created")
            else:
                bind_tenant(session, tenant.id)  # create_tenant binds a new tenant itself
                known = ApiKeyRepository(session).authenticate(keys[slug]) if slug in keys else None
                if known is None or known.tenant_id != tenant.id:
                    _key, keys[slug] = keys_ops.create_key(session, tenant.id, "demo key", ADMIN, base.CLI)
            try:
                configuration.config_version(session, tenant.id)
            except base.NothingToUse:  # no configuration yet
                cfg = EXAMPLES / spec["config"]
                version, _ = configuration.upload_config(session, tenant.id, cfg.read_bytes(), f"config/examples/{cfg.name}", ctx.registry.template)
                echo(f"{slug}: configuration version {version.version} from {cfg.name}")
            tenant_id = tenant.id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys, indent=2))
        with ctx.unit_of_work() as session:
            bind_tenant(session, tenant_id)
            if ResponseRepository(session).count(tenant_id) == 0:
                iset = configuration.config_of(session, configuration.config_version(session, tenant_id)).indicator_set
                year_ago = (pd.Timestamp.now(tz="UTC") - pd.DateOffset(months=12)).strftime("%Y-%m-01")
                frame = synthetic_responses(
                    iset, count, seed=len(slug), attributes=spec["attributes"], touchpoints=spec["touchpoints"], shifts=spec["shifts"], start=year_ago, months=12
                )
                for start in range(0, count, BATCH):
                    part = frame.iloc[start : start + BATCH]
                    responses.ingest(session, tenant_id, lambda s, p=part: batch_from_frame(p, s))
                echo(f"{slug}: {count} synthetic responses loaded")
            else:
                echo(f"{slug}: responses already loaded")
    return keys
