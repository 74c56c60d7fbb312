"""Errors the database layer raises on purpose, so callers can map them to 4xx answers."""

from __future__ import annotations


class InvalidSlug(ValueError):
    """A tenant slug does not match ``^[a-z0-9][a-z0-9-]{1,62}$``."""


class SlugTaken(ValueError):
    """Another tenant already uses this slug."""


class ConfigVersionConflict(RuntimeError):
    """Concurrent writers kept taking the next version number; the caller may try again."""


class DuplicateResponseKey(ValueError):
    """A response_key already exists for this tenant (or repeats within one batch)."""


class UnknownConfigVersion(ValueError):
    """The config version does not exist in this tenant (or its number does not match)."""


class UnknownApiKey(ValueError):
    """The API key does not exist in this tenant."""
