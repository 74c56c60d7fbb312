"""Tenant configuration: validate, store as the next immutable version, read versions.

A document is read with the sections and section defaults of the tenant's plugins (those
it enabled, plus the one providing the document's ``industry:``). A stored version is
compiled with the sections of every installed plugin, which the application puts in each
session's ``info`` (``session_info``): the version was checked against the tenant's
plugins when it was stored, so only how to build its sections is needed, and no query.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy.orm import Session

from core.config import TemplateLookup, TenantConfig, load_config
from core.config.compiled import compiled_config
from core.config.sections import CORE_REGISTRY
from core.db.records import ConfigVersion
from core.db.repositories import ConfigVersionRepository
from core.operations import audit, plugins
from core.operations.base import CLI, Actor, NotFound, NothingToUse
from core.plugins import IndustryRegistry, registry_of

SECTIONS_KEY = "csm.config_sections"  # session.info: the SectionRegistry stored versions are built with


def session_info(registry: IndustryRegistry) -> dict[str, Any]:
    """What every session of an application with these plugins carries (``make_session_factory(engine, info)``)."""
    return {SECTIONS_KEY: registry.installed.config_sections}


def read_config(text: str | bytes, file: str | None, templates: TemplateLookup, enabled: Iterable[str] = ()) -> TenantConfig:
    """Parse and check a document with the sections and defaults of the plugins
    ``enabled`` (and its industry's); ConfigError lists every problem located. Without a
    plugin registry behind ``templates``, the core's sections only."""
    registry = registry_of(templates)
    if registry is None:
        return load_config(text, file, templates)
    with_plugins = registry.document_plugins(enabled)
    return load_config(text, file, templates, sections=with_plugins.sections, defaults=with_plugins.defaults)


def validate_config(text: str | bytes, file: str | None, templates: TemplateLookup, enabled: Iterable[str] = ()) -> TenantConfig:
    """``read_config``, and the document's ``industry:`` must be provided by an installed plugin."""
    config = read_config(text, file, templates, enabled)
    plugins.check_configured_industry(config, templates, text, file)
    return config


def upload_config(session: Session, tenant_id: int, text: str | bytes, file: str | None, templates: TemplateLookup, actor: Actor = CLI) -> tuple[ConfigVersion, TenantConfig]:
    """Validate and store a configuration as the tenant's next immutable version; enable
    the plugin providing its ``industry:`` for the tenant."""
    config = read_config(text, file, templates, plugins.enabled_names(session, tenant_id))
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
    version, sections) and cached, since a stored version never changes."""
    sections = session.info.get(SECTIONS_KEY, CORE_REGISTRY)
    return compiled_config((session.get_bind().url, stored.tenant_id, stored.version, sections), stored.document, sections)
