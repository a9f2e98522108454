"""The encrypted backup format: round trip in chunks; a wrong key, an altered, reordered or
truncated file are refused."""

from __future__ import annotations

import io
import os

import pytest

from adapters.crypto.backup_stream import (
    FRAME,
    HEADER_BYTES,
    BackupError,
    DamagedBackup,
    WrongBackupKey,
    decrypt_stream,
    encrypt_stream,
)

KEY = bytes(range(32))
CHUNK = 64


def sealed(plain: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), out, key, chunk_bytes=CHUNK)
    return out.getvalue()


def opened(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, key)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 7])
def test_round_trip_of_any_size(size: int) -> None:
    plain = os.urandom(size)
    data = sealed(plain)
    assert plain[:16] not in data or size < 16
    assert opened(data) == plain


def test_two_backups_of_the_same_data_differ() -> None:
    assert sealed(b"same dump") != sealed(b"same dump")


def test_a_wrong_key_is_named_before_anything_is_written() -> None:
    out = io.BytesIO()
    with pytest.raises(WrongBackupKey, match="does not open this backup"):
        decrypt_stream(io.BytesIO(sealed(b"x" * 500)), out, bytes(32))
    assert out.getvalue() == b""


def test_any_altered_byte_is_refused() -> None:
    data = sealed(os.urandom(3 * CHUNK))
    for position in (HEADER_BYTES + FRAME.size + 3, len(data) // 2, len(data) - 1):
        altered = bytearray(data)
        altered[position] ^= 0x01
        with pytest.raises(DamagedBackup):
            opened(bytes(altered))


def frames(data: bytes) -> list[bytes]:
    found, at = [], HEADER_BYTES
    while at < len(data):
        _, size = FRAME.unpack_from(data, at)
        found.append(data[at:at + FRAME.size + size])
        at += FRAME.size + size
    return found


def test_reordered_dropped_or_cut_chunks_are_refused() -> None:
    data = sealed(os.urandom(3 * CHUNK + 5))
    header, chunks = data[:HEADER_BYTES], frames(data)
    assert len(chunks) == 4
    for broken in (header + chunks[1] + chunks[0] + b"".join(chunks[2:]),
                   header + b"".join(chunks[:1] + chunks[2:]),
                   header + b"".join(chunks[:3]),
                   data[:-5],
                   data + chunks[-1]):
        with pytest.raises(DamagedBackup):
            opened(broken)


def test_a_file_that_is_not_a_backup_is_named_so() -> None:
    with pytest.raises(BackupError, match="not an encrypted CRM backup"):
        opened(b"PGDMP" + bytes(100))
