"""The answer store: blocks written at ingest score exactly as the responses' JSON does,
skip what ``from``/``to`` exclude, survive a respondent's erasure consistently, go with
their tenant, and are built by migration 0007 for responses stored before it."""

from __future__ import annotations

import json
import struct
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, text

from core.config import load_config
from core.db import downgrade, make_engine, make_session_factory, unit_of_work, upgrade
from core.db.repositories import AnswerBlockRepository, ResponseRepository
from core.db.repositories.response_frames import write_columns
from core.db.tables import AnswerBlockRow, ResponseRow
from core.db.tenancy import bind_tenant
from core.demo.synthetic import synthetic_responses
from core.ingest import batch_from_frame, prepare_rows
from core.operations import erasure
from core.operations.base import CLI
from core.operations.configuration import config_of, config_version
from core.operations.reports import report
from core.scoring import ScoringInputError, score
from core.store import decode, encode, score_blocks
from core.store.codec import CUSTOMERS, id_runs
from core.store.columns import FLAG, FLOAT, INTEGER, OPTION, KeyColumn, build
from tests.helpers import TEXT_YAML, TWO, app_session

UTC = timezone.utc


# --- pure: columns and codec -------------------------------------------------------------------


def test_columns_encode_each_kind_of_answer_compactly():
    iset = load_config(TEXT_YAML).indicator_set
    answers = pd.DataFrame(
        {
            "env_overall": ["A", None, "D"],  # ordinal: positions in A, B, C, D; −1 blank
            "env_noise": [2.0, 7.5, np.nan],  # numeric with a fraction: float64
            "nps_recommend": [10.0, 0.0, np.nan],  # whole numbers: int8, −128 blank
            "what_to_improve": ["faster", None, ""],  # text: answered flags only
        }
    )
    times = pd.to_datetime(["2026-01-01T00:00:00Z", "2026-01-01T00:00:01.5Z", "1970-01-01T00:00:00Z"], utc=True, format="ISO8601")
    cols = build(times, ["web", None, "web"], ["c1", "c2", None], pd.DataFrame({"segment": ["vip", "vip", None]}), answers, iset)
    assert cols.n == 3
    # 2026-01-01 is 20,454 days after 1970-01-01: 20454 × 86,400 × 10^6 µs.
    assert cols.collected_at.tolist() == [20454 * 86_400_000_000, 20454 * 86_400_000_000 + 1_500_000, 0]
    q = cols.questions
    assert (q["env_overall"].kind, q["env_overall"].data.tolist(), q["env_overall"].options) == (OPTION, [0, -1, 3], ("A", "B", "C", "D"))
    assert q["env_overall"].data.dtype == np.int8
    assert q["env_noise"].kind == FLOAT and q["env_noise"].data[:2].tolist() == [2.0, 7.5]
    assert (q["nps_recommend"].kind, q["nps_recommend"].data.dtype, q["nps_recommend"].data.tolist()) == (INTEGER, np.int8, [10, 0, -128])
    assert (q["what_to_improve"].kind, q["what_to_improve"].data.tolist()) == (FLAG, [1, 0, 0])
    assert q["checkout_speed"].data.tolist() == [-1, -1, -1]  # not in the batch: blank
    assert (cols.touchpoint.codes.tolist(), cols.touchpoint.values) == ([0, -1, 0], ("web",))
    assert (cols.attributes["segment"].codes.tolist(), cols.attributes["segment"].values) == ([0, 0, -1], ("vip",))

    view = decode(encode(cols.with_ids([7, 8, 12])))
    assert view.n == 3 and view.ids.tolist() == [7, 8, 12] and view.header["ids"] == [[7, 2], [12, 1]]
    back = view.columns()
    for code, col in cols.questions.items():
        np.testing.assert_array_equal(back.questions[code].data, col.data)
        assert back.questions[code].kind == col.kind
    assert back.customer_id.values == ("c1", "c2") and back.collected_at.tolist() == cols.collected_at.tolist()


