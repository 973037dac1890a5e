"""The ledger's public API for other domains (trust fund today; community fund and volunteer points next):
ledgers and accounts, postings with idempotent references and limits, two-phase entries, balances and the
hash chain, and the errors a caller may catch. Other domains import this module, ``schemas`` or ``models``.
"""

from __future__ import annotations

from app.ledger.accounts import (
    DESCRIPTION_MAX,
    MAX_AMOUNT_FEN,
    Balance,
    ChainHead,
    Leg,
    PostResult,
    VerifyResult,
    account_by_code,
    accounts_of,
    balance_as_of,
    balance_by_code,
    balance_of,
    create_account,
    create_ledger,
    entry_count,
    get_balance,
    get_ledger,
    lock_ledger,
    sum_of_postings,
)
from app.ledger.chain import VERIFY_BATCH, chain_head, entry_hash, request_hash, verify_chain
from app.ledger.errors import REFERENCE_CONFLICT, LimitExceeded, reference_conflict
from app.ledger.models import GENESIS_HASH
from app.ledger.postings import (
    NewEntry,
    entry_by_reference,
    get_entry,
    post_entries,
    post_entry,
    post_pending,
    postings_of,
    reverse_entry,
    void_pending,
)
from app.ledger.writes import LockedHead

__all__ = [
    "DESCRIPTION_MAX",
    "GENESIS_HASH",
    "MAX_AMOUNT_FEN",
    "REFERENCE_CONFLICT",
    "VERIFY_BATCH",
    "Balance",
    "ChainHead",
    "Leg",
    "LimitExceeded",
    "LockedHead",
    "NewEntry",
    "PostResult",
    "VerifyResult",
    "account_by_code",
    "accounts_of",
    "balance_as_of",
    "balance_by_code",
    "balance_of",
    "chain_head",
    "create_account",
    "create_ledger",
    "entry_by_reference",
    "entry_count",
    "entry_hash",
    "get_balance",
    "get_entry",
    "get_ledger",
    "lock_ledger",
    "post_entries",
    "post_entry",
    "post_pending",
    "postings_of",
    "reference_conflict",
    "request_hash",
    "reverse_entry",
    "sum_of_postings",
    "verify_chain",
    "void_pending",
]
