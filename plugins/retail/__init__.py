"""Retail (supermarket) industry plugin: the 金客隆 supermarket questionnaire and its touchpoints.

All facts live in ``industry.yaml`` and ``templates/``; see README.md for the mapping.
"""

from pathlib import Path

from core.catalogue import CataloguePlugin

plugin = CataloguePlugin(Path(__file__).parent)
