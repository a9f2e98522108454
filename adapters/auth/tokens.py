"""Access tokens: python-jose, HS256, always decoded with an explicit algorithm list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from domain.identity.model import User
from domain.identity.ports import AccessClaims
from domain.shared.errors import AuthenticationFailed

ALGORITHM = "HS256"


class JoseTokenIssuer:
    def __init__(self, secret_key: str, access_ttl: timedelta, issuer: str = "crm") -> None:
        self._key = secret_key
        self._ttl = access_ttl
        self._issuer = issuer

    def issue_access(self, user: User, now: datetime) -> tuple[str, int]:
        expires = now + self._ttl
        claims = {
            "sub": str(user.id), "tv": user.token_version, "typ": "access",
            "iss": self._issuer, "iat": int(now.timestamp()), "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), int(self._ttl.total_seconds())

    def decode_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], issuer=self._issuer)
            if claims.get("typ") != "access":
                raise AuthenticationFailed("identity.not_an_access_token")
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]), token_version=int(claims["tv"]),
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            )
        except (JWTError, KeyError, ValueError, TypeError):
            raise AuthenticationFailed("identity.access_token_invalid") from None
