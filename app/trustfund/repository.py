"""Every trust-fund query."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Uuid,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import loaded, prepared, turns
from app.core.pagination import PageParams, decode_cursor, encode_cursor, invalid_cursor, keyset_page
from app.ledger.api import LockedHead
from app.ledger.models import LedgerAccount
from app.trustfund.models import (
    Budget,
    BudgetComment,
    BudgetLine,
    ExpenseApproval,
    Reconciliation,
    TrustFund,
    TrustQuery,
    TrustTransaction,
    Voucher,
)

# Prebuilt: every trust-fund request opens its fund by compound (building the comparison was ~3 % of a read).
_FUND_BY_COMPOUND = select(TrustFund).where(TrustFund.compound_id == bindparam("compound_id"))


async def fund_by_compound(session: AsyncSession, compound_id: uuid.UUID) -> TrustFund | None:
    return (await session.execute(_FUND_BY_COMPOUND, {"compound_id": compound_id})).scalar_one_or_none()


_FUND_ROW_BY_COMPOUND = _FUND_BY_COMPOUND.with_only_columns(*prepared.model_columns(TrustFund)[0])


async def fund_row_by_compound(session: AsyncSession, compound_id: uuid.UUID) -> Any | None:
    """``fund_by_compound`` as a read-only row with the fund's attributes, for requests that change nothing."""
    return await prepared.fetch_one_or_none(session, _FUND_ROW_BY_COMPOUND, {"compound_id": compound_id})


class BalanceColumns(NamedTuple):
    """An account's balance columns, as ``ledger.balance_of`` reads them."""

    normal_balance: str
    debits_posted_fen: int
    credits_posted_fen: int
    debits_pending_fen: int
    credits_pending_fen: int


# The fund row with its owners' account's balance columns (``balance_<column>``): the balance page opens the
# fund and reads its balance in one round trip instead of two.
_FUND_ROW_WITH_BALANCE = _FUND_ROW_BY_COMPOUND.add_columns(
    *(getattr(LedgerAccount, name).label(f"balance_{name}") for name in BalanceColumns._fields)
).join(
    LedgerAccount,
    and_(LedgerAccount.ledger_id == TrustFund.ledger_id, LedgerAccount.code == bindparam("account_code")),
    isouter=True,  # a fund without that account still opens (and its balance read says what is wrong)
)


async def fund_row_with_balance(
    session: AsyncSession, compound_id: uuid.UUID, account_code: str
) -> tuple[Any, BalanceColumns | None] | None:
    """``fund_row_by_compound`` and the balance columns of the fund's account ``account_code`` (None when the
    fund has no such account)."""
    params = {"compound_id": compound_id, "account_code": account_code}
    row = await prepared.fetch_one_or_none(session, _FUND_ROW_WITH_BALANCE, params)
    if row is None:
        return None
    columns = BalanceColumns(*(getattr(row, f"balance_{name}") for name in BalanceColumns._fields))
    return row, columns if columns.normal_balance is not None else None


