"""The import's read-ahead thread: order kept, errors raised where they are consumed, stops on close."""
from __future__ import annotations

import threading

import pytest

from academy.students.services import _read_ahead


def test_items_come_in_order_and_all_of_them():
    assert list(_read_ahead(iter(range(1000)), depth=2)) == list(range(1000))


def test_an_error_of_the_source_is_raised_to_the_consumer_after_what_came_before():
    def source():
        yield 1
        yield 2
        raise ValueError("row 3 is bad")

    seen = []
    with pytest.raises(ValueError, match="row 3 is bad"):
        for item in _read_ahead(source(), depth=2):
            seen.append(item)
    assert seen == [1, 2]


def test_closing_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def source():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    before = threading.active_count()
    chunks = _read_ahead(source(), depth=2)
    assert next(chunks) == 0
    chunks.close()
    assert closed.is_set(), "the source was closed before close() returned"
    assert threading.active_count() == before
