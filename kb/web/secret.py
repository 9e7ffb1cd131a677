"""The key that signs the portal's cookies: one per KB home, made once, read by every worker."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kb.errors import ConfigError

SECRET_FILE = "secret_key"
# secrets.token_hex(32): 64 characters. Anything much shorter was not made by kb.
MINIMUM_LENGTH = 32


def stored_secret(home: Path) -> str:
    """The key in `home`/secret_key, made first by whichever process gets there first.

    A new key is written whole to a private file and hard-linked into place, which fails when
    the key already exists; so two workers starting together on a fresh home read the same
    key, and no one ever reads a half-written one.
    """
    path = home / SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        draft = home / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: everyone uses that one
        except OSError as error:
            raise ConfigError(
                f"cannot create the cookie key {path} ({error.strerror}); "
                "set KB_SECRET_KEY (the `secret_key` setting) instead"
            ) from None
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_text("utf-8").strip()
    if len(key) < MINIMUM_LENGTH:
        raise ConfigError(
            f"{path} holds no usable key; delete it to make a new one (everyone signed in "
            "will have to sign in again) or set KB_SECRET_KEY"
        )
    return key
