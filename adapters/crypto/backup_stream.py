"""Encrypted backup files: AES-256-GCM over a stream, chunk by chunk, so that a dump of any size
is encrypted and checked in constant memory.

Layout: a header (magic, a random salt, a key check), then frames. Each file has its own key,
derived from the backup key and the salt (HKDF-SHA256), so chunk nonces can simply count:
nonce = chunk number (11 bytes) + a last-chunk flag (1 byte), as in the STREAM construction
(also used by age). Every chunk is authenticated with the header as associated data, so
reordered, dropped, repeated or altered chunks fail, and a file cut short lacks its last chunk.
The key check tells a wrong key apart from an altered file, before anything is decrypted.
"""

from __future__ import annotations

import base64
import hmac
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CRMBKP\x00\x01"
SALT_BYTES = 16
CHECK_BYTES = 16
HEADER_BYTES = len(MAGIC) + SALT_BYTES + CHECK_BYTES
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
# A frame: the last-chunk flag (1 byte), the ciphertext's length (4 bytes), the ciphertext.
FRAME = struct.Struct(">BI")


class BackupError(Exception):
    pass


class WrongBackupKey(BackupError):
    def __init__(self) -> None:
        super().__init__("the backup key does not open this backup (CRM_BACKUP_KEY is not the "
                         "key it was made with)")


class DamagedBackup(BackupError):
    def __init__(self, why: str) -> None:
        super().__init__(f"the backup file is damaged or was altered: {why}")


def decode_key(key: str) -> bytes:
    raw = base64.b64decode(key, validate=True)
    if len(raw) != 32:
        raise ValueError("a backup key is the base64 of 32 bytes")
    return raw


def _file_keys(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """This file's data key, and the check value that shows the key is the right one."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32 + CHECK_BYTES, salt=salt,
                   info=b"crm backup v1").derive(key)
    return derived[:32], derived[32:]


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _read_exactly(src: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the stream (pipes return what they have)."""
    parts, wanted = [], size
    while wanted:
        part = src.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def encrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes,
                   chunk_bytes: int = CHUNK_BYTES) -> None:
    salt = os.urandom(SALT_BYTES)
    data_key, check = _file_keys(key, salt)
    header = MAGIC + salt + check
    dst.write(header)
    aead = AESGCM(data_key)
    counter, chunk = 0, _read_exactly(src, chunk_bytes)
    while True:
        following = _read_exactly(src, chunk_bytes) if len(chunk) == chunk_bytes else b""
        last = not following
        sealed = aead.encrypt(_nonce(counter, last), chunk, header)
        dst.write(FRAME.pack(int(last), len(sealed)))
        dst.write(sealed)
        if last:
            return
        counter, chunk = counter + 1, following


def decrypt_stream(src: IO[bytes], dst: IO[bytes], key: bytes) -> None:
    """Writes the plaintext to `dst` chunk by chunk; raises before writing anything if the key
    is wrong, and at the first altered chunk (what was written before it must be discarded)."""
    header = _read_exactly(src, HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise BackupError("not an encrypted CRM backup (made by `crm db backup`)")
    salt, check = header[len(MAGIC):-CHECK_BYTES], header[-CHECK_BYTES:]
    data_key, expected = _file_keys(key, salt)
    if not hmac.compare_digest(check, expected):
        raise WrongBackupKey
    aead = AESGCM(data_key)
    counter = 0
    while True:
        frame = _read_exactly(src, FRAME.size)
        if len(frame) < FRAME.size:
            raise DamagedBackup("it ends before its last chunk")
        flag, size = FRAME.unpack(frame)
        if flag not in (0, 1) or not TAG_BYTES <= size <= CHUNK_BYTES + TAG_BYTES:
            raise DamagedBackup(f"chunk {counter} has a malformed frame")
        sealed = _read_exactly(src, size)
        if len(sealed) < size:
            raise DamagedBackup("it ends before its last chunk")
        try:
            dst.write(aead.decrypt(_nonce(counter, bool(flag)), sealed, header))
        except InvalidTag:
            raise DamagedBackup(f"chunk {counter} fails authentication") from None
        if flag:
            if src.read(1):
                raise DamagedBackup("data follows its last chunk")
            return
        counter += 1