def _as_layout_1(payload: bytes) -> bytes:
    """The same block as layout 1 wrote it: the customer dictionary in the header."""
    view = decode(payload)
    header = {**view.header, "customer_id": list(view.key("customer_id").values)}
    header["sections"] = [section for section in header["sections"] if section[0] != CUSTOMERS]
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(9 + len(text)) % 8)
    return b"CSMA" + bytes([1]) + struct.pack("<I", len(text)) + text + payload[view.body :]


def test_the_customer_dictionary_is_parsed_only_when_asked_for_and_layout_1_still_reads():
    iset = load_config(TEXT_YAML).indicator_set
    answers = pd.DataFrame({"env_overall": ["A", "C", "D", "B"]})
    times = pd.to_datetime(["2026-01-01T00:00:00Z"] * 4, utc=True)
    cols = build(times, ["web"] * 4, ["c1", "客户-2", None, "c1"], pd.DataFrame({"segment": ["vip", "new", "vip", None]}), answers, iset)
    payload = encode(cols.with_ids([1, 2, 3, 4]))
    view = decode(payload)
    assert payload[4] == 2 and "customer_id" not in view.header  # not in the header every read parses
    assert (view.key("customer_id").codes.tolist(), view.key("customer_id").values) == ([0, 1, -1, 0], ("c1", "客户-2"))
    old = _as_layout_1(payload)
    assert old[4] == 1 and decode(old).header["customer_id"] == ["c1", "客户-2"]
    assert decode(old).key("customer_id").values == ("c1", "客户-2")
    for by in ((), ("customer_id",), ("segment",)):
        assert score_blocks([old], iset, by=by).to_dict() == score_blocks([payload], iset, by=by).to_dict()


def test_id_runs_and_dictionary_cut_to_the_rows_kept():
    assert id_runs(np.array([1, 2, 3, 10, 11, 20])) == [[1, 3], [10, 2], [20, 1]]
    assert id_runs(np.array([], dtype=np.int64)) == []
    key = KeyColumn.of(["c1", "c2", None, "c2", "c3"])
    assert key.codes.tolist() == [0, 1, -1, 1, 2]
    kept = key.take(np.array([True, False, True, False, True]))  # c2 erased: its value goes too
    assert (kept.codes.tolist(), kept.values) == ([0, -1, 1], ("c1", "c3"))


# --- the store against the JSON source, on both databases ----------------------------------


def _store(app, tenant_id, rows: int = 3000, batch: int = 700, seed: int = 5):
    """``rows`` synthetic responses in batches of ``batch`` (several blocks), with gaps
    (fractional numbers, blank keys and attributes) that must come back as stored."""
    with app_session(app, tenant_id) as session:
        iset = config_of(session, config_version(session, tenant_id)).indicator_set
    frame = synthetic_responses(iset, rows, seed=seed, attributes={"segment": ["vip", "new", "regular"], "region": ["n", "s"]}, touchpoints=["web", "store"], start="2025-11-01", months=6)
    frame.loc[frame.index % 7 == 0, "env_noise"] = 4.5
    frame.loc[frame.index % 11 == 0, "touchpoint"] = None
    frame.loc[frame.index % 13 == 0, "segment"] = None
    frame.loc[frame.index % 17 == 0, "what_to_improve"] = "  "
    for start in range(0, rows, batch):
        with app_session(app, tenant_id) as session:
            stored = config_version(session, tenant_id)
            prepared = prepare_rows(batch_from_frame(frame.iloc[start : start + batch], iset), iset)
            ResponseRepository(session).insert_many(tenant_id, stored.id, stored.version, prepared)
    return iset, frame


def _both(session, tenant_id, iset, by=(), period=None, start=None, end=None, **kw):
    expected = score(ResponseRepository(session).load_frame(tenant_id, 1, start, end), iset, by=by, period=period, canonical=True, **kw).to_dict()
    got = score_blocks(AnswerBlockRepository(session).payloads(tenant_id, 1, start, end), iset, by=by, period=period, start=start, end=end, **kw).to_dict()
    return got, expected


