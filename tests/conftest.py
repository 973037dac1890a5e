from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core import errors
from app.core.security import issue_access_token
from app.core.settings import Environment, Settings
from app.identity.models import RoleAssignment, User
from app.identity.roles import ROLE_SCOPE, Role
from app.main import create_app
from app.org.seed import STREET, demo_id
from app.wiring import load_subscribers
from tests.db_harness import Server, build_template, test_server, unique_name
from tests.problem_codes import judge, untriggerable

# Service-level tests run without create_app: register the domain-event subscribers for them too.
load_subscribers()

STREET_ID = demo_id("street", STREET[0])

# Answering with an undeclared problem code (or another status than declared) fails the test that does it.
errors.STRICT_CATALOGUE = True


_deselected = 0


def pytest_deselected(items: list[pytest.Item]) -> None:
    global _deselected
    _deselected += len(items)


def _full_run(session: pytest.Session) -> bool:
    """The whole suite: every argument is the tests folder (or the project), nothing selected away."""
    root = Path(__file__).resolve().parents[1]
    tests = root / "tests"
    args = list(session.config.args)
    if not args or any("::" in a or Path(a).resolve() not in (root, tests) for a in args):
        return False
    option = session.config.option
    # Under pytest-xdist deselection happens in the workers: the controller reads the options that cause it.
    selectors = ("keyword", "markexpr", "deselect", "lf")
    return _deselected == 0 and not any(getattr(option, name, None) for name in selectors)


_ANSWERED_DIR = "codes_answered_dir"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Under pytest-xdist: give every worker one folder of the run to leave the codes it answered in."""
    config = node.config
    if not hasattr(config, "_codes_answered_dir"):
        root = Path(__file__).resolve().parents[1] / "var" / "test" / "codes-answered"
        root.mkdir(parents=True, exist_ok=True)
        config._codes_answered_dir = tempfile.mkdtemp(dir=root)
    node.workerinput[_ANSWERED_DIR] = config._codes_answered_dir


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a full, green run: every catalogue code not listed as untriggerable was answered over HTTP.

    Writes var/test/problem-codes-untested.txt (the codes no test answered) and fails the run (exit status 1)
    when a code is neither answered nor listed, or a listed code was answered after all (the list is stale).
    A partial run (some files, -k, -m) judges nothing: only the whole suite can tell a code is never raised.
    Under pytest-xdist each worker leaves its codes in a shared folder and the controller judges their union.
    """
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is not None:
        folder = Path(workerinput[_ANSWERED_DIR])
        (folder / f"{workerinput['workerid']}.txt").write_text("\n".join(sorted(errors.CODES_ANSWERED)), "utf-8")
        return
    answered = set(errors.CODES_ANSWERED)
    shared = getattr(session.config, "_codes_answered_dir", None)
    if shared is not None:
        for part in Path(shared).glob("*.txt"):
            answered.update(line for line in part.read_text("utf-8").splitlines() if line)
        shutil.rmtree(shared, ignore_errors=True)
    if exitstatus != 0 or not _full_run(session):
        return
    untested = sorted(set(errors.PROBLEM_TYPES) - answered)
    out = Path(__file__).resolve().parents[1] / "var" / "test" / "problem-codes-untested.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{code}\n" for code in untested), encoding="utf-8")
    problems = judge(set(errors.PROBLEM_TYPES), answered, untriggerable())
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(problems, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def server() -> Server:
    return test_server()


@pytest.fixture(scope="session")
async def template_db(server: Server) -> AsyncIterator[str]:
    name = await build_template(server)
    yield name
    await server.drop_database(name)


@pytest.fixture(scope="session")
async def test_db_url(server: Server, template_db: str) -> AsyncIterator[str]:
    name = unique_name("jc_test")
    url = await server.create_database(name, template=template_db)
    yield url
    await server.drop_database(name)


@pytest.fixture(scope="session")
async def engine(test_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(test_db_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory, test_db_url: str) -> Settings:
    return Settings(env=Environment.test, database_url=test_db_url, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The outer transaction every test runs in; rolled back afterwards, so tests never see each other."""
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                await trans.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Each request's commit becomes a savepoint release inside the outer transaction.
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging data and checking the database from the test itself."""
    async with sessionmaker() as s:
        yield s


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]):  # type: ignore[no-untyped-def]
    return create_app(settings, sessionmaker=sessionmaker)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def fresh_db(server: Server, template_db: str) -> AsyncIterator[str]:
    """A committed database of its own, cloned from the migrated template, for concurrency tests."""
    name = unique_name("jc_fresh")
    url = await server.create_database(name, template=template_db)
    yield url
    await server.drop_database(name)


@dataclass
class Actor:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeActor = Callable[..., Awaitable[Actor]]


@pytest.fixture
def make_actor(session: AsyncSession, settings: Settings) -> MakeActor:
    """Create a user holding ``roles`` [(Role, scope_id | None), ...] and an access token for them."""

    async def factory(*roles: tuple[Role, uuid.UUID | None], nickname: str = "测试用户") -> Actor:
        user = User(nickname=nickname, appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
        session.add(user)
        await session.flush()
        for role, scope_id in roles or ((Role.resident, None),):
            session.add(
                RoleAssignment(
                    user_id=user.id,
                    role=role.value,
                    scope_type=ROLE_SCOPE[role].value,
                    scope_id=scope_id,
                    street_id=STREET_ID,
                )
            )
        await session.commit()
        return Actor(user=user, token=issue_access_token(settings, user.id, user.token_version))

    return factory
