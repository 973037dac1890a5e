"""The points ledger keeps the trust funds' guarantees under any sequence of earns, spends, replays and
expiries: every balance equals the sum of its entries, no balance is ever negative, the chain verifies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProblemError
from app.identity.models import User
from app.ledger import api as ledger
from app.volunteers import points
from tests.conftest import STREET_ID

USERS = 3
user = st.integers(min_value=0, max_value=USERS - 1)
amount = st.integers(min_value=1, max_value=50)
op = st.one_of(
    st.tuples(st.just("earn"), user, amount),
    st.tuples(st.just("spend"), user, amount),
    st.tuples(st.just("replay"), st.integers(min_value=0, max_value=10**6)),
    st.tuples(st.just("expire"), st.booleans()),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_points_ledger_invariants(engine, ops) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            session = AsyncSession(bind=conn, expire_on_commit=False, autoflush=False)
            users = [User(nickname=f"p{i}", appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for i in range(USERS)]
            session.add_all(users)
            await session.flush()
            ids = [u.id for u in users]
            made: list[tuple[str, uuid.UUID, int, str, uuid.UUID]] = []
            expected = [0] * USERS
            for i, o in enumerate(ops):
                try:
                    async with session.begin_nested():
                        if o[0] in ("earn", "spend"):
                            _, who, amt = o
                            call = points.earn if o[0] == "earn" else points.spend
                            entry = await call(
                                session, user_id=ids[who], street_id=STREET_ID, points=amt, reference=f"r{i}", memo=""
                            )
                            made.append((o[0], ids[who], amt, f"r{i}", entry))
                            expected[who] += amt if o[0] == "earn" else -amt
                        elif o[0] == "replay" and made:
                            kind, uid, amt, ref, entry = made[o[1] % len(made)]
                            call = points.earn if kind == "earn" else points.spend
                            again = await call(
                                session, user_id=uid, street_id=STREET_ID, points=amt, reference=ref, memo=""
                            )
                            assert again == entry
                        elif o[0] == "expire":
                            cutoff = datetime.now(UTC) + (timedelta(days=1) if o[1] else -timedelta(days=1))
                            for uid, gone in (await points.expire_old_points(session, STREET_ID, cutoff)).items():
                                expected[ids.index(uid)] -= gone
                except ProblemError as exc:
                    assert exc.code == "volunteers.insufficient_points", exc.code
            book = await points.book_id(session, STREET_ID)
            for who, uid in enumerate(ids):
                balance = await points.balance(session, user_id=uid, street_id=STREET_ID)
                assert balance == expected[who] >= 0
                if book is not None:
                    account = await ledger.account_by_code(session, book, points.user_account(uid))
                    if account is not None:
                        assert balance == await ledger.sum_of_postings(session, account.id)
            if book is not None:
                assert (await ledger.verify_chain(session, book)).ok
        finally:
            await trans.rollback()
