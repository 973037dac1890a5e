"""The ledger core, gathered for the ledger's own callers and tests (other domains use ``app.ledger.api``):
``accounts`` (ledgers, accounts, balances), ``postings`` (double-entry postings, idempotent references,
limits, two-phase entries, reversals) and ``chain`` (the hash chain and its verification).

Every write takes the ledger row lock first and then the row locks of the accounts it touches (in id
order), so balance limits are checked atomically with the write and the hash chain has one head.
Services only ``flush()``; the caller's unit of work commits.

Reusable: the trust fund uses it today; the community fund and volunteer points can use it as is.
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
from app.ledger.postings import (
    entry_by_reference,
    get_entry,
    post_entry,
    post_pending,
    postings_of,
    reverse_entry,
    void_pending,
)

__all__ = [
    "DESCRIPTION_MAX",
    "MAX_AMOUNT_FEN",
    "VERIFY_BATCH",
    "Balance",
    "ChainHead",
    "Leg",
    "PostResult",
    "VerifyResult",
    "account_by_code",
    "accounts_of",
    "balance_as_of",
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
    "post_entry",
    "post_pending",
    "postings_of",
    "request_hash",
    "reverse_entry",
    "sum_of_postings",
    "verify_chain",
    "void_pending",
]
