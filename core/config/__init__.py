"""Tenant configuration: YAML text → sections checked by marshmallow → compiled model.

Layout: ``yaml_loader`` (safe reading with lines), ``schema`` (shared field types),
``sections/`` (one module per top-level section, registered in one place), ``templates``
(plugin templates merged in), ``document`` (header and stored formats), ``loader`` (the
entry points), ``compiled`` (one compiled configuration per stored version, cached).
"""

from core.config.errors import ConfigError, ConfigIssue
from core.config.loader import TenantConfig, build_config, load_config
from core.config.templates import TemplateLookup, TemplateText
from core.config.yaml_loader import MAX_BYTES, MAX_DEPTH, YamlDocument, read_yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "ConfigError",
    "ConfigIssue",
    "TemplateLookup",
    "TemplateText",
    "TenantConfig",
    "YamlDocument",
    "build_config",
    "load_config",
    "read_yaml",
]
