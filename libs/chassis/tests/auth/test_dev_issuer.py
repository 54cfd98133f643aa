from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from precise_chassis.auth.dev_issuer import DevIssuer, DevIssuerRefused, issue_dev_token, key_path
from precise_chassis.auth.roles import Role
from precise_chassis.settings import PlatformSettings, Profile


def test_the_key_is_created_once_readable_only_by_its_owner_and_shared_by_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path)
    path = key_path(tmp_path)
    assert not path.exists()
    issuer = DevIssuer(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    again = DevIssuer(settings)
    assert again.kid == issuer.kid
    assert list(path.parent.iterdir()) == [path]


def test_another_data_dir_gets_another_key(settings: PlatformSettings, issuer: DevIssuer, tmp_path: Path) -> None:
    other = DevIssuer(settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}))
    assert other.kid != issuer.kid


def test_issuers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    # Each racer generates, stages and links its own key file, as separate processes would.
    settings = PlatformSettings(profile=Profile.EMBEDDED, data_dir=tmp_path / "data")
    start = threading.Barrier(4)

    def racer() -> str:
        start.wait()
        return DevIssuer(settings).kid

    with ThreadPoolExecutor(max_workers=4) as pool:
        kids = set(pool.map(lambda _: racer(), range(4)))
    assert len(kids) == 1
    assert [p.name for p in (settings.data_dir / "dev-issuer").iterdir()] == ["key.pem"]


def test_it_refuses_the_azure_profile(tmp_path: Path) -> None:
    azure = PlatformSettings(profile=Profile.AZURE, data_dir=tmp_path)
    with pytest.raises(DevIssuerRefused, match="Entra ID"):
        DevIssuer(azure)
    with pytest.raises(DevIssuerRefused):
        issue_dev_token(azure, [Role.SUPERVISOR], "sgt-1")
    assert not key_path(tmp_path).exists()


def test_the_jwks_publishes_the_public_key_under_the_kid_tokens_carry(issuer: DevIssuer) -> None:
    (key,) = issuer.jwks()["keys"]
    token = issuer.mint([Role.ANALYST], sub="analyst-7")
    assert jwt.get_unverified_header(token)["kid"] == key["kid"] == issuer.kid
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_a_minted_token_says_who_in_which_roles_for_this_platform(issuer: DevIssuer) -> None:
    token = issuer.mint(
        [Role.RESPONSE_OFFICER, Role.INVESTIGATOR],
        sub="pc-2041",
        name="PC Synthetic",
        ttl=timedelta(minutes=15),
    )
    public = jwt.PyJWKSet.from_dict(issuer.jwks()).keys[0].key
    claims = jwt.decode(
        token,
        public,
        algorithms=["RS256"],
        audience="api://precise-test",
        issuer="https://precise.test/issuer",
    )
    assert claims["sub"] == "pc-2041"
    assert claims["name"] == "PC Synthetic"
    assert claims["roles"] == ["response-officer", "investigator"]
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["jti"]


def test_the_cli_token_lasts_as_long_as_asked_and_needs_a_subject(settings: PlatformSettings) -> None:
    token = issue_dev_token(settings, [Role.CALL_HANDLER], "ch-0099", ttl_minutes=5)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["roles"], claims["exp"] - claims["iat"]) == (
        "ch-0099",
        ["call-handler"],
        300,
    )
    with pytest.raises(ValueError, match="positive"):
        issue_dev_token(settings, [Role.CALL_HANDLER], "ch-0099", ttl_minutes=0)
    with pytest.raises(ValueError, match="subject"):
        issue_dev_token(settings, [Role.CALL_HANDLER], " ")
