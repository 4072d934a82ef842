import os

import pytest

from tracker.store import snapshots


def test_delta_against_previous_is_tiny_for_a_small_edit():
    base = os.urandom(50_000).hex().encode()  # 100 KB, incompressible on its own
    edited = base[:60_000] + b"A NEW SENTENCE WAS ADDED HERE." + base[60_000:]
    codec, blob = snapshots.encode(edited, base)
    assert codec == snapshots.CODEC_DELTA
    assert len(blob) < 200
    assert snapshots.decode(codec, blob, base) == edited


def test_plain_round_trip_and_errors():
    codec, blob = snapshots.encode(b"hello world" * 100)
    assert snapshots.decode(codec, blob) == b"hello world" * 100
    with pytest.raises(ValueError):
        snapshots.decode(snapshots.CODEC_DELTA, blob, None)
    with pytest.raises(ValueError):
        snapshots.decode("lz4", blob)
