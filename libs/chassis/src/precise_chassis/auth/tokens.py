"""Bearer token verification: RS256 JWTs from Microsoft Entra ID (azure profile) or the dev issuer.

A caller's roles are the token's `roles` claim (Entra ID app roles, also given to machine clients through
client credentials); roles this platform does not know are ignored, not rejected, so a tenant can assign
roles to other applications on the same token without locking anyone out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from precise_chassis.auth.dev_issuer import DevIssuer
from precise_chassis.auth.roles import Permission, Role, grants
from precise_chassis.settings import PlatformSettings, Profile

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud")
LEEWAY = timedelta(seconds=30)
ENTRA_AUTHORITY = "https://login.microsoftonline.com"


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the message says why, for the 401 problem detail."""


class KeysUnavailable(Exception):
    """The identity provider's signing keys could not be fetched: our fault or theirs, not the caller's."""


@dataclass(frozen=True)
class Caller:
    """The verified caller: an officer, staff member or machine client."""

    subject: str
    name: str | None
    roles: tuple[Role, ...]
    token_id: str | None

    def role_for(self, permission: Permission) -> Role | None:
        """The caller's role that grants the permission (the first in the token's order), if any."""
        return next((role for role in self.roles if grants(role, permission)), None)


class SigningKeys(Protocol):
    async def key_for(self, kid: str | None) -> jwt.PyJWK: ...


class KeySet:
    """Keys known in advance: the dev issuer's."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(dict(jwks)).keys}

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid not in self._keys:
            raise InvalidToken(f"the token was signed with a key this service does not trust (kid {kid!r})")
        return self._keys[kid]


class RemoteKeySet:
    """An identity provider's JWKS endpoint, cached; an unknown kid triggers one refetch (key rollover)."""

    def __init__(self, url: str, *, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(url, timeout=timeout_seconds)

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid is None:
            raise InvalidToken("the token header has no kid, so its signing key cannot be found")
        try:
            # PyJWKClient fetches with blocking urllib; keep that off the event loop.
            return await asyncio.to_thread(self._client.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise KeysUnavailable(f"the signing keys at {self.url} could not be fetched: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(
                f"the token was signed with a key the identity provider does not publish (kid {kid!r})"
            ) from exc


@dataclass(frozen=True)
class EntraConfig:
    """Where Entra ID tokens come from in the azure profile, with defaults derived from tenant and client."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> EntraConfig:
        explicit = settings.model_fields_set
        tenant, client = settings.entra_tenant_id, settings.entra_client_id
        if tenant is None and ("auth_issuer" not in explicit or settings.auth_jwks_url is None):
            raise ValueError(
                "the azure profile verifies Entra ID tokens: set PRECISE_ENTRA_TENANT_ID "
                "(or both PRECISE_AUTH_ISSUER and PRECISE_AUTH_JWKS_URL)"
            )
        issuer = settings.auth_issuer if "auth_issuer" in explicit else f"{ENTRA_AUTHORITY}/{tenant}/v2.0"
        jwks_url = settings.auth_jwks_url or f"{ENTRA_AUTHORITY}/{tenant}/discovery/v2.0/keys"
        audiences: tuple[str, ...] = (settings.auth_audience,)
        if client is not None and "auth_audience" not in explicit:
            # v2.0 access tokens carry the client id as audience, v1.0 tokens the Application ID URI.
            audiences = (client, f"api://{client}")
        return cls(issuer=issuer, audiences=audiences, jwks_url=jwks_url)


class TokenVerifier:
    """Verifies a bearer token's signature, algorithm, issuer, audience and lifetime, and reads its caller."""

    def __init__(
        self,
        keys: SigningKeys,
        *,
        issuer: str,
        audiences: Sequence[str],
        leeway: timedelta = LEEWAY,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audiences = list(audiences)
        self._leeway = leeway

    @classmethod
    def for_settings(cls, settings: PlatformSettings) -> TokenVerifier:
        if settings.profile is Profile.AZURE:
            entra = EntraConfig.from_settings(settings)
            return cls(RemoteKeySet(entra.jwks_url), issuer=entra.issuer, audiences=entra.audiences)
        return cls(
            KeySet(DevIssuer(settings).jwks()),
            issuer=settings.auth_issuer,
            audiences=[settings.auth_audience],
        )

    async def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise InvalidToken(f"the bearer token is not a JWT: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            # Checked before any key lookup: HS256 with a public key as secret is the classic forgery.
            raise InvalidToken(f"the token is signed with {algorithm!r}; only {ALGORITHM} is accepted")
        jwk = await self._keys.key_for(header.get("kid"))
        if not isinstance(jwk.key, RSAPublicKey):
            raise InvalidToken("the token's signing key is not an RSA public key")
        try:
            claims = jwt.decode(
                token,
                jwk.key,
                algorithms=[ALGORITHM],
                audience=self._audiences,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is not valid here: {exc}") from exc
        return _caller(claims)


def _caller(claims: Mapping[str, Any]) -> Caller:
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list) or not all(isinstance(role, str) for role in raw_roles):
        raise InvalidToken("the token's roles claim is not a list of role names")
    known = {role.value for role in Role}
    roles = tuple(dict.fromkeys(Role(role) for role in raw_roles if role in known))
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token's sub claim is empty")
    name = claims.get("name")
    # Entra ID names its token id `uti`; other issuers (and the dev issuer) use the standard `jti`.
    token_id = claims.get("jti", claims.get("uti"))
    return Caller(
        subject=subject,
        name=name if isinstance(name, str) else None,
        roles=roles,
        token_id=token_id if isinstance(token_id, str) else None,
    )
