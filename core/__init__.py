"""CSM core: the industry-neutral engine of the customer-satisfaction backend.

Plugin authors need only ``from core import hookimpl``.
"""

from core.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
