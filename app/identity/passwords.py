"""argon2 password hashing off the event loop, with a bounded number running at once.

argon2 is deliberately slow (tens to hundreds of milliseconds and 64 MiB each). Run on the event loop it
stalls every other request of the process; run in unbounded threads, twenty sign-ins at once eat the
machine's memory and CPU. So every hash and verification goes through one semaphore into a worker thread.

``check_hash`` is the one place a password meets a hash; tests count its calls (and the hash it was
given) instead of timing anything.
"""

from __future__ import annotations

import asyncio
import secrets
import weakref

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the username is unknown or the account is locked, so every answer costs one
# argon2 verification whatever the account's state: timing tells nothing.
DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))

DEFAULT_CONCURRENCY = 2
_concurrency = DEFAULT_CONCURRENCY
# One semaphore per event loop: a semaphore is bound to the loop it first waited on (the CLI and the
# tests run several loops in one process).
_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def configure(concurrency: int) -> None:
    """Set how many hashes may run at once in this process (the settings' ``password_hash_concurrency``)."""
    global _concurrency
    if concurrency != _concurrency:
        _concurrency = concurrency
        _semaphores.clear()


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    semaphore = _semaphores.get(loop)
    if semaphore is None:
        semaphore = _semaphores[loop] = asyncio.Semaphore(_concurrency)
    return semaphore


def check_hash(password_hash: str, password: str) -> bool:
    """The blocking argon2 verification. Runs in a worker thread; the seam tests observe."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``. A missing hash still costs one verification."""
    async with _semaphore():
        matched = await asyncio.to_thread(check_hash, password_hash or DUMMY_HASH, password)
    return matched and password_hash is not None


async def hash_password(password: str) -> str:
    async with _semaphore():
        return await asyncio.to_thread(_hasher.hash, password)
