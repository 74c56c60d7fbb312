"""Tenant configuration: YAML text → marshmallow shape check → validated domain model."""

from core.config.errors import ConfigError, ConfigIssue
from core.config.loader import (
    TemplateLookup,
    TemplateText,
    TenantConfig,
    build_config,
    load_config,
)
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
