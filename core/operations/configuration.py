"""Tenant configuration: validate, store as the next immutable version, read versions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.config import TemplateLookup, TenantConfig, load_config
from core.config.compiled import compiled_config
from core.db.records import ConfigVersion
from core.db.repositories import ConfigVersionRepository
from core.operations import audit, plugins
from core.operations.base import CLI, Actor, NotFound, NothingToUse


def validate_config(text: str | bytes, file: str | None, templates: TemplateLookup) -> TenantConfig:
    """Parse and validate; raises core.config.ConfigError with every problem located."""
    config = load_config(text, file, templates)
    plugins.check_configured_industry(config, templates, text, file)
    return config


def upload_config(session: Session, tenant_id: int, text: str | bytes, file: str | None, templates: TemplateLookup, actor: Actor = CLI) -> tuple[ConfigVersion, TenantConfig]:
    """Validate and store a configuration as the tenant's next immutable version; enable
    the plugin providing its ``industry:`` for the tenant."""
    config = load_config(text, file, templates)
    plugins.enable_configured_industry(session, tenant_id, config, templates, actor, text, file)
    yaml_text = text.decode("utf-8") if isinstance(text, bytes) else text
    version = ConfigVersionRepository(session).add(
        tenant_id, yaml_text, config.document, config.indicator_set.code, created_by_key_id=actor.key_id
    )
    audit.record(session, tenant_id, actor, "config.upload", f"version {version.version}", indicator_set=version.indicator_set_code, checksum=version.checksum)
    return version, config


def config_version(session: Session, tenant_id: int, version: int | None = None) -> ConfigVersion:
    """A stored version, or the latest when ``version`` is None. NothingToUse when the
    tenant has no configuration at all yet (a prerequisite, 409), NotFound for a version
    number that does not exist (404)."""
    repo = ConfigVersionRepository(session)
    found = repo.latest(tenant_id) if version is None else repo.get(tenant_id, version)
    if found is None:
        if version is None:
            raise NothingToUse("this tenant has no configuration yet; upload one first")
        raise NotFound(f"configuration version {version} does not exist")
    return found


def config_of(session: Session, stored: ConfigVersion) -> TenantConfig:
    """The compiled configuration of a stored version: built once per (database, tenant,
    version) and cached, since a stored version never changes."""
    return compiled_config((session.get_bind().url, stored.tenant_id, stored.version), stored.document)
