"""A dev issuer in a throwaway data dir, its verifier, and a signer for hand-made (bad) tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from precise_chassis.auth.dev_issuer import DevIssuer, key_path
from precise_chassis.auth.tokens import TokenVerifier
from precise_chassis.settings import PlatformSettings, Profile

Signer = Callable[..., str]


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> PlatformSettings:
    # One dev key for the session: generating RSA keys is the slow part of these tests.
    return PlatformSettings(
        profile=Profile.EMBEDDED,
        data_dir=tmp_path_factory.mktemp("data"),
        auth_issuer="https://precise.test/issuer",
        auth_audience="api://precise-test",
    )


@pytest.fixture
def issuer(settings: PlatformSettings) -> DevIssuer:
    return DevIssuer(settings)


@pytest.fixture
def verifier(settings: PlatformSettings) -> TokenVerifier:
    return TokenVerifier.for_settings(settings)


@pytest.fixture
def sign(settings: PlatformSettings, issuer: DevIssuer) -> Signer:
    """Signs any claims with the dev issuer's own key and kid: only what the test changes is wrong."""

    def signed(drop: tuple[str, ...] = (), headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = datetime.now(UTC)
        base: dict[str, Any] = {
            "iss": issuer.issuer,
            "aud": issuer.audience,
            "sub": "officer-4711",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "roles": ["investigator"],
        }
        body = {k: v for k, v in {**base, **claims}.items() if k not in drop}
        key = key_path(settings.data_dir).read_bytes()
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": issuer.kid, **(headers or {})})

    return signed
