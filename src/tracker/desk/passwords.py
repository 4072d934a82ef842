"""Passwords, hashed with argon2id (argon2-cffi, the reference implementation's binding).

Why argon2id and not the stdlib's scrypt: argon2id is the memory-hard KDF RFC 9106 and
OWASP recommend first; argon2-cffi keeps its parameters inside the PHC string it returns, so
``needs_rehash`` can upgrade old hashes at the next login when the defaults grow, and it
verifies in constant time. scrypt through hashlib leaves the encoding, salts and parameter
upgrades to us. The defaults are argon2-cffi's (RFC 9106 "low memory": t=3, m=64 MiB, p=4).
"""

from __future__ import annotations

import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # the KDF's cost does not grow with length, but a body still has a cap
# Each hash or check takes 64 MiB for a moment: at most this many at once, so a burst of
# logins queues instead of taking the server's memory.
KDF_SLOTS = 4
_slots = threading.BoundedSemaphore(KDF_SLOTS)


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    with _slots:
        return _hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Does ``password`` match the stored hash? False for no hash at all."""
    if not stored or len(password) > MAX_LENGTH:
        return False
    try:
        with _slots:
            return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


# A hash of nothing anyone knows: verifying against it when the name is unknown takes as long
# as a real check, so timing does not tell which names exist.
@cache
def decoy() -> str:
    return hash_password("decoy: no account has this password")
