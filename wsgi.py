"""WSGI entry point: ``gunicorn wsgi:app`` (settings from CSM_* environment variables)."""

from core.app import create_app
from core.arenas import limit_malloc_arenas

limit_malloc_arenas()  # before the worker's threads start (core/arenas.py says why)
app = create_app()
