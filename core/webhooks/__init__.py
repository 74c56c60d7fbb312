"""Webhooks following the Standard Webhooks conventions: signing, address checks, sending.

- ``signing``: per-endpoint secrets (``whsec_...``) and the ``webhook-*`` headers;
- ``addresses``: which URLs may be called at all (server-side request forgery);
- ``sender``: one POST to an address that passed the check, no redirects followed.

No Flask and no SQL; the outbox and its retries are ``core.operations.webhooks``.
"""
