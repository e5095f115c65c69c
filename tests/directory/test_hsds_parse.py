"""Parsing in a forked worker gives the outcomes parsing here gives, in order; packing an
outcome for the trip back loses nothing (hypothesis); an import through the worker leaves the
same directory and summary as one without it."""

from __future__ import annotations

import copy
import os
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.directory.hsds import RecordRejected
from reclaim.directory.services import hsds_io, hsds_parse
from tests.directory.test_hsds import example, our_service, write_json
from tests.directory.test_hsds_bulk import _clear_directory, _import_both, scenario


def _comparable(outcome: hsds_parse.Outcome) -> Any:
    if isinstance(outcome, RecordRejected):
        return ("rejected", str(outcome))
    return outcome  # None, or a ParsedService (a dataclass: compared field by field)


def _documents() -> list[Any]:
    """Services of every shape the parser knows, a rejection, and an organisation."""
    full = example("service_full.json")
    located = our_service(name="Located")
    located["service_at_locations"] = [
        {
            "id": str(uuid.uuid4()),
            "location": {"id": str(uuid.uuid4()), "name": "Site", "latitude": 95, "longitude": 1},
        },
        {"id": str(uuid.uuid4()), "location_id": str(uuid.uuid4()), "description": "annex"},
    ]
    bad = our_service()
    bad["name"] = 7
    organization = {"id": str(uuid.uuid4()), "name": "Refugio"}
    return [full, located, bad, organization, our_service(program_id=str(uuid.uuid4())), "x"]


def test_packing_an_outcome_loses_nothing():
    for document in _documents():
        outcome = hsds_parse.parse_one(document, storable_checked=False)
        unpacked = hsds_parse.unpack(hsds_parse.pack(outcome))
        assert _comparable(unpacked) == _comparable(outcome)
        assert type(unpacked) is type(outcome)


TEXT = st.text(max_size=30)
UUIDS = st.uuids().map(str)


@st.composite
def service_documents(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(_documents()[:3])))
    document["id"] = draw(st.one_of(UUIDS, TEXT))
    document["name"] = draw(st.one_of(TEXT, st.integers()))
    for key in ("minimum_age", "maximum_age"):
        document[key] = draw(st.one_of(st.none(), st.integers(-5, 200)))
    document["program_id"] = draw(st.one_of(st.none(), UUIDS))
    document["languages"] = [
        {"id": draw(UUIDS), "code": draw(st.sampled_from(["es", "EN", "fa"])), "name": draw(TEXT)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if draw(st.booleans()):
        document["organization"] = {
            "id": draw(UUIDS),
            "name": draw(TEXT),
            "locations": [
                {
                    "id": draw(UUIDS),
                    "latitude": draw(st.floats(-100, 100)),
                    "longitude": draw(st.floats(-200, 200)),
                }
            ],
        }
    return document


@given(document=service_documents())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_any_parsed_or_rejected_document_survives_packing(document):
    outcome = hsds_parse.parse_one(document, storable_checked=False)
    assert _comparable(hsds_parse.unpack(hsds_parse.pack(outcome))) == _comparable(outcome)


@pytest.fixture
def small_worker_chunks(monkeypatch):
    """The worker used from two documents on, three documents a chunk."""
    assert hsds_parse._may_fork()  # else the tests below would not reach the worker
    monkeypatch.setattr(hsds_parse, "PARALLEL_MIN_DOCUMENTS", 2)
    monkeypatch.setattr(hsds_parse, "CHUNK_DOCUMENTS", 3)
    used = []
    real = hsds_parse._parsed_in_worker

    def spying(*args: Any, **kwargs: Any) -> Any:
        used.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hsds_parse, "_parsed_in_worker", spying)
    return used


def test_the_worker_gives_the_outcomes_of_parsing_here_in_order(small_worker_chunks):
    documents = _documents() * 3
    here = list(hsds_parse.parsed_documents(documents, storable_checked=False, parallel=False))
    there = list(hsds_parse.parsed_documents(documents, storable_checked=False, parallel=True))

    assert small_worker_chunks
    assert [_comparable(o) for o in there] == [_comparable(o) for o in here]


_REAL_PARSE_CHUNK = hsds_parse._parse_chunk


def _dies_after_the_first_chunk(bounds: tuple[int, int, bool]) -> Any:
    # Module level: the worker is handed the function by name.
    if bounds[0] > 0:
        os._exit(1)
    return _REAL_PARSE_CHUNK(bounds)


def test_a_worker_that_dies_leaves_the_rest_to_be_parsed_here(small_worker_chunks, monkeypatch):
    monkeypatch.setattr(hsds_parse, "_parse_chunk", _dies_after_the_first_chunk)
    documents = _documents() * 2
    here = list(hsds_parse.parsed_documents(documents, storable_checked=False, parallel=False))
    there = list(hsds_parse.parsed_documents(documents, storable_checked=False, parallel=True))

    assert [_comparable(o) for o in there] == [_comparable(o) for o in here]


def test_an_import_through_the_worker_equals_one_without(
    tmp_path, monkeypatch, small_worker_chunks
):
    first, second = scenario()
    through_worker = _import_both(tmp_path, first, second)
    assert small_worker_chunks

    _clear_directory()
    monkeypatch.setattr(hsds_parse, "PARALLEL_MIN_DOCUMENTS", 10**9)
    here = _import_both(tmp_path, first, second)

    assert through_worker == here
    assert "rejected: 4" in here[0]


def test_an_upload_is_parsed_in_its_own_process(tmp_path, small_worker_chunks):
    # Only the command line forks: a web worker process parses its upload itself.
    source = hsds_io.read_path(write_json(tmp_path, [our_service(), our_service()]))
    summary = hsds_io.import_source(source)
    assert summary.created["service"] == 2
    assert not small_worker_chunks
