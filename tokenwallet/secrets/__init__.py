"""Provider keys: the OS keyring (the only importer of ``keyring``) or session-only memory."""

from tokenwallet.secrets.store import (
    SERVICE,
    ApiKey,
    KeyringSecretStore,
    MemorySecretStore,
    SecretStore,
    key_hint,
    remedy,
)

__all__ = ["SERVICE", "ApiKey", "KeyringSecretStore", "MemorySecretStore", "SecretStore", "key_hint", "remedy"]
