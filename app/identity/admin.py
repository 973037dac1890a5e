"""`jincheng admin create`: a street administrator who signs in with a password at the PC desk."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core import audit
from app.core.db import make_sessionmaker
from app.identity import passwords, repository
from app.identity.models import User
from app.identity.roles import Role
from app.org.models import Street


class AdminCreateError(Exception):
    pass


async def create_admin_in(
    session: AsyncSession, username: str, password: str, street_code: str | None, name: str | None
) -> uuid.UUID:
    streets = (
        (await session.execute(select(Street).where(Street.code == street_code) if street_code else select(Street)))
        .scalars()
        .all()
    )
    if not streets:
        raise AdminCreateError("找不到街道：请先加载组织数据（jincheng seed-demo）或检查 --street-code")
    if len(streets) > 1:
        raise AdminCreateError("库中有多个街道，请用 --street-code 指定")
    street = streets[0]
    if await repository.get_user_by_username(session, username) is not None:
        raise AdminCreateError(f"登录名 {username} 已存在")
    user = User(username=username, password_hash=await passwords.hash_password(password), real_name=name, nickname=name)
    session.add(user)
    await session.flush()
    await repository.add_grant(session, user.id, Role.resident, None, None, None)
    await repository.add_grant(session, user.id, Role.street_admin, street.id, street.id, None)
    await audit.record(
        session,
        None,
        "role.grant",
        "user",
        user.id,
        {"role": Role.street_admin.value, "scope_id": street.id, "via": "cli"},
        street_id=street.id,
    )
    return user.id


async def create_street_admin(
    url: str, username: str, password: str, street_code: str | None, name: str | None
) -> uuid.UUID:
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            user_id = await create_admin_in(session, username, password, street_code, name)
            await session.commit()
            return user_id
    finally:
        await engine.dispose()
