"""Keyed pseudonyms for user ids: stable for one key, not reversible without it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "INTEREST_REPLAY_PSEUDONYM_KEY"


def pseudonym(user: str, key: bytes) -> str:
    """``user-`` + the first 10 hex digits of HMAC-SHA256(key, user id)."""
    return "user-" + hmac.new(key, str(user).encode("utf-8"), hashlib.sha256).hexdigest()[:10]


def pseudonym_key(folder: Path) -> bytes:
    """The key from $INTEREST_REPLAY_PSEUDONYM_KEY, else one kept in ``folder/.pseudonym.key`` (made on
    first use with a random secret, readable by its owner only)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = folder / ".pseudonym.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip().encode("utf-8")
