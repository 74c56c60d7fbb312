"""Page sizes come from the settings (PAGE_SIZE, MAX_PAGE_SIZE) on every listing, at
request time and in the spec; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from core.app import create_app
from tests.helpers import OPERATOR_KEY, TenantHandle

LISTINGS = ("/api/v1/responses", "/api/v1/audit")


@pytest.fixture
def small_pages(app_db_url, monkeypatch):
    """An app with pages of 2 by default and at most 3; the maximum set through the
    environment, as deployed, the default through create_app's mapping."""
    monkeypatch.setenv("CSM_MAX_PAGE_SIZE", "3")
    app = create_app({"DATABASE_URL": app_db_url, "OPERATOR_KEY": OPERATOR_KEY, "PAGE_SIZE": 2})
    t = TenantHandle(app.test_client(), "acme")
    t.upload()  # audit: tenant.create, key.create, config.upload
    items = [{"response_id": f"r{i}", "collected_at": f"2026-01-0{i}T00:00:00Z", "answers": {"env_overall": "A"}} for i in range(1, 6)]
    assert t.post("/api/v1/responses", json={"responses": items}).status_code == 201
    t.post("/api/v1/keys", json={"name": "k1"})
    t.post("/api/v1/keys", json={"name": "k2"})  # audit: 5 events
    yield t
    app.extensions["csm"].engine.dispose()


@pytest.mark.parametrize("url", LISTINGS)
def test_the_default_page_size_is_the_setting(small_pages, url):
    r = small_pages.get(url)
    assert r.status_code == 200 and len(r.json) == 2
    meta = json.loads(r.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["next_page"]) == (5, 3, 2)
    assert len(small_pages.get(url + "?page=3").json) == 1


@pytest.mark.parametrize("url", LISTINGS)
def test_the_maximum_page_size_is_the_setting(small_pages, url):
    assert len(small_pages.get(url + "?page_size=3").json) == 3
    r = small_pages.get(url + "?page_size=4")
    assert r.status_code == 422 and r.json["code"] == 422
    assert r.json["errors"] == [{"location": "query", "field": "page_size", "line": None, "index": None, "reason": "Must be greater than or equal to 1 and less than or equal to 3."}]
    assert r.json["message"] == "1 problem(s) in the request: query parameter 'page_size': Must be greater than or equal to 1 and less than or equal to 3."


def _page_size_doc(spec, url):
    return next(p for p in spec["paths"][url]["get"]["parameters"] if p["name"] == "page_size")["schema"]


def test_the_spec_documents_the_apps_page_sizes(small_pages):
    spec = small_pages.client.get("/openapi.json").json
    for url in LISTINGS:
        assert (_page_size_doc(spec, url)["default"], _page_size_doc(spec, url)["maximum"]) == (2, 3), url


def test_the_defaults_are_50_and_at_most_1000(client):
    spec = client.get("/openapi.json").json
    for url in LISTINGS:
        assert (_page_size_doc(spec, url)["default"], _page_size_doc(spec, url)["maximum"]) == (50, 1000), url


def test_unknown_query_parameters_are_422_naming_them(small_pages):
    """A misspelt page size must not silently give the default page."""
    for url in ("/api/v1/responses?page_sise=3", "/api/v1/audit?page_sise=3", "/api/v1/scores?bye=segment"):
        r = small_pages.get(url)
        assert r.status_code == 422, url
        assert [(e["location"], e["field"]) for e in r.json["errors"]] == [("query", url.split("?")[1].split("=")[0])], r.json
