"""Secret stores: redacted keys, backend refusal with a remedy, keyring round trips, scrubbing."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

from tokenwallet.domain.errors import KeyringLockedError, NoUsableKeyringError
from tokenwallet.logging_setup import SecretRedactingFilter
from tokenwallet.secrets import ApiKey, KeyringSecretStore, MemorySecretStore, key_hint, remedy

SECRET = "sk-admin-0123456789abcdefWXYZ"


def test_api_key_never_shows_its_text() -> None:
    key = ApiKey(f"  {SECRET}\n")
    assert key.reveal() == SECRET
    for shown in (repr(key), str(key), f"{key}", f"{[key]}"):
        assert SECRET not in shown and "WXYZ" in shown
    assert key.hint == "WXYZ" == key_hint(SECRET)
    with pytest.raises(TypeError):
        pickle.dumps(key)


@pytest.mark.parametrize("bad", ["", "   ", "sk-a b"])
def test_api_key_refuses_empty_or_spaced_text(bad: str) -> None:
    with pytest.raises(ValueError):
        ApiKey(bad)


def test_keyring_store_round_trip_uses_service_and_account_id(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    store = KeyringSecretStore()
    store.check()
    store.set("openai-1", ApiKey(SECRET))
    assert memory_keyring.passwords == {("tokenwallet", "openai-1"): SECRET}
    assert store.get("openai-1") == ApiKey(SECRET)
    store.delete("openai-1")
    store.delete("openai-1")  # already gone is fine
    assert store.get("openai-1") is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_backends_that_lose_secrets_are_refused_with_a_remedy(backend) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(backend)
    store = KeyringSecretStore()
    with pytest.raises(NoUsableKeyringError) as info:
        store.set("a", ApiKey(SECRET))
    assert info.value.remedy and "session only" in str(info.value)
    assert SECRET not in str(info.value)


def test_plaintext_backend_is_refused() -> None:
    from keyring.backend import KeyringBackend

    class PlaintextKeyring(KeyringBackend):
        priority = 0.5  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be called")

        def delete_password(self, service: str, username: str) -> None:
            return None

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(NoUsableKeyringError, match="plain file"):
        KeyringSecretStore().set("a", ApiKey(SECRET))


def test_locked_keyring_maps_to_domain_error(memory_keyring, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyring.errors import KeyringLocked

    def locked(*_: object) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    with pytest.raises(KeyringLockedError, match="Unlock it"):
        KeyringSecretStore().get("a")


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32", "sunos5"])
def test_remedy_text_exists_for_each_os(platform: str) -> None:
    assert len(remedy(platform)) > 30


def test_memory_store_is_session_only() -> None:
    store = MemorySecretStore()
    store.check()
    store.set("x", ApiKey(SECRET))
    assert store.get("x") == ApiKey(SECRET)
    assert MemorySecretStore().get("x") is None


def test_log_filter_scrubs_keys_and_api_key_repr(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tokenwallet.test_secrets")
    handler_filter = SecretRedactingFilter()
    caplog.handler.addFilter(handler_filter)
    logger.warning("sending Authorization: Bearer %s with %r", SECRET, ApiKey(SECRET))
    assert SECRET not in caplog.text and "[redacted]" in caplog.text


@pytest.mark.parametrize("named", ["tokenwallet_no_such_backend.Keyring", "keyring.backends.fail.NoSuchClass"])
def test_keyring_backend_that_cannot_be_loaded_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, named: str, tmp_path: Path
) -> None:
    import keyring.core
    from click.testing import CliRunner

    from tokenwallet.cli.root import cli
    from tokenwallet.domain.errors import SecretStoreError

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", named)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # as in a new process: load from the environment
    with pytest.raises(SecretStoreError, match="PYTHON_KEYRING_BACKEND") as info:
        KeyringSecretStore().get("a")
    assert named in str(info.value)
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "account", "add", "openai", "--label", "x", "--key-stdin"], input=SECRET
    )
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert "PYTHON_KEYRING_BACKEND" in result.output and "Traceback" not in result.output
