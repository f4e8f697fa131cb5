"""Source tokens: random, shown once, stored only as a SHA-256 hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def token_generate() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented token against a stored hash."""
    if not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def verbose_key_generate() -> str:
    # Not a credential (it only adds detail to answers a valid token already gets), so stored plain
    # and shown on the source's docs page.
    return secrets.token_hex(8)
