"""The development token issuer of the embedded and local profiles (`precise token --role ROLE --sub ID`).

Its RSA key is generated once and kept at `<data_dir>/dev-issuer/key.pem`, so every process using the
same data dir (the CLI minting a token, each service verifying it) shares it. It refuses the azure
profile: production tokens come only from Entra ID.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from precise_chassis.auth.roles import Role
from precise_chassis.settings import PlatformSettings, Profile

DEFAULT_TTL = timedelta(hours=1)
KEY_BITS = 2048


class DevIssuerRefused(RuntimeError):
    """The dev issuer was asked to run where only Entra ID may issue tokens."""


class DevIssuer:
    def __init__(self, settings: PlatformSettings) -> None:
        if settings.profile is Profile.AZURE:
            raise DevIssuerRefused("the dev token issuer does not run in the azure profile; use Entra ID")
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self._private_key = _load_or_create(key_path(settings.data_dir))
        public = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(public)
        self._public_jwk = {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._public_jwk)]}

    def mint(
        self,
        roles: Iterable[str],
        *,
        sub: str,
        name: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        now: datetime | None = None,
    ) -> str:
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": str(uuid.uuid4()),
            "roles": list(roles),
        }
        if name is not None:
            claims["name"] = name
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


def issue_dev_token(
    settings: PlatformSettings,
    roles: Iterable[Role],
    sub: str,
    ttl_minutes: int = 60,
    name: str | None = None,
) -> str:
    """What `precise token` prints: a bearer token for the given roles, valid for ttl_minutes."""
    if ttl_minutes <= 0:
        raise ValueError("ttl_minutes must be positive")
    if not sub.strip():
        raise ValueError("a token needs a subject (--sub), e.g. an officer's warrant number")
    return DevIssuer(settings).mint(roles, sub=sub, name=name, ttl=timedelta(minutes=ttl_minutes))


def key_path(data_dir: Path) -> Path:
    return data_dir / "dev-issuer" / "key.pem"


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        # A hard link appears whole and never replaces an existing file: when two processes race, the
        # first link wins and both then read the same key.
        with contextlib.suppress(FileExistsError):
            os.link(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: the same key always gets the same kid, in every process."""
    members = {name: public_jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