CASES = [
    ((), None, None, None),
    (("segment",), None, None, None),
    (("touchpoint", "period"), "month", None, None),
    (("region", "segment", "period"), "quarter", None, None),
    (("period",), "month", datetime(2026, 1, 10, 12, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)),
    (("segment",), None, datetime(2026, 2, 1, tzinfo=UTC), None),
    ((), None, None, datetime(2025, 12, 24, 6, 30, tzinfo=UTC)),
    ((), None, datetime(2030, 1, 1, tzinfo=UTC), None),  # nothing in range
]


@pytest.mark.parametrize("by,period,start,end", CASES)
def test_scores_from_the_store_equal_scores_from_the_json(app, make_tenant, by, period, start, end):
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    iset, _ = _store(app, acme.id)
    with app_session(app, acme.id) as session:
        got, expected = _both(session, acme.id, iset, by, period, start, end)
    assert got == expected
    assert got["n"] == expected["n"]


@pytest.mark.parametrize(
    "by,period,compare",
    [(("period",), "month", "previous"), (("segment", "period"), "month", "2026-02"), (("touchpoint", "period"), "quarter", "previous")],
)
def test_margins_and_comparisons_from_the_store_equal_those_from_the_json(app, make_tenant, by, period, compare):
    """The respondent-level spread (margins of every node, the tests of differences) is the
    same whether the answers come from the answer store or from the stored JSON."""
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    iset, _ = _store(app, acme.id)
    with app_session(app, acme.id) as session:
        got, expected = _both(session, acme.id, iset, by, period, min_n=50, compare=compare)
    assert got == expected
    assert got["compare"] == compare and got["min_n"] == 50
    compared = [g["compare"] for g in got["groups"].values() if "compare" in g]
    assert compared and all(c["csi"]["test"] == "welch_t" for c in compared)
    assert all(c["csi"]["p_value"] is not None for c in compared if min(c["csi"]["n"]) >= 2)
    assert all(node["margin_of_error"] is not None for node in got["nodes"].values() if node["score"] is not None)


def test_grouping_by_customer_and_a_bad_key_read_the_same(app, make_tenant):
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    iset, frame = _store(app, acme.id, rows=900, batch=300)
    with app_session(app, acme.id) as session:
        got, expected = _both(session, acme.id, iset, ("customer_id",))
        assert got == expected and len(got["groups"]) == frame["customer_id"].nunique()
        with pytest.raises(ScoringInputError) as from_json:
            _both(session, acme.id, iset, ("segmnet",))
        with pytest.raises(ScoringInputError) as from_store:
            score_blocks(AnswerBlockRepository(session).payloads(acme.id, 1), iset, by=("segmnet",))
    assert str(from_store.value) == str(from_json.value)
    assert "available: customer_id, touchpoint, segment, region, period" in str(from_store.value)


def test_known_answer_through_the_api(client, make_tenant):
    """Two responses to store.yaml (tests/helpers.TWO, worked by hand in
    tests/test_api.py::test_known_answer_scores) give the same scores from the store:
    env_overall A (100) and C (33.33) → 66.6667, checkout_speed B (66.67) and D (0) → 33.3333."""
    acme = make_tenant("acme")
    acme.upload()
    assert acme.post("/api/v1/responses", json={"responses": TWO}).status_code == 201
    body = acme.get("/api/v1/scores").json
    assert body["n"] == 2
    assert body["nodes"]["env_overall"]["score"] == 66.6667
    assert body["nodes"]["checkout_speed"]["score"] == 33.3333
    assert body["nodes"]["env_overall"]["distribution"] == {"A": 1, "B": 0, "C": 1, "D": 0}


def test_a_batch_and_its_block_commit_together(app, make_tenant):
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    _store(app, acme.id, rows=1000, batch=400)
    with app_session(app, acme.id) as session:
        blocks = session.execute(select(AnswerBlockRow.rows, AnswerBlockRow.first_id, AnswerBlockRow.last_id).order_by(AnswerBlockRow.id)).all()
        ids = session.scalars(select(ResponseRow.id).order_by(ResponseRow.id)).all()
        payloads = AnswerBlockRepository(session).payloads(acme.id, 1)
        stored_ids = np.concatenate([decode(p).ids for p in payloads])
    assert [b.rows for b in blocks] == [400, 400, 200]
    assert sorted(stored_ids.tolist()) == list(ids)  # every response in exactly one block
    assert [(b.first_id, b.last_id) for b in blocks] == [(ids[0], ids[399]), (ids[400], ids[799]), (ids[800], ids[999])]
    # A refused batch stores neither rows nor a block.
    r = acme.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}, {"answers": {"env_overall": "Z"}}]})
    assert r.status_code == 422
    with app_session(app, acme.id) as session:
        assert session.scalar(select(func.count()).select_from(AnswerBlockRow)) == 3


