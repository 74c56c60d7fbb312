"""Plugins per tenant: enable, disable, list; what the enabled plugins give the tenant.

Installed plugins are available to every tenant; only the core's own plugin and those a
tenant enabled are called for it (``registry.for_plugins``). A tenant enables a plugin
explicitly (an admin, through the API) or by uploading a configuration whose
``industry:`` that plugin provides. Every change is audited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.config import ConfigError, TemplateLookup, TenantConfig, read_yaml
from core.config.errors import ConfigIssue
from core.db.records import TenantPlugin
from core.db.repositories import ConfigVersionRepository, TenantPluginRepository
from core.operations import audit
from core.operations.base import Actor, Conflict, NotFound
from core.plugins import BUILTIN, IndustryRegistry, registry_of, scale_dict
from core.registrations import PluginSet


@dataclass(frozen=True)
class PluginState:
    """An installed plugin as one tenant sees it (or an enabled one no longer installed)."""

    name: str
    version: str | None
    description: str
    core: str | None
    industries: tuple[str, ...]
    builtin: bool
    installed: bool
    enabled: bool
    enabled_at: datetime | None = None
    enabled_by_key_id: int | None = None


def enabled_names(session: Session, tenant_id: int) -> frozenset[str]:
    """The plugins the tenant enabled (the core's own is always enabled besides these)."""
    return TenantPluginRepository(session).names(tenant_id)


def tenant_plugin_set(session: Session, tenant_id: int, registry: IndustryRegistry) -> PluginSet:
    """The tenant's plugins: call hooks and read registrations through this, never through
    the plugin manager itself, wherever the tenant is known."""
    return registry.for_plugins(enabled_names(session, tenant_id))


def _state(registry: IndustryRegistry, name: str, row: TenantPlugin | None) -> PluginState:
    info = registry.plugins.get(name)
    return PluginState(
        name=name,
        version=info.version if info else None,
        description=info.description if info else "",
        core=info.core if info else None,
        industries=tuple(registry.plugin_industries(name)),
        builtin=name == BUILTIN,
        installed=info is not None,
        enabled=name == BUILTIN or row is not None,
        enabled_at=row.enabled_at if row else None,
        enabled_by_key_id=row.enabled_by_key_id if row else None,
    )


def plugin_states(session: Session, tenant_id: int, registry: IndustryRegistry) -> list[PluginState]:
    """Every installed plugin, the core's first, with whether the tenant enabled it; then
    any plugin the tenant enabled that is no longer installed (it is not called)."""
    rows = {r.plugin: r for r in TenantPluginRepository(session).list(tenant_id)}
    names = [BUILTIN, *sorted(n for n in registry.plugins if n != BUILTIN), *sorted(n for n in rows if n not in registry.plugins)]
    return [_state(registry, name, rows.get(name)) for name in names]


def enable_plugin(session: Session, tenant_id: int, registry: IndustryRegistry, name: str, actor: Actor, **why) -> PluginState:
    """Enable an installed plugin for the tenant (again: nothing changes); NotFound if none
    is installed under ``name``."""
    info = registry.plugins.get(name)
    if info is None:
        raise NotFound(f"no installed plugin is named {name!r}")
    if name == BUILTIN:
        return _state(registry, name, None)
    row, created = TenantPluginRepository(session).enable(tenant_id, name, actor.key_id)
    if created:
        audit.record(session, tenant_id, actor, "plugin.enable", name, version=info.version, **why)
    return _state(registry, name, row)


def disable_plugin(session: Session, tenant_id: int, registry: IndustryRegistry, name: str, actor: Actor) -> None:
    """Disable a plugin for the tenant. Refused (Conflict) for the core's own plugin and for
    a plugin the tenant's current configuration needs (it provides its industry or
    registers one of its sections); NotFound if the tenant has not enabled it."""
    if name == BUILTIN:
        raise Conflict(f"the core's plugin {BUILTIN!r} is always enabled")
    repo = TenantPluginRepository(session)
    if repo.get(tenant_id, name) is None:
        raise NotFound(f"plugin {name!r} is not enabled for this tenant")
    latest = ConfigVersionRepository(session).latest(tenant_id)
    industry = (latest.document.get("industry") if latest else None) or None
    provider = registry.industry_plugin(industry) if industry else None
    if provider is not None and provider.name == name:
        raise Conflict(
            f"configuration version {latest.version} uses industry {industry!r}, which plugin {name!r} provides: "
            "upload a configuration without it first"
        )
    stored = latest.document if latest is not None else {}
    own = sorted(reg.item.name for reg in registry.installed.registered_sections if reg.plugin == name and reg.item.name in stored)
    if own:
        raise Conflict(
            f"configuration version {latest.version} has the section(s) {', '.join(own)}, which plugin {name!r} registers: "
            "upload a configuration without them first"
        )
    repo.disable(tenant_id, name)
    audit.record(session, tenant_id, actor, "plugin.disable", name)


def check_configured_industry(config: TenantConfig, templates: TemplateLookup, text: str | bytes, file: str | None) -> str | None:
    """The name of the plugin providing the configuration's ``industry:`` (None without
    one); a ConfigError naming ``industry``, with its line, if no installed plugin does."""
    if not config.industry:
        return None
    registry = registry_of(templates)
    provider = registry.industry_plugin(config.industry) if registry is not None else None
    if provider is not None:
        return provider.name
    known = ", ".join(registry.industries()) if registry is not None and registry.industries() else "none"
    message = f"no installed plugin provides industry {config.industry!r} (installed industries: {known})"
    try:
        issue = read_yaml(text, file).issue(("industry",), message)
    except ConfigError:  # cannot happen for text load_config accepted; keep the message anyway
        issue = ConfigIssue(("industry",), message, None, file)
    raise ConfigError([issue])


def enable_configured_industry(
    session: Session, tenant_id: int, config: TenantConfig, templates: TemplateLookup, actor: Actor, text: str | bytes, file: str | None
) -> None:
    """For a configuration being stored: enable the plugin providing its ``industry:``
    (ConfigError naming ``industry`` if none is installed)."""
    name = check_configured_industry(config, templates, text, file)
    if name is not None:
        enable_plugin(session, tenant_id, registry_of(templates), name, actor, industry=config.industry)


def capabilities(session: Session, tenant_id: int, registry: IndustryRegistry) -> dict:
    """What the tenant's plugins give it, each entry with the plugin it comes from: the
    scales its YAML may reference, expression functions, case and event types, analysis
    methods. JSON-ready."""
    plugins = tenant_plugin_set(session, tenant_id, registry)

    def params(ps):
        return [asdict(p) for p in ps]

    return {
        "plugins": sorted(plugins.names),
        "scales": [scale_dict(s) for s in plugins.scales().values()],
        "expression_functions": [
            {"name": f.name, "params": params(f.params), "returns": f.returns, "doc": f.doc, "plugin": reg.plugin}
            for reg in plugins.expression_functions.values()
            for f in (reg.item,)
        ],
        "case_types": [{**asdict(reg.item), "plugin": reg.plugin} for reg in plugins.case_types.values()],
        "event_types": [{**asdict(reg.item), "plugin": reg.plugin} for reg in plugins.event_types.values()],
        "analysis_methods": [
            {"code": m.code, "name": m.name, "name_zh": m.name_zh, "description": m.description, "params": params(m.params), "plugin": reg.plugin}
            for reg in plugins.analysis_methods.values()
            for m in (reg.item,)
        ],
    }
