"""Compiled configurations, built once per stored version and kept.

A stored version never changes, so its compiled form (the model objects of every section,
plus anything derived from them) is built the first time it is needed and then served
from memory: a lookup by key, no parsing, no hashing per request. The key names the
database, the tenant and the version number, which together identify one immutable
document (and the sections it is built with). Nothing ever invalidates an entry; the least recently used ones are dropped
when more than ``MAX_ENTRIES`` versions are in use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable, Mapping

from core.config.loader import TenantConfig, build_config
from core.config.sections import SectionRegistry

MAX_ENTRIES = 512


class CompiledConfigCache:
    """A thread-safe LRU of compiled configurations by immutable-version key."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, TenantConfig] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many documents were compiled (for tests and diagnostics)

    def get(self, key: Hashable, document: Mapping, sections: SectionRegistry | None = None) -> TenantConfig:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        built = build_config(document, sections)  # outside the lock: building can take milliseconds
        with self._lock:
            self.builds += 1
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return built

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE = CompiledConfigCache()


def compiled_config(key: Hashable, document: Mapping, sections: SectionRegistry | None = None) -> TenantConfig:
    """The compiled configuration of the stored version ``key`` whose document is given,
    built with ``sections`` (default: the core's); ``key`` must name the sections too."""
    return _CACHE.get(key, document, sections)


def cache() -> CompiledConfigCache:
    return _CACHE
