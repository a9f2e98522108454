"""AES-256-GCM field encryption with key ids (rotatable), and an HMAC-SHA256 blind index.

CRM_FIELD_KEY is a keyring: "kid:base64key[,kid:base64key…]" (or one bare base64 key, id "k1").
The first key encrypts; every listed key decrypts, so a new key is rolled out by putting it
first and re-encrypting at leisure. The blind-index key (CRM_BLIND_INDEX_KEY) never rotates:
changing it would break every lookup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyError_(ValueError):
    pass


def _key(b64: str, what: str) -> bytes:
    try:
        key = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise KeyError_(f"{what} is not base64") from None
    if len(key) != 32:
        raise KeyError_(f"{what} must be 32 bytes (256 bits), got {len(key)}")
    return key


def parse_keyring(spec: str) -> list[tuple[str, bytes]]:
    ring = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        kid, sep, b64 = part.partition(":")
        if not sep:
            kid, b64 = "k1", part
        if not kid.isalnum():
            raise KeyError_(f"key id {kid!r} must be letters and digits")
        ring.append((kid, _key(b64, f"field key {kid}")))
    if not ring:
        raise KeyError_("CRM_FIELD_KEY holds no key")
    return ring


class AesGcmFieldCipher:
    def __init__(self, keyring: str, blind_index_key: str) -> None:
        ring = parse_keyring(keyring)
        self._current_kid = ring[0][0]
        self._keys = {kid: AESGCM(key) for kid, key in ring}
        self._bidx = _key(blind_index_key, "CRM_BLIND_INDEX_KEY")

    @property
    def current_key_id(self) -> str:
        return self._current_kid

    @property
    def key_ids(self) -> list[str]:
        """Every key of the keyring, the encrypting one first."""
        return list(self._keys)

    def encrypt(self, plaintext: str) -> str:
        return self.encrypt_with(self._current_kid, plaintext)

    def encrypt_with(self, kid: str, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = self._keys[kid].encrypt(nonce, plaintext.encode(), None)
        return f"{kid}:{base64.b64encode(nonce + ct).decode()}"

    def decrypt(self, token: str) -> str:
        kid, _, b64 = token.partition(":")
        aes = self._keys.get(kid)
        if aes is None:
            raise ValueError(f"no key {kid!r} in the keyring to decrypt with")
        raw = base64.b64decode(b64)
        try:
            return aes.decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag:
            raise ValueError("a personal-data value failed authentication") from None

    def blind_index(self, kind: str, normalised: str) -> str:
        mac = hmac.new(self._bidx, f"{kind}:{normalised}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]
