"""Retail (supermarket) industry plugin: the 金客隆 supermarket questionnaire and its touchpoints.

All facts live in ``industry.yaml`` and ``templates/``; see README.md for the mapping.
"""

from pathlib import Path

from core.catalogue import CataloguePlugin
from core.model import PluginInfo

plugin = CataloguePlugin(
    Path(__file__).parent,
    PluginInfo(
        name="retail",
        version="0.1.0",
        core=">=0.1,<0.2",
        description="Supermarket customer satisfaction: the 金客隆 questionnaire (13 questions), touchpoints and service cases.",
    ),
)
