"""Demo data: synthetic responses (``synthetic``) and the demo tenants of `make run` (``seed``).

Seeding goes through the same operations as the API and the CLI, so demo tenants, keys
and versions are audited like any other.
"""
