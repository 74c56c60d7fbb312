"""Webhooks: Standard Webhooks signatures, server-side request forgery refused, delivery to
a local receiver with retries, a log, disabling, rotation, and never to another tenant.
Deliveries run ``core.operations.webhooks.deliver`` directly, with the clock given; the
worker that runs it in the background is tests/test_worker.py. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
import standardwebhooks

from core.alerts import AlertCandidate
from core.db.repositories import WebhookRepository
from core.operations import webhooks
from core.operations.alerts import raise_alerts
from core.webhooks import addresses, signing
from tests.helpers import PUBLIC_HOOK_URL, Receiver, app_session

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def test_the_signature_is_the_standard_webhooks_one():
    """The test vector of the Standard Webhooks reference libraries."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    now = int(datetime.now(timezone.utc).timestamp())
    headers = signing.headers([signing.new_secret(), secret], "msg_1", now, body)
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"test": 2432232314}  # the second signature verifies
    signing.verify(secret, headers, body, now)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body + b" ", now)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers, body, now + 301)  # a replay outside the tolerance
    fresh = signing.new_secret()
    assert fresh.startswith("whsec_") and len(signing._key(fresh)) == 24


@pytest.fixture
def resolver(monkeypatch):
    """Names resolve as the test says (no DNS query leaves the machine)."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost:8080/hook", "localhost resolves to 127.0.0.1 is a loopback address"),
        ("http://2130706433/", "resolves to 127.0.0.1 is a loopback address"),  # 127.0.0.1 as one number
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "127.0.0.1 is a loopback address (embedded in ::ffff:7f00:1)"),
        ("http://0.0.0.0/", "the unspecified address"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/hook", "is a private address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "is a link-local address"),
        ("http://100.64.0.1/", "shared (carrier-grade NAT) address"),
        ("http://intranet.example.test/hook", "intranet.example.test resolves to 10.0.0.5 is a private address"),
        ("http://mixed.example.test/hook", "mixed.example.test resolves to 192.168.1.1 is a private address"),
        ("ftp://93.184.215.14/", "must use http or https"),
        ("https://user:pw@93.184.215.14/", "must not carry credentials"),
        ("http:///nohost", "names no host"),
        ("http://93.184.215.14:99999/", "is not a valid URL"),
    ],
)
def test_unsafe_urls_are_refused_at_registration(make_tenant, resolver, url, reason):
    resolver["intranet.example.test"] = ["10.0.0.5"]
    resolver["mixed.example.test"] = ["93.184.215.14", "192.168.1.1"]  # one private answer is enough
    t = make_tenant("acme")
    r = t.post("/api/v1/webhooks", json={"url": url})
    assert r.status_code == 422, r.json
    [message] = [e["reason"] for e in r.json["errors"] if e["field"] == "url"]
    assert reason in message and message.startswith("url ")
    assert t.get("/api/v1/webhooks").json == []


def test_the_operator_may_allow_private_receivers(app, make_tenant):
    t = make_tenant("acme")
    assert t.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}).status_code == 422
    app.extensions["csm"].settings["WEBHOOK_ALLOW_PRIVATE"] = True
    assert t.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}).status_code == 201


def test_crud_shows_the_secret_once_and_audits(make_tenant):
    t = make_tenant("acme")
    r = t.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK_URL, "description": "ops", "kinds": ["breached", "remedy_overdue"]})
    assert r.status_code == 201
    hook_id, secret = r.json["endpoint"]["id"], r.json["secret"]
    assert secret.startswith("whsec_")
    listed = t.get("/api/v1/webhooks").json
    assert [h["kinds"] for h in listed] == [["breached", "remedy_overdue"]] and secret not in json.dumps(listed)
    assert secret not in t.get(f"/api/v1/webhooks/{hook_id}").get_data(as_text=True)
    r = t.client.patch(f"/api/v1/webhooks/{hook_id}", json={"kinds": None, "enabled": False}, headers=t.headers)
    assert r.status_code == 200 and (r.json["kinds"], r.json["enabled"]) == (None, False)
    r = t.client.patch(f"/api/v1/webhooks/{hook_id}", json={"kinds": ["late"]}, headers=t.headers)
    assert r.status_code == 422 and "kinds" in [e["field"].split(".")[0] for e in r.json["errors"]]
    r = t.client.patch(f"/api/v1/webhooks/{hook_id}", json={"url": "http://10.0.0.1/"}, headers=t.headers)
    assert r.status_code == 422 and [e["field"] for e in r.json["errors"]] == ["url"]
    rotated = t.post(f"/api/v1/webhooks/{hook_id}/rotate-secret").json
    assert rotated["secret"] != secret and rotated["endpoint"]["previous_secret_expires_at"] is not None
    assert t.delete(f"/api/v1/webhooks/{hook_id}").status_code == 204
    assert t.get(f"/api/v1/webhooks/{hook_id}").status_code == 404 and t.delete(f"/api/v1/webhooks/{hook_id}").status_code == 404
    actions = [e["action"] for e in t.get("/api/v1/audit?page_size=100").json]
    assert [a for a in actions if a.startswith("webhook.")] == ["webhook.delete", "webhook.rotate_secret", "webhook.update", "webhook.create"]


@pytest.fixture
def local(app):
    """Receivers on this machine are allowed; fast retry settings (base 30 s, 3 attempts,
    disabled after 4 failed attempts in a row)."""
    settings = app.extensions["csm"].settings
    settings.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_RETRY_SECONDS=30, WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_DISABLE_AFTER=4, WEBHOOK_TIMEOUT_SECONDS=5, WEBHOOK_LEASE_SECONDS=60)
    receivers: list[Receiver] = []

    def receiver(*answers, **kw) -> Receiver:
        receivers.append(Receiver(answers or (204,), **kw))
        return receivers[-1]

    yield receiver
    for r in receivers:
        r.close()


def alert(app, t, key: str, now: datetime, kind: str = "breached") -> list[int]:
    """Raise one alert for ``t``; the ids of the deliveries it queued."""
    with app_session(app, t.id) as session:
        raise_alerts(session, t.id, [AlertCandidate(kind, key, now, case_id="c1", payload={"step": key})], now=now)
        return WebhookRepository(session).due(t.id, now, 100)


def deliver(app, t, delivery_id, now):
    csm = app.extensions["csm"]
    return webhooks.deliver(csm.sessions, t.id, delivery_id, csm.settings, now)


def test_a_delivery_is_signed_retried_with_backoff_and_logged(app, make_tenant, local):
    receiver = local(500, 503, 204)
    t = make_tenant("acme")
    made = t.post("/api/v1/webhooks", json={"url": receiver.url}).json
    secret, hook_id = made["secret"], made["endpoint"]["id"]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    [delivery_id] = alert(app, t, "breached:c1:first_dish", now)
    # attempt 1 at now: 500 → next at now + 30 s; attempt 2 then: 503 → next 60 s later; attempt 3: 204
    assert deliver(app, t, delivery_id, now).next_attempt_at == now + timedelta(seconds=30)
    assert deliver(app, t, delivery_id, now + timedelta(seconds=29)) is None  # not due yet
    assert deliver(app, t, delivery_id, now + timedelta(seconds=30)).next_attempt_at == now + timedelta(seconds=90)
    done = deliver(app, t, delivery_id, now + timedelta(seconds=90))
    assert (done.status, done.attempts, done.delivered_at) == ("delivered", 3, now + timedelta(seconds=90))
    assert deliver(app, t, delivery_id, now + timedelta(hours=1)) is None  # delivered: never again
    assert len(set(receiver.ids())) == 1 and len(receiver.requests) == 3  # one webhook-id for every attempt
    for (headers, body), offset in zip(receiver.requests, (0, 30, 90)):
        assert headers["webhook-timestamp"] == str(int((now + timedelta(seconds=offset)).timestamp()))
        received = standardwebhooks.Webhook(secret).verify(body, headers)
    assert received["type"] == "alert.breached" and received["data"]["case_id"] == "c1" and received["data"]["payload"] == {"step": "breached:c1:first_dish"}
    [logged] = t.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
    assert logged["message_id"] == receiver.ids()[0] and logged["status"] == "delivered"
    assert [(a["attempt"], a["status_code"], a["error"]) for a in logged["log"]] == [(1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 204, None)]
    assert t.get(f"/api/v1/webhooks/{hook_id}").json["consecutive_failures"] == 0


def test_repeated_failure_fails_deliveries_and_disables_the_endpoint(app, make_tenant, local):
    receiver = local(500)
    t = make_tenant("acme")
    hook_id = t.post("/api/v1/webhooks", json={"url": receiver.url}).json["endpoint"]["id"]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    [first] = alert(app, t, "a1", now)
    for offset in (0, 30, 90):
        deliver(app, t, first, now + timedelta(seconds=offset))
    [logged] = t.get(f"/api/v1/webhooks/{hook_id}/deliveries").json
    assert (logged["status"], logged["attempts"]) == ("failed", 3)  # 3 attempts at most
    assert t.get(f"/api/v1/webhooks/{hook_id}").json["enabled"] is True  # 3 failures in a row: not yet 4
    later = now + timedelta(minutes=5)
    [second] = alert(app, t, "a2", later)
    deliver(app, t, second, later)
    endpoint = t.get(f"/api/v1/webhooks/{hook_id}").json
    assert endpoint["enabled"] is False and endpoint["disabled_reason"] == "disabled after 4 failed attempts in a row; last: HTTP 500"
    assert deliver(app, t, second, later + timedelta(hours=1)) is None and alert(app, t, "a3", later) == []  # nothing more is sent, nothing queued
    r = t.client.patch(f"/api/v1/webhooks/{hook_id}", json={"enabled": True}, headers=t.headers)
    assert (r.json["enabled"], r.json["consecutive_failures"], r.json["disabled_reason"]) == (True, 0, None)
    assert len(receiver.requests) == 4


def test_redirects_are_not_followed(app, make_tenant, local):
    inner = local(204)
    outer = local(302, redirect_to=inner.url)
    t = make_tenant("acme")
    hook_id = t.post("/api/v1/webhooks", json={"url": outer.url}).json["endpoint"]["id"]
    now = datetime.now(timezone.utc)
    [delivery_id] = alert(app, t, "r1", now)
    result = deliver(app, t, delivery_id, now)
    assert (result.status, result.last_status_code, result.last_error) == ("pending", 302, "HTTP 302: redirects are not followed")
    assert len(outer.requests) == 1 and inner.requests == []
    assert t.get(f"/api/v1/webhooks/{hook_id}/deliveries").json[0]["log"][0]["error"] == "HTTP 302: redirects are not followed"


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_not_called(app, make_tenant, local, resolver):
    receiver = local(204)
    t = make_tenant("acme")
    port = receiver.server.server_address[1]
    app.extensions["csm"].settings["WEBHOOK_ALLOW_PRIVATE"] = False
    resolver["hooks.example.test"] = ["93.184.215.14"]  # public when registered...
    assert t.post("/api/v1/webhooks", json={"url": f"http://hooks.example.test:{port}/hook"}).status_code == 201
    resolver["hooks.example.test"] = ["127.0.0.1"]  # ...rebound to this machine before the delivery
    now = datetime.now(timezone.utc)
    [delivery_id] = alert(app, t, "dns1", now)
    result = deliver(app, t, delivery_id, now)
    assert result.last_status_code is None and result.last_error.startswith("refused before sending: url hooks.example.test resolves to 127.0.0.1 is a loopback address")
    assert receiver.requests == []


def test_a_rotated_secret_signs_beside_the_new_one_until_it_expires(app, make_tenant, local):
    receiver = local(500, 204, 204)
    t = make_tenant("acme")
    made = t.post("/api/v1/webhooks", json={"url": receiver.url}).json
    old, hook_id = made["secret"], made["endpoint"]["id"]
    new = t.post(f"/api/v1/webhooks/{hook_id}/rotate-secret").json["secret"]
    now = datetime.now(timezone.utc)
    [delivery_id] = alert(app, t, "rot1", now)
    deliver(app, t, delivery_id, now)
    (headers, body), = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(body, headers)
    # past the grace period (24 h) only the new secret signs
    with app_session(app, t.id) as session:
        WebhookRepository(session).rotate(t.id, hook_id, new, now - timedelta(seconds=1), now)  # the old one expired
    deliver(app, t, delivery_id, now + timedelta(seconds=30))
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    standardwebhooks.Webhook(new).verify(body, headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(old).verify(body, headers)


def test_a_worker_that_dies_mid_attempt_leaves_the_delivery_to_be_sent_again_with_the_same_id(app, make_tenant, local):
    receiver = local(204)
    t = make_tenant("acme")
    t.post("/api/v1/webhooks", json={"url": receiver.url})
    now = datetime.now(timezone.utc)
    [delivery_id] = alert(app, t, "lease1", now)
    with app_session(app, t.id) as session:  # a worker claims the attempt, then dies before recording it
        claimed = WebhookRepository(session).claim(t.id, delivery_id, now, now + timedelta(seconds=60))
    assert claimed.delivery.attempts == 1
    assert deliver(app, t, delivery_id, now + timedelta(seconds=59)) is None  # the lease still holds
    with app_session(app, t.id) as session:
        assert webhooks.due_deliveries(session, t.id, now + timedelta(seconds=61)) == [delivery_id]
    result = deliver(app, t, delivery_id, now + timedelta(seconds=61))
    assert (result.status, result.attempts, receiver.ids()) == ("delivered", 2, [claimed.delivery.message_id])


def test_an_alert_is_delivered_to_its_own_tenant_only(app, make_tenant, local):
    mine, theirs = local(204), local(204)
    a, b = make_tenant("tenant-a"), make_tenant("tenant-b")
    a.post("/api/v1/webhooks", json={"url": mine.url})
    b.post("/api/v1/webhooks", json={"url": theirs.url})
    now = datetime.now(timezone.utc)
    [delivery_id] = alert(app, a, "same-key", now)
    assert deliver(app, b, delivery_id, now) is None  # b's worker binding cannot reach a's delivery
    assert deliver(app, a, delivery_id, now).status == "delivered"
    assert len(mine.requests) == 1 and theirs.requests == []
    [other] = alert(app, b, "same-key", now)  # the same dedup key is b's own
    assert deliver(app, b, other, now).status == "delivered" and len(theirs.requests) == 1 and len(mine.requests) == 1


def test_address_checks_by_hand():
    assert addresses.refusal("93.184.215.14") is None and addresses.refusal("2606:4700::1111") is None
    assert addresses.refusal("64:ff9b::a00:1") == "10.0.0.1 is a private address (embedded in 64:ff9b::a00:1)"  # NAT64
    assert addresses.refusal("2002:a00:1::1") == "10.0.0.1 is a private address (embedded in 2002:a00:1::1)"  # 6to4
    assert addresses.parse("https://h.example/a?b=1") == ("https", "h.example", 443, "/a?b=1")