def test_from_and_to_skip_blocks_outside_the_range(app, make_tenant):
    acme = make_tenant("acme")
    acme.upload()
    early = [{"collected_at": "2025-01-05T00:00:00Z", "answers": {"env_overall": "A"}}] * 3
    late = [{"collected_at": "2026-06-05T00:00:00Z", "answers": {"env_overall": "D"}}] * 2
    assert acme.post("/api/v1/responses", json={"responses": early}).status_code == 201
    assert acme.post("/api/v1/responses", json={"responses": late}).status_code == 201
    with app_session(app, acme.id) as session:
        repo = AnswerBlockRepository(session)
        assert len(list(repo.payloads(acme.id, 1, start=datetime(2026, 1, 1, tzinfo=UTC)))) == 1
        assert len(list(repo.payloads(acme.id, 1, end=datetime(2025, 1, 5, tzinfo=UTC)))) == 0  # `to` is exclusive
        assert len(list(repo.payloads(acme.id, 1))) == 2
    assert acme.get("/api/v1/scores?from=2026-01-01T00:00:00Z").json["nodes"]["env_overall"]["score"] == 0.0
    assert acme.get("/api/v1/scores?to=2026-01-01T00:00:00Z").json["nodes"]["env_overall"]["score"] == 100.0


def test_erasing_a_customer_rewrites_the_blocks_that_held_them(app, make_tenant):
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    iset, frame = _store(app, acme.id, rows=1200, batch=500)
    victim = frame["customer_id"].value_counts().index[0]
    held = int((frame["customer_id"] == victim).sum())
    with app_session(app, acme.id) as session:
        before = AnswerBlockRepository(session).watermark(acme.id, 1)
        assert erasure.erase_customer(session, acme.id, victim, CLI).responses == held
    with app_session(app, acme.id) as session:
        assert ResponseRepository(session).count(acme.id) == 1200 - held
        assert AnswerBlockRepository(session).count_rows(acme.id) == 1200 - held
        assert AnswerBlockRepository(session).watermark(acme.id, 1) != before
        got, expected = _both(session, acme.id, iset, ("customer_id",))
        assert got == expected and victim not in got["groups"]
        assert _both(session, acme.id, iset, ("segment", "period"), "month")[0] == _both(session, acme.id, iset, ("segment", "period"), "month")[1]
        payloads = b"".join(AnswerBlockRepository(session).payloads(acme.id, 1))
        events = session.execute(text("SELECT action, target, details FROM audit_events WHERE action = 'responses.erase_customer'")).all()
    assert victim.encode() not in payloads  # gone from every block's dictionary too
    assert len(events) == 1 and victim not in events[0].target and f'"responses": {held}' in events[0].details
    with app_session(app, acme.id) as session:
        assert erasure.erase_customer(session, acme.id, "nobody", CLI).responses == 0


def test_deleting_the_tenant_deletes_its_blocks(app, make_tenant):
    acme, beta = make_tenant("acme"), make_tenant("beta")
    for t in (acme, beta):
        t.upload()
        assert t.post("/api/v1/responses", json={"responses": [{"answers": {"env_overall": "A"}}]}).status_code == 201

    def blocks(tenant_id):
        with app_session(app, tenant_id) as session:
            return session.scalar(text("SELECT count(*) FROM answer_blocks WHERE tenant_id = :t"), {"t": tenant_id})

    assert (blocks(acme.id), blocks(beta.id)) == (1, 1)
    assert acme.delete("/api/v1/tenant", json={"confirm": "acme"}).status_code == 204
    assert (blocks(acme.id), blocks(beta.id)) == (0, 1)
    assert beta.get("/api/v1/scores").json["n"] == 1


