"""Configuration sections: one module per top-level section of a tenant document.

``CORE_SECTIONS`` lists the core's own; plugins add theirs with the
``csm_register_config_sections`` hook. See ``core.config.sections.base`` for the contract.
"""

from core.config.sections import analysis, calendars, commitments, customers, indicator_set, scales, services
from core.config.sections.base import Section, SectionContext, SectionDefault, SectionRegistry

CORE_SECTIONS: tuple[Section, ...] = (
    scales.SECTION,
    indicator_set.SECTION,
    customers.SECTION,
    services.SECTION,
    analysis.SECTION,
    calendars.SECTION,
    commitments.SECTION,
)
CORE_REGISTRY = SectionRegistry(CORE_SECTIONS)

__all__ = ["CORE_REGISTRY", "CORE_SECTIONS", "Section", "SectionContext", "SectionDefault", "SectionRegistry"]
