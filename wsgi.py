"""WSGI entry point: ``gunicorn wsgi:app`` (settings from CSM_* environment variables)."""

from core.app import create_app

app = create_app()