def test_migration_0007_builds_blocks_for_responses_already_stored(db_url):
    """Responses stored at revision 0006 (no store yet) get blocks of 10,000 rows at most
    on upgrade, scoring as their JSON does; downgrade drops the table."""
    upgrade(db_url, "0006")
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    iset = load_config(TEXT_YAML).indicator_set
    frame = synthetic_responses(iset, 12_500, seed=3, attributes={"segment": ["vip", "new"]}, touchpoints=["web"], start="2026-01-01", months=3)
    tenants = {}
    for slug in ("acme", "beta"):
        with unit_of_work(sessions) as session:
            tenant_id = session.execute(text("INSERT INTO tenants (slug, name) VALUES (:s, :s) RETURNING id"), {"s": slug}).scalar_one()
            bind_tenant(session, tenant_id)
            version_id = session.execute(
                text("INSERT INTO config_versions (tenant_id, version, indicator_set_code, yaml_text, document, checksum) VALUES (:t, 1, 'x', :y, :d, 'c') RETURNING id"),
                {"t": tenant_id, "y": TEXT_YAML, "d": json.dumps(load_config(TEXT_YAML).document)},
            ).scalar_one()
            part = frame if slug == "acme" else frame.iloc[:10]
            cols = write_columns(prepare_rows(batch_from_frame(part, iset), iset))
            session.execute(
                text("INSERT INTO responses (tenant_id, config_version_id, version, response_key, customer_id, touchpoint, collected_at, attributes, answers) VALUES (:t, :v, 1, :k, :c, :p, :at, :a, :ans)"),
                [
                    {"t": tenant_id, "v": version_id, "k": k, "c": c, "p": p, "at": at + ("+00:00" if engine.dialect.name == "postgresql" else ""), "a": a, "ans": ans}
                    for k, c, p, at, a, ans in zip(cols.response_key, cols.customer_id, cols.touchpoint, cols.collected_at_utc, cols.attributes, cols.answers)
                ],
            )
            tenants[slug] = tenant_id
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    try:
        for slug, rows in (("acme", 12_500), ("beta", 10)):
            with unit_of_work(sessions) as session:
                bind_tenant(session, tenants[slug])
                sizes = session.scalars(select(AnswerBlockRow.rows).where(AnswerBlockRow.tenant_id == tenants[slug]).order_by(AnswerBlockRow.id)).all()
                assert sizes == ([10_000, 2_500] if rows > 10_000 else [10])
                got, expected = _both(session, tenants[slug], iset, ("segment", "period"), "month")
                assert got == expected and got["n"] == rows
                assert report(session, tenants[slug], by=("segment",))["n"] == rows
    finally:
        engine.dispose()
    downgrade(db_url, "0006")
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            assert "answer_blocks" not in set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("by,period,start,end", [CASES[0], CASES[3], CASES[4]])
def test_version_all_reads_every_versions_blocks_and_equals_the_json(app, make_tenant, monkeypatch, by, period, start, end):
    """``version=all`` pools the blocks of versions 1 and 2 (the same tree uploaded twice)
    and scores exactly as the JSON rows of both versions concatenated, without reading
    any of those rows."""
    acme = make_tenant("acme")
    acme.upload(TEXT_YAML)
    iset, _ = _store(app, acme.id, rows=1400, batch=500, seed=5)
    acme.upload(TEXT_YAML)
    _store(app, acme.id, rows=900, batch=400, seed=6)
    with app_session(app, acme.id) as session:
        repo = ResponseRepository(session)
        frames = [repo.load_frame(acme.id, number, start, end) for number in (1, 2)]
        expected = score(pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True), iset, by=by, period=period, canonical=True).to_dict()
        parsed = []
        monkeypatch.setattr(ResponseRepository, "load_frame", lambda *a, **k: parsed.append(a))  # the report must not read the JSON
        got = report(session, acme.id, "all", start, end, by, period)
    assert (got.pop("version"), got.pop("versions")) == ("all", [1, 2]) and parsed == []
    assert got == expected and got["n"] == sum(len(f) for f in frames)