# The statements of a write under the fund lock are prebuilt: building them per call (comparisons, bind
# coercion) was ~20 % of the CPU an income spends holding the lock, which bounds a fund's write rate.
_LOCK_FUND = (
    select(TrustFund)
    .where(TrustFund.id == bindparam("fund_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_FUND_KEYS = [a.key for a in TrustFund.__mapper__.column_attrs]
_FUND_COLUMNS = [a.columns[0].name for a in TrustFund.__mapper__.column_attrs]
_LOCK_FUND_ROW = f"SELECT {', '.join(_FUND_COLUMNS)} FROM trustfund_funds WHERE id = $1 FOR UPDATE"  # noqa: S608


_TURN = "trustfund.fund"


async def lock_fund(session: AsyncSession, fund_id: uuid.UUID) -> TrustFund:
    """The fund's write lock: taken first by every write, before the ledger and account locks.

    A write opened the fund through the ORM already (``funds.open_fund``): that object is refreshed from the
    locked row past the ORM, which is half the CPU of an ORM locking read, spent while holding the lock.
    Writers of one fund in this process queue for it in the process first (``app.core.turns``)."""
    await turns.take_turn(session, (_TURN, fund_id))
    fund: TrustFund | None = loaded.in_session(session, TrustFund, fund_id)
    if fund is None:
        return (await session.execute(_LOCK_FUND, {"fund_id": fund_id})).scalar_one()
    await _lock_and_refresh(session, fund, _LOCK_FUND_ROW)
    return fund


async def _lock_and_refresh(session: AsyncSession, fund: TrustFund, sql: str) -> Any:
    """Run a locking read whose first columns are the fund's (``_FUND_COLUMNS``) and refresh ``fund`` from it."""
    row = await (await prepared.driver_connection(session)).fetchrow(sql, fund.id)
    if row is None:
        raise LookupError(f"no trust fund {fund.id}")  # it was read in this transaction; funds are not deleted
    loaded.set_loaded(fund, **dict(zip(_FUND_KEYS, row, strict=False)))
    return row


# The fund and its ledger's chain head, locked by one statement: the ledger's lock is in a subquery run for
# the fund's row once that row is locked, so the fund is always locked first (the order of every write).
_LOCK_FUND_AND_HEAD = (
    f"SELECT f.*, l.head_seq, l.head_hash FROM (SELECT {', '.join(_FUND_COLUMNS)}"  # noqa: S608 (the model's)
    " FROM trustfund_funds WHERE id = $1 FOR UPDATE) AS f"
    " CROSS JOIN LATERAL (SELECT head_seq, head_hash FROM ledger_ledgers WHERE id = f.ledger_id FOR UPDATE) AS l"
)


async def lock_fund_and_ledger(session: AsyncSession, fund_id: uuid.UUID) -> tuple[TrustFund, LockedHead | None]:
    """``lock_fund`` and the ledger's lock with its chain head (for ``ledger.post_entry``) in one round trip.

    Fund first, then ledger, as every write locks them; once the fund is held no writer holds its ledger, so
    the ledger never waits, and a locked row is always returned at its latest version (after a wait for the
    fund too). The head is None when the fund was not opened through the ORM: ``post_entry`` then locks the
    ledger itself."""
    fund: TrustFund | None = loaded.in_session(session, TrustFund, fund_id)
    if fund is None:
        return await lock_fund(session, fund_id), None
    await turns.take_turn(session, (_TURN, fund_id))
    row = await _lock_and_refresh(session, fund, _LOCK_FUND_AND_HEAD)
    return fund, LockedHead(fund.ledger_id, row["head_seq"], row["head_hash"])


_TRANSACTION_BY_REFERENCE = select(TrustTransaction).where(
    TrustTransaction.fund_id == bindparam("fund_id"), TrustTransaction.reference == bindparam("reference")
)


async def transaction_by_reference(
    session: AsyncSession, fund_id: uuid.UUID, reference: str
) -> TrustTransaction | None:
    params = {"fund_id": fund_id, "reference": reference}
    return (await session.execute(_TRANSACTION_BY_REFERENCE, params)).scalar_one_or_none()


# An income's record and the fund's running totals in one statement, past the ORM: it runs under the fund
# lock, whose hold bounds a fund's postings per second (``app.ledger.writes`` says why and how).
_DB_FILLED = frozenset({"created_at"})
_TX_COLUMNS = loaded.insert_columns(TrustTransaction, _DB_FILLED)
_N = len(_TX_COLUMNS)
_INSERT_INCOME = (
    f"WITH tx AS (INSERT INTO trustfund_transactions ({', '.join(_TX_COLUMNS)})"  # noqa: S608 (the model's columns)
    f" VALUES ({', '.join(f'${i}' for i in range(1, _N + 1))}) RETURNING created_at), "
    f"fund AS (UPDATE trustfund_funds SET income_total_fen = ${_N + 1}, remuneration_total_fen = ${_N + 2}"
    f" WHERE id = ${_N + 3} RETURNING 1) "
    "SELECT tx.created_at, (SELECT count(*) FROM fund) AS funds FROM tx"
)


async def insert_income(
    session: AsyncSession,
    fund: TrustFund,
    tx: TrustTransaction,
    *,
    income_total_fen: int,
    remuneration_total_fen: int,
) -> None:
    """Write the new ``tx`` and the fund's new totals (the fund is locked); both stay in the session as written."""
    values = loaded.insert_values(tx, _DB_FILLED)
    conn = await prepared.driver_connection(session)
    row = await conn.fetchrow(_INSERT_INCOME, *values, income_total_fen, remuneration_total_fen, fund.id)
    assert row is not None and row["funds"] == 1
    loaded.join_as_loaded(session, tx, created_at=row["created_at"])
    loaded.set_loaded(fund, income_total_fen=income_total_fen, remuneration_total_fen=remuneration_total_fen)


async def references_in(
    session: AsyncSession, fund_id: uuid.UUID, references: list[str]
) -> dict[str, TrustTransaction]:
    if not references:
        return {}
    rows = await session.execute(
        select(TrustTransaction).where(TrustTransaction.fund_id == fund_id, TrustTransaction.reference.in_(references))
    )
    return {t.reference: t for t in rows.scalars().all()}


async def get_transaction(
    session: AsyncSession, fund_id: uuid.UUID, tx_id: uuid.UUID, *, lock: bool = False
) -> TrustTransaction | None:
    stmt = select(TrustTransaction).where(TrustTransaction.id == tx_id, TrustTransaction.fund_id == fund_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def transaction_by_entry(session: AsyncSession, entry_id: uuid.UUID) -> TrustTransaction | None:
    return (
        await session.execute(select(TrustTransaction).where(TrustTransaction.entry_id == entry_id))
    ).scalar_one_or_none()


_TX_FILTERS: tuple[tuple[str, ColumnElement[bool]], ...] = (
    ("kind", TrustTransaction.kind == bindparam("kind")),
    ("category", TrustTransaction.category == bindparam("category")),
    ("status", TrustTransaction.status == bindparam("status")),
    ("created_from", TrustTransaction.created_at >= bindparam("created_from")),
    ("created_to", TrustTransaction.created_at < bindparam("created_to")),
)


_COUNTED: tuple[type[ExpenseApproval] | type[Voucher] | type[TrustQuery], ...] = (ExpenseApproval, Voucher, TrustQuery)
# The count columns of an entries page row, in ``_COUNTED`` order.
PAGE_COUNTS = ("approvals_count", "vouchers_count", "queries_count")


@lru_cache(maxsize=256)
def _transactions_statement(filters: frozenset[str], cursor: bool, fetch: int) -> Select[Any]:
    """The entries page for one shape (which filters are set, whether after a cursor), prebuilt: building it
    was ~15 % of the entries endpoint's CPU (measured). Newest first on (created_at, id)."""
    # Each row carries its approval, voucher and query counts (an index probe each): one round trip for the
    # page, where a second one (``all_counts_for``) used to follow.
    counts = (
        select(func.count()).where(model.transaction_id == TrustTransaction.id).scalar_subquery().label(name)
        for name, model in zip(PAGE_COUNTS, _COUNTED, strict=True)
    )
    stmt: Select[Any] = select(*TrustTransaction.__table__.columns, *counts).where(
        TrustTransaction.fund_id == bindparam("fund_id"), *(clause for name, clause in _TX_FILTERS if name in filters)
    )
    if cursor:
        after_at: BindParameter[Any] = bindparam("after_created_at")
        after_id: BindParameter[Any] = bindparam("after_id")
        stmt = stmt.where(
            or_(
                TrustTransaction.created_at < after_at,
                and_(TrustTransaction.created_at == after_at, TrustTransaction.id < after_id),
            )
        )
    # Written in, the LIMIT keeps the generic plan (bound: planned on every execution, 0.51 against 0.38 ms).
    ordered = stmt.order_by(TrustTransaction.created_at.desc(), TrustTransaction.id.desc())
    return ordered.limit(prepared.written_limit(fetch))


async def list_transactions(
    session: AsyncSession,
    fund_id: uuid.UUID,
    params: PageParams,
    *,
    kind: str | None,
    category: str | None,
    status: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> tuple[list[Any], str | None]:
    """A keyset page of the fund's transactions as rows: the transaction's columns and ``PAGE_COUNTS``."""
    given: dict[str, Any] = {"kind": kind, "category": category, "status": status}
    given |= {"created_from": created_from, "created_to": created_to}
    values: dict[str, Any] = {name: value for name, value in given.items() if value}
    filters = frozenset(values)
    values |= {"fund_id": fund_id}
    if params.cursor is not None:
        created_at, id_ = decode_cursor(params.cursor, 2)
        if not (isinstance(created_at, datetime) and created_at.tzinfo is not None and isinstance(id_, uuid.UUID)):
            raise invalid_cursor()
        values |= {"after_created_at": created_at, "after_id": id_}
    stmt = _transactions_statement(filters, params.cursor is not None, params.limit + 1)
    # Rows with the transaction's columns (read-only, as the page only shows them), not ORM objects.
    rows: list[Any] = await prepared.fetch(session, stmt, values)
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor((rows[-1].created_at, rows[-1].id))
    return rows, next_cursor


async def transactions_posted_between(
    session: AsyncSession, fund_id: uuid.UUID, start: datetime, end: datetime
) -> list[TrustTransaction]:
    rows = await session.execute(
        select(TrustTransaction)
        .where(
            TrustTransaction.fund_id == fund_id,
            TrustTransaction.status == "posted",
            TrustTransaction.posted_at >= start,
            TrustTransaction.posted_at < end,
        )
        .order_by(TrustTransaction.posted_at, TrustTransaction.id)
    )
    return list(rows.scalars().all())


# Prebuilt: building the three IN lists anew was about a third of an entries page's CPU (measured).
_COUNTS = union_all(
    *(
        select(literal(i).label("part"), model.transaction_id, func.count())
        .where(model.transaction_id.in_(bindparam("tx_ids", expanding=True, type_=Uuid())))
        .group_by(model.transaction_id)
        for i, model in enumerate(_COUNTED)
    )
)


async def all_counts_for(
    session: AsyncSession, tx_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, int], dict[uuid.UUID, int]]:
    """(approvals, vouchers, queries) per transaction in one round trip (a UNION ALL of three counts)."""
    if not tx_ids:
        return {}, {}, {}
    counts: tuple[dict[uuid.UUID, int], ...] = ({}, {}, {})
    for part, tx_id, n in await prepared.fetch(session, _COUNTS, {"tx_ids": tx_ids}):
        counts[part][tx_id] = int(n)
    return counts[0], counts[1], counts[2]


async def approvals_of(session: AsyncSession, tx_id: uuid.UUID) -> list[ExpenseApproval]:
    rows = await session.execute(
        select(ExpenseApproval).where(ExpenseApproval.transaction_id == tx_id).order_by(ExpenseApproval.created_at)
    )
    return list(rows.scalars().all())


async def vouchers_of(session: AsyncSession, tx_id: uuid.UUID) -> list[Voucher]:
    rows = await session.execute(
        select(Voucher).where(Voucher.transaction_id == tx_id).order_by(Voucher.created_at, Voucher.id)
    )
    return list(rows.scalars().all())


async def get_voucher(session: AsyncSession, fund_id: uuid.UUID, voucher_id: uuid.UUID) -> Voucher | None:
    return (
        await session.execute(select(Voucher).where(Voucher.id == voucher_id, Voucher.fund_id == fund_id))
    ).scalar_one_or_none()


async def queries_of(session: AsyncSession, tx_id: uuid.UUID) -> list[TrustQuery]:
    rows = await session.execute(
        select(TrustQuery).where(TrustQuery.transaction_id == tx_id).order_by(TrustQuery.created_at, TrustQuery.id)
    )
    return list(rows.scalars().all())


async def budget_by_year(session: AsyncSession, fund_id: uuid.UUID, year: int, *, lock: bool = False) -> Budget | None:
    stmt = select(Budget).where(Budget.fund_id == fund_id, Budget.year == year)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def budget_lines(session: AsyncSession, budget_id: uuid.UUID) -> list[BudgetLine]:
    rows = await session.execute(
        select(BudgetLine).where(BudgetLine.budget_id == budget_id).order_by(BudgetLine.position)
    )
    return list(rows.scalars().all())


async def budget_line_with_budget(session: AsyncSession, line_id: uuid.UUID) -> tuple[BudgetLine, Budget] | None:
    row = (
        await session.execute(
            select(BudgetLine, Budget).join(Budget, Budget.id == BudgetLine.budget_id).where(BudgetLine.id == line_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def line_spend(session: AsyncSession, line_id: uuid.UUID) -> tuple[int, int]:
    """(posted, pending) expense totals booked against a budget line."""
    rows = await session.execute(
        select(TrustTransaction.status, func.coalesce(func.sum(TrustTransaction.amount_fen), 0))
        .where(TrustTransaction.budget_line_id == line_id, TrustTransaction.status.in_(["posted", "pending"]))
        .group_by(TrustTransaction.status)
    )
    totals = {status: int(total) for status, total in rows.all()}
    return totals.get("posted", 0), totals.get("pending", 0)


async def spend_by_line(session: AsyncSession, line_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, str], int]:
    if not line_ids:
        return {}
    rows = await session.execute(
        select(
            TrustTransaction.budget_line_id,
            TrustTransaction.status,
            func.coalesce(func.sum(TrustTransaction.amount_fen), 0),
        )
        .where(TrustTransaction.budget_line_id.in_(line_ids), TrustTransaction.status.in_(["posted", "pending"]))
        .group_by(TrustTransaction.budget_line_id, TrustTransaction.status)
    )
    return {(line_id, status): int(total) for line_id, status, total in rows.all() if line_id is not None}


async def totals_by_category(
    session: AsyncSession, fund_id: uuid.UUID, kind: str, start: datetime, end: datetime
) -> dict[str, int]:
    rows = await session.execute(
        select(TrustTransaction.category, func.coalesce(func.sum(TrustTransaction.amount_fen), 0))
        .where(
            TrustTransaction.fund_id == fund_id,
            TrustTransaction.kind == kind,
            TrustTransaction.status == "posted",
            TrustTransaction.posted_at >= start,
            TrustTransaction.posted_at < end,
        )
        .group_by(TrustTransaction.category)
    )
    return {c: int(t) for c, t in rows.all()}


async def unbudgeted_expense(session: AsyncSession, fund_id: uuid.UUID, start: datetime, end: datetime) -> int:
    return int(
        (
            await session.execute(
                select(func.coalesce(func.sum(TrustTransaction.amount_fen), 0)).where(
                    TrustTransaction.fund_id == fund_id,
                    TrustTransaction.kind == "expense",
                    TrustTransaction.status == "posted",
                    TrustTransaction.budget_line_id.is_(None),
                    TrustTransaction.posted_at >= start,
                    TrustTransaction.posted_at < end,
                )
            )
        ).scalar_one()
    )


async def list_comments(
    session: AsyncSession, budget_id: uuid.UUID, params: PageParams
) -> tuple[list[BudgetComment], str | None]:
    return await keyset_page(
        session,
        select(BudgetComment).where(BudgetComment.budget_id == budget_id),
        key_columns=[BudgetComment.created_at, BudgetComment.id],
        key_of=lambda c: (c.created_at, c.id),
        params=params,
    )


async def list_reconciliations(
    session: AsyncSession, fund_id: uuid.UUID, params: PageParams
) -> tuple[list[Reconciliation], str | None]:
    return await keyset_page(
        session,
        select(Reconciliation).where(Reconciliation.fund_id == fund_id),
        key_columns=[Reconciliation.statement_date, Reconciliation.id],
        key_of=lambda r: (r.statement_date, r.id),
        params=params,
        descending=True,
    )


async def get_query(session: AsyncSession, query_id: uuid.UUID) -> TrustQuery | None:
    return await session.get(TrustQuery, query_id)
