from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from precise_chassis.auth.dev_issuer import DevIssuer, key_path
from precise_chassis.auth.roles import Permission, Role
from precise_chassis.auth.tokens import (
    Caller,
    EntraConfig,
    InvalidToken,
    KeysUnavailable,
    TokenVerifier,
)
from precise_chassis.settings import PlatformSettings, Profile

TENANT = "00000000-0000-4000-8000-00000000c0de"
CLIENT = "11111111-1111-4111-8111-111111111111"


async def test_a_dev_token_becomes_the_caller_it_names(issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint([Role.INVESTIGATOR], sub="dc-3141", name="DC Synthetic")
    caller = await verifier.verify(token)
    assert caller.subject == "dc-3141"
    assert caller.name == "DC Synthetic"
    assert caller.roles == (Role.INVESTIGATOR,)
    assert caller.token_id == jwt.decode(token, options={"verify_signature": False})["jti"]


async def test_roles_the_platform_does_not_know_are_ignored_not_refused(
    issuer: DevIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint(["Directory.Reader", "analyst", "auditor", "analyst"], sub="a-1")
    caller = await verifier.verify(token)
    assert caller.roles == (Role.ANALYST, Role.AUDITOR)


def test_the_role_acted_in_is_the_first_of_the_callers_roles_that_grants_the_permission() -> None:
    caller = Caller("s-1", None, (Role.AUDITOR, Role.CALL_HANDLER, Role.SUPERVISOR), None)
    assert caller.role_for(Permission.RISK_READ) is Role.CALL_HANDLER
    assert caller.role_for(Permission.FORMS_APPROVE) is Role.SUPERVISOR
    assert caller.role_for(Permission.CPS_REVIEW) is None


async def test_a_token_just_past_expiry_is_allowed_for_clock_skew_but_not_long_after(
    issuer: DevIssuer, verifier: TokenVerifier
) -> None:
    now = datetime.now(UTC)
    skewed = issuer.mint(
        [Role.ANALYST], sub="a-1", now=now - timedelta(minutes=5, seconds=10), ttl=timedelta(minutes=5)
    )
    assert (await verifier.verify(skewed)).subject == "a-1"
    expired = issuer.mint([Role.ANALYST], sub="a-1", now=now - timedelta(minutes=10), ttl=timedelta(minutes=5))
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(expired)


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token by hand: PyJWT rightly refuses to HMAC with a PEM key, an attacker would not."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


@functools.cache
def _other_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda sign, issuer: "not-a-token", "not a JWT"),
        (lambda sign, issuer: sign(aud="api://someone-else"), "Audience doesn't match"),
        (lambda sign, issuer: sign(iss="https://evil.example/issuer"), "Invalid issuer"),
        (lambda sign, issuer: sign(drop=("sub",)), '"sub"'),
        (lambda sign, issuer: sign(drop=("exp",)), '"exp"'),
        (lambda sign, issuer: sign(drop=("iat",)), '"iat"'),
        (lambda sign, issuer: sign(drop=("aud",)), '"aud"'),
        (lambda sign, issuer: sign(drop=("iss",)), '"iss"'),
        (lambda sign, issuer: sign(nbf=datetime.now(UTC) + timedelta(hours=1)), "not yet valid"),
        (lambda sign, issuer: sign(roles="supervisor"), "roles claim is not a list"),
        (lambda sign, issuer: sign(sub=""), "sub claim is empty"),
        (lambda sign, issuer: sign(headers={"kid": "someone-elses-key"}), "does not trust"),
        (
            lambda sign, issuer: jwt.encode(
                {"sub": "x"}, _other_key_pem(), algorithm="RS256", headers={"kid": issuer.kid}
            ),
            "Signature verification failed",
        ),
        (
            lambda sign, issuer: jwt.encode({"sub": "x"}, "a-shared-secret-of-32-bytes-len!", algorithm="HS256"),
            "'HS256'",
        ),
        (lambda sign, issuer: jwt.encode({"sub": "x"}, "", algorithm="none"), "'none'"),
    ],
)
async def test_a_token_that_cannot_be_trusted_is_refused_with_the_reason(
    make: Any, says: str, sign: Any, issuer: DevIssuer, verifier: TokenVerifier
) -> None:
    with pytest.raises(InvalidToken, match=says):
        await verifier.verify(make(sign, issuer))


