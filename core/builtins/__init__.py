"""The core's own plugin: its defaults, provided through the same hooks as any plugin.

Registered first by ``core.plugins.get_plugin_manager`` and enabled for every tenant (it
cannot be disabled), so the core has no second path for its defaults: the standard
rating scales, the time-limit expression functions and the analysis methods reach a
tenant exactly as a plugin's would. Fallbacks that plugins may replace are ``trylast``
(datasette's DEFAULT_PLUGINS pattern): a plugin registering a scale ``sat5`` overrides
the core's.
"""

from __future__ import annotations

from core import __version__
from core.analysis.methods import ANALYSIS_METHODS
from core.builtins.expressions import EXPRESSION_FUNCTIONS
from core.config.sections import CORE_SECTIONS
from core.hookspecs import hookimpl
from core.model import PluginInfo
from core.model.standard_scales import STANDARD_SCALES

NAME = "core"

csm_plugin_info = PluginInfo(
    name=NAME,
    version=__version__,
    core=f"=={__version__}",
    description="The core's defaults: configuration sections, standard rating scales, time-limit expression functions and analysis methods.",
)


@hookimpl(trylast=True)
def csm_register_scales():
    """sat4, sat5, sat7, kano (core.model.standard_scales); any plugin's scale of the same code wins."""
    return list(STANDARD_SCALES.values())


@hookimpl
def csm_register_expression_functions():
    return list(EXPRESSION_FUNCTIONS)


@hookimpl(trylast=True)
def csm_register_config_sections():
    """The core's sections (core.config.sections.CORE_SECTIONS): scales, indicator_set, analysis, calendars, commitments."""
    return list(CORE_SECTIONS)


@hookimpl
def csm_register_analysis_methods():
    """drivers, kano, pls, loyalty_matrix, tiers, expectation_gap, peak_end, ahp (core.analysis.methods)."""
    return list(ANALYSIS_METHODS)
