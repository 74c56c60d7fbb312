"""The REST API: one package per resource, registered here in one place."""

from flask_smorest import Api

from core.api.alerts.resources import blp as alerts
from core.api.analyses.resources import blp as analyses
from core.api.audit.resources import blp as audit
from core.api.cases.on_time import blp as commitments
from core.api.cases.resources import blp as cases
from core.api.configuration.resources import blp as configuration
from core.api.customers.resources import blp as customers
from core.api.erasure.resources import blp as erasure
from core.api.industries.resources import blp as industries
from core.api.keys.resources import blp as keys
from core.api.plugins.resources import blp as plugins
from core.api.purchases.resources import blp as purchases
from core.api.responses import listing as _listing  # noqa: F401  (adds GET /responses to the blueprint)
from core.api.responses.resources import blp as responses
from core.api.scores.resources import blp as scores
from core.api.tenants.resources import blp as tenants
from core.api.webhooks.resources import blp as webhooks

BLUEPRINTS = (tenants, keys, audit, industries, configuration, responses, scores, erasure, analyses, plugins, cases, commitments, alerts, webhooks, customers, purchases)


def register_api(api: Api) -> None:
    for blueprint in BLUEPRINTS:  # (ResponseItem, the shape of an ingested item, comes with IngestSchema)
        api.register_blueprint(blueprint)