async def test_hs256_signed_with_the_public_key_does_not_pass_for_the_issuer(
    issuer: DevIssuer, verifier: TokenVerifier
) -> None:
    public_key = jwt.PyJWKSet.from_dict(issuer.jwks()).keys[0].key
    public_pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "x",
        "iat": now,
        "exp": now + 60,
        "roles": ["supervisor"],
    }
    with pytest.raises(InvalidToken, match="only RS256"):
        await verifier.verify(_hs256(claims, public_pem, issuer.kid))


def test_entra_defaults_come_from_the_tenant_and_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRECISE_ENTRA_TENANT_ID", TENANT)
    monkeypatch.setenv("PRECISE_ENTRA_CLIENT_ID", CLIENT)
    entra = EntraConfig.from_settings(PlatformSettings(profile=Profile.AZURE, data_dir=tmp_path))
    assert entra.issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert entra.jwks_url == f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"
    assert entra.audiences == (CLIENT, f"api://{CLIENT}")


def test_explicit_issuer_audience_and_jwks_win_over_entra_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRECISE_ENTRA_TENANT_ID", TENANT)
    monkeypatch.setenv("PRECISE_ENTRA_CLIENT_ID", CLIENT)
    monkeypatch.setenv("PRECISE_AUTH_ISSUER", "https://sts.example.test/")
    monkeypatch.setenv("PRECISE_AUTH_AUDIENCE", "api://precise-prod")
    monkeypatch.setenv("PRECISE_AUTH_JWKS_URL", "https://sts.example.test/keys")
    entra = EntraConfig.from_settings(PlatformSettings(profile=Profile.AZURE, data_dir=tmp_path))
    assert (entra.issuer, entra.audiences, entra.jwks_url) == (
        "https://sts.example.test/",
        ("api://precise-prod",),
        "https://sts.example.test/keys",
    )


def test_the_azure_profile_will_not_start_without_knowing_its_identity_provider(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PRECISE_ENTRA_TENANT_ID"):
        TokenVerifier.for_settings(PlatformSettings(profile=Profile.AZURE, data_dir=tmp_path))
    assert not key_path(tmp_path).exists()


@pytest.fixture
def jwks_server(issuer: DevIssuer) -> Iterator[str]:
    """An identity provider's JWKS endpoint on loopback, publishing the dev issuer's key."""
    body = json.dumps(issuer.jwks()).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/discovery/v2.0/keys"
    finally:
        server.shutdown()
        server.server_close()


def _azure(settings: PlatformSettings, jwks_url: str) -> PlatformSettings:
    return PlatformSettings(
        profile=Profile.AZURE,
        data_dir=settings.data_dir,
        auth_issuer=settings.auth_issuer,
        auth_audience=settings.auth_audience,
        auth_jwks_url=jwks_url,
    )


async def test_the_azure_profile_verifies_with_keys_fetched_from_the_jwks_endpoint(
    settings: PlatformSettings, issuer: DevIssuer, jwks_server: str
) -> None:
    verifier = TokenVerifier.for_settings(_azure(settings, jwks_server))
    caller = await verifier.verify(issuer.mint(["ingest-system"], sub="pnc-connector"))
    assert (caller.subject, caller.roles) == ("pnc-connector", (Role.INGEST_SYSTEM,))
    with pytest.raises(InvalidToken, match="does not publish"):
        await verifier.verify(
            jwt.encode({"sub": "x"}, _other_key_pem(), algorithm="RS256", headers={"kid": "rotated-away"})
        )


async def test_an_unreachable_identity_provider_is_not_blamed_on_the_caller(
    settings: PlatformSettings, issuer: DevIssuer
) -> None:
    verifier = TokenVerifier.for_settings(_azure(settings, "http://127.0.0.1:9/keys"))
    with pytest.raises(KeysUnavailable, match="could not be fetched"):
        await verifier.verify(issuer.mint(["analyst"], sub="a-1"))
