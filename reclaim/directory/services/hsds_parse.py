"""Parsing an import's service documents, in a second process when the file is large.

Parsing and checking a service document (`hsds.parse_service`) costs about 150 µs, a fifth
of a large import, and the database's own work cannot start until it is done. So an
import from the command line forks one worker, which parses the documents chunk by chunk
while this process writes the chunks before them. The worker inherits the documents already
read (nothing is sent to it but chunk bounds) and sends each outcome back packed as plain
tuples, with UUIDs as integers: the dataclasses themselves unpickled slower than they parsed.

The outcomes are exactly those of parsing in this process, in document order (the tests
compare both ways); a worker that dies leaves the rest to be parsed here.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.db import connections

from .. import hsds
from ..hsds import (
    ParsedLocation,
    ParsedOrganization,
    ParsedService,
    ParsedServiceAtLocation,
    RecordRejected,
)

# Below this many documents forking costs about what it saves.
PARALLEL_MIN_DOCUMENTS = 2000
CHUNK_DOCUMENTS = 500

# What one document parses to: None for a document that is not a service (an
# organisation, saved by the caller record by record), the rejection, or the service.
Outcome = ParsedService | RecordRejected | None


def parse_one(document: Any, *, storable_checked: bool) -> Outcome:
    if not hsds.is_service_document(document):
        return None
    try:
        return hsds.parse_service(document, storable_checked=storable_checked)
    except RecordRejected as error:
        return error


def parsed_documents(
    documents: Sequence[Any], *, storable_checked: bool, parallel: bool
) -> Generator[Outcome]:
    """The outcome of each document, in order; parsed by a forked worker when `parallel`,
    the documents are many and this process may fork."""
    if not parallel or len(documents) < PARALLEL_MIN_DOCUMENTS or not _may_fork():
        for document in documents:
            yield parse_one(document, storable_checked=storable_checked)
        return
    yield from _parsed_in_worker(documents, storable_checked=storable_checked)


def _may_fork() -> bool:
    # Forking a process that runs other threads can deadlock the child.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


# The documents the worker parses, set before it is forked (it inherits them).
_DOCUMENTS: list[Sequence[Any]] = []
# The parent's database connections, kept referenced in the worker so they are never closed.
_INHERITED_CONNECTIONS: list[Any] = []


def _start_worker() -> None:
    """First thing in the worker: put the parent's connections aside unused (closing one
    would end the parent's session or drop its locks); the worker never queries."""
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None:
            _INHERITED_CONNECTIONS.append(wrapper.connection)
            wrapper.connection = None


def _parse_chunk(bounds: tuple[int, int, bool]) -> list[Any]:
    first, last, storable_checked = bounds
    return [
        pack(parse_one(document, storable_checked=storable_checked))
        for document in _DOCUMENTS[0][first:last]
    ]


def _parsed_in_worker(documents: Sequence[Any], *, storable_checked: bool) -> Generator[Outcome]:
    bounds = [
        (first, min(first + CHUNK_DOCUMENTS, len(documents)), storable_checked)
        for first in range(0, len(documents), CHUNK_DOCUMENTS)
    ]
    _DOCUMENTS[:] = [documents]
    context = multiprocessing.get_context("fork")
    try:
        # An executor, not a Pool: a worker that dies raises BrokenProcessPool instead of
        # leaving this process waiting forever.
        with ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker) as pool:
            futures: list[Future[list[Any]]] = [pool.submit(_parse_chunk, b) for b in bounds]
            _DOCUMENTS.clear()  # the worker has its copy
            done = 0
            try:
                for future in futures:
                    try:
                        packed = future.result()
                    except BrokenProcessPool:
                        break
                    for item in packed:
                        yield unpack(item)
                    done += 1
            finally:
                for future in futures:
                    future.cancel()
    finally:
        _DOCUMENTS.clear()
    for first, last, _checked in bounds[done:]:
        for document in documents[first:last]:
            yield parse_one(document, storable_checked=storable_checked)


# --- packing outcomes as plain values -------------------------------------------------------


def _uuid_int(value: uuid.UUID | None) -> int | None:
    return None if value is None else value.int


def _uuid(value: int | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(int=value)


def _pack_location(location: ParsedLocation | None) -> tuple[Any, ...] | None:
    if location is None:
        return None
    return (
        location.id.int,
        _uuid_int(location.organization_id),
        location.columns,
        location.extra,
        location.warnings,
    )


def _unpack_location(packed: tuple[Any, ...] | None) -> ParsedLocation | None:
    if packed is None:
        return None
    location_id, organization_id, columns, extra, warnings = packed
    return ParsedLocation(
        uuid.UUID(int=location_id), _uuid(organization_id), columns, extra, warnings
    )


def pack(outcome: Outcome) -> Any:
    """An outcome as tuples, dicts, numbers and text (the dicts of column values and HSDS
    extras go as they are)."""
    if outcome is None:
        return None
    if isinstance(outcome, RecordRejected):
        return str(outcome)
    organization = outcome.organization
    return (
        outcome.id.int,
        outcome.columns,
        outcome.extra,
        None
        if organization is None
        else (
            organization.id.int,
            organization.columns,
            organization.extra,
            [_pack_location(location) for location in organization.locations],
        ),
        _uuid_int(outcome.organization_id),
        outcome.service_types,
        [
            (language["hsds_id"].int, language["code"], language["name"], language["note"])
            for language in outcome.languages
        ],
        [
            (
                link.id.int,
                link.location_id.int,
                _pack_location(link.location),
                link.description,
                link.extra,
            )
            for link in outcome.locations
        ],
        outcome.warnings,
    )


def unpack(packed: Any) -> Outcome:
    """The outcome `pack` was given."""
    if packed is None:
        return None
    if isinstance(packed, str):
        return RecordRejected(packed)
    (
        service_id,
        columns,
        extra,
        organization,
        organization_id,
        service_types,
        languages,
        links,
        warnings,
    ) = packed
    parsed_organization = None
    if organization is not None:
        org_id, org_columns, org_extra, org_locations = organization
        parsed_organization = ParsedOrganization(
            uuid.UUID(int=org_id),
            org_columns,
            org_extra,
            [location for item in org_locations if (location := _unpack_location(item))],
        )
    return ParsedService(
        id=uuid.UUID(int=service_id),
        columns=columns,
        extra=extra,
        organization=parsed_organization,
        organization_id=_uuid(organization_id),
        service_types=service_types,
        languages=[
            {"hsds_id": uuid.UUID(int=hsds_id), "code": code, "name": name, "note": note}
            for hsds_id, code, name, note in languages
        ],
        locations=[
            ParsedServiceAtLocation(
                id=uuid.UUID(int=link_id),
                location_id=uuid.UUID(int=location_id),
                location=_unpack_location(location),
                description=description,
                extra=link_extra,
            )
            for link_id, location_id, location, description, link_extra in links
        ],
        warnings=warnings,
    )
