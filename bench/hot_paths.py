"""Hot-path bench: the service's busiest endpoints as a share of a raw asyncpg floor, in one run.

Starts the embedded PostgreSQL under ./var/bench (or uses BENCH_DATABASE_URL, a database the user may
create databases from), builds a database at the issue's volume once (demo street, ~41,000 households,
100,000 complaints with events and figures, 18 trust funds × 10,000 entries; ``bench/volume_seed.py``)
and reuses it on later runs (``--fresh`` rebuilds it). Then starts ``jincheng serve`` (logs at WARNING,
worker off) and the floor app (``bench/floor_app.py``: raw ASGI + asyncpg + orjson, one primary-key
read) beside it, drives each path with wrk (or a Python loop when wrk is missing) and prints rps, p50,
p99 and the share of the floor. Every answer must be 2xx: the script says which were not.

    .venv/bin/python bench/hot_paths.py [--seconds 5] [--connections 32] [--workers 1] [--fresh]
    make bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.complaints.seed import category_id  # noqa: E402
from app.core.db import make_sessionmaker  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.core.security import issue_access_token  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.ledger import api as ledger  # noqa: E402
from app.org.seed import seed_demo  # noqa: E402
from bench import load  # noqa: E402
from bench._common import admin, pg_kwargs, server_url  # noqa: E402
from bench.volume_seed import (  # noqa: E402
    DISPATCHER,
    MANAGER,
    RESIDENT,
    SEED_VERSION,
    STREET_ID,
    SUBMITTER,
    Volume,
    fund_compounds,
    seed_volume,
)

DATABASE = "jc_hot_paths"
_BASELINE_LAUNCHER = """
import sys
sys.path.insert(0, sys.argv[1])
import uvicorn
from app.core.logging import configure_logging
from app.core.settings import get_settings
from app.main import create_app
settings = get_settings()
configure_logging(settings.log_level)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_config=None, proxy_headers=True)
"""


@dataclass(frozen=True)
class Measured:
    name: str
    result: load.Result
    # Server-process CPU per answered request: steadier than rps on a machine shared with other jobs.
    cpu_ms: float


API = "/api/v1"


async def prepare(base: str, volume: Volume, fresh: bool) -> str:
    """The bench database, seeded once at ``volume`` (rebuilt when ``fresh`` or the seed changed)."""
    url = make_url(base).set(database=DATABASE).render_as_string(hide_password=False)
    marker = f"{SEED_VERSION}/{volume.complaints}/{volume.funds}/{volume.entries_per_fund}"
    exists = await admin(base, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
    if exists and not fresh:
        try:
            conn = await asyncpg.connect(**pg_kwargs(url))  # type: ignore[arg-type]
            try:
                if await conn.fetchval("SELECT marker FROM bench_seed") == marker:
                    await asyncio.to_thread(upgrade, url)
                    return url
            finally:
                await conn.close()
        except asyncpg.PostgresError:
            pass
    await admin(base, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await admin(base, f'CREATE DATABASE "{DATABASE}"')
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    await seed_demo(url)
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            await seed_volume(session, volume)
            await session.execute(text("CREATE TABLE bench_seed (marker text)"))
            await session.execute(text("INSERT INTO bench_seed VALUES (:m)"), {"m": marker})
            await session.commit()
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        # The seeded chain is the ledger's own: prove it on one fund before measuring anything.
        async with make_sessionmaker(engine)() as session:
            ledger_id = (
                await session.execute(
                    text("SELECT ledger_id FROM trustfund_funds WHERE compound_id = :c"),
                    {"c": fund_compounds(1)[0]},
                )
            ).scalar_one()
            result = await ledger.verify_chain(session, ledger_id)
            if not result.ok:
                raise SystemExit(f"seeded ledger chain does not verify: {result}")
    finally:
        await engine.dispose()
    print(f"seeded {DATABASE} ({marker}) in {time.perf_counter() - started:.0f} s; ledger chain verified")
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(cmd: list[str], env: dict[str, str], port: int, probe: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"{cmd} did not answer on :{port}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and every descendant (uvicorn's worker processes), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(stat.parent.name)
        parents[p] = int(fields[1])
        cpu[p] = (int(fields[11]) + int(fields[12])) / ticks
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [c for c, pp in parents.items() if pp == parent and c not in family]
        family.update(children)
        frontier.extend(children)
    return sum(cpu.get(p, 0.0) for p in family)


def _measure(
    proc: subprocess.Popen[bytes], base_url: str, target: load.Target, args: argparse.Namespace, run_id: str
) -> Measured:
    before = _cpu_seconds(proc.pid)
    result = load.run(base_url, target, args.seconds, args.connections, run_id)
    used = _cpu_seconds(proc.pid) - before
    served = max(1, result.requests - result.errors)
    return Measured(target.name, result, 1000 * used / served)


def _combine(name: str, a: Measured, b: Measured) -> Measured:
    """Two windows of one side as one: rates and latencies averaged, counts summed, CPU per answer pooled."""
    served = [max(1, m.result.requests - m.result.errors) for m in (a, b)]
    cpu = (a.cpu_ms * served[0] + b.cpu_ms * served[1]) / sum(served)
    ra, rb = a.result, b.result
    result = load.Result(
        rps=(ra.rps + rb.rps) / 2,
        p50_ms=(ra.p50_ms + rb.p50_ms) / 2,
        p99_ms=max(ra.p99_ms, rb.p99_ms),
        requests=ra.requests + rb.requests,
        not_2xx=ra.not_2xx + rb.not_2xx,
        errors=ra.errors + rb.errors,
    )
    return Measured(name, result, cpu)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _fixtures(url: str) -> dict[str, object]:
    conn = await asyncpg.connect(**pg_kwargs(url))  # type: ignore[arg-type]
    try:
        # Earlier versions of this harness submitted as RESIDENT: hand those complaints to SUBMITTER, so the
        # measured resident follows what the seed gave them.
        async with conn.transaction():
            moved = await conn.fetch(
                "UPDATE complaints SET resident_user_id = $2, created_by = $2 "
                "WHERE resident_user_id = $1 AND description LIKE 'bench:%' RETURNING id",
                RESIDENT,
                SUBMITTER,
            )
            await conn.execute(
                "UPDATE complaint_followers SET user_id = $2 WHERE user_id = $1 AND complaint_id = ANY($3)",
                RESIDENT,
                SUBMITTER,
                [r["id"] for r in moved],
            )
        owned = await conn.fetchval(
            "SELECT id FROM complaints WHERE resident_user_id = $1 ORDER BY created_at DESC LIMIT 1", RESIDENT
        )
        fund = await conn.fetchval("SELECT id FROM trustfund_funds WHERE compound_id = $1", fund_compounds(1)[0])
        return {"complaint": owned, "fund": fund}
    finally:
        await conn.close()


async def _submitted(url: str) -> list[tuple[uuid.UUID, int]]:
    """Complaints the bench resident submitted that still wait for 受理: the accept pool."""
    conn = await asyncpg.connect(**pg_kwargs(url))  # type: ignore[arg-type]
    try:
        rows = await conn.fetch(
            "SELECT id, version FROM complaints WHERE resident_user_id = $1 AND state = 'pending' "
            "AND description LIKE 'bench:%' ORDER BY created_at",
            SUBMITTER,
        )
        return [(r["id"], r["version"]) for r in rows]
    finally:
        await conn.close()


def _topup(base_url: str, token: str, body: str, count: int) -> None:
    """Submit ``count`` complaints (not measured) so that accept has a pool that will not run dry."""

    async def go() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
            sem = asyncio.Semaphore(16)

            async def one() -> None:
                async with sem:
                    r = await client.post(f"{API}/complaints", content=body)
                    r.raise_for_status()

            await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(go())


def _import_rate(base_url: str, compound: uuid.UUID, token: str, rows: int, run_id: str, who: str) -> str:
    """One CSV import of ``rows`` new incomes into one fund (one request, committed): postings per second."""
    lines = ["reference,kind,amount,period_start,period_end,payer,description"]
    period = "2026-11-01,2026-11-30"
    lines += [f"CSV-{who}-{run_id}-{n},parking_fee,{100 + n % 900}.50,{period},,停车费" for n in range(rows)]
    content = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    r = httpx.post(
        f"{base_url}{API}/trustfunds/{compound}/incomes/import",
        params={"dry_run": "false"},
        files={"file": ("incomes.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    if r.status_code != 200 or r.json().get("posted") != rows:
        return f"CSV import ({who}): HTTP {r.status_code}, {r.text[:300]}"
    rate = rows / elapsed
    return f"CSV import ({who}): {rows} rows into one fund in {elapsed:.1f} s = {rate:.0f} postings/s per fund"


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    explicit = os.environ.get("BENCH_DATABASE_URL")
    base = server_url(explicit)
    volume = Volume(complaints=args.complaints, funds=18, entries_per_fund=args.entries)
    url = asyncio.run(prepare(base, volume, args.fresh))
    fixtures = asyncio.run(_fixtures(url))
    compound = fund_compounds(1)[0]
    settings = Settings()
    callers = {"resident": RESIDENT, "submitter": SUBMITTER, "dispatcher": DISPATCHER, "manager": MANAGER}
    tokens = {who: issue_access_token(settings, uid, 1) for who, uid in callers.items()}

    env = {**os.environ, "JINCHENG_DATABASE_URL": url, "JINCHENG_LOG_LEVEL": "WARNING", "JINCHENG_ENV": "dev"}
    env |= {"JINCHENG_RUN_WORKER_IN_PROCESS": "false", "FLOOR_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    # One resident submits every bench complaint: the per-user limit (10/hour) would answer 429 after the
    # tenth. It stays on (its cost is measured), just out of reach.
    env["JINCHENG_RATE_LIMIT_COMPLAINT_SUBMIT"] = "10000000/hour"
    service_port, floor_port = _free_port(), _free_port()
    serve = [str(ROOT / ".venv/bin/jincheng"), "serve", "--port", str(service_port)]
    if args.workers > 1:
        serve += ["--workers", str(args.workers)]
    floor_cmd = [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(floor_port)]
    floor_cmd += ["--log-level", "warning", "--no-access-log"]
    service = _start(serve, env, service_port, "/healthz")
    baseline: subprocess.Popen[bytes] | None = None
    try:
        floor = _start(floor_cmd, env, floor_port, f"/floor/{RESIDENT}")
        if args.baseline:
            # Another source tree (e.g. `git archive <commit> | tar -x -C DIR`) on the same database, measured
            # right after each read path: an A/B of a lever in one run. Not migrated: it must accept the schema.
            baseline_port = _free_port()
            launch = [sys.executable, "-c", _BASELINE_LAUNCHER, str(Path(args.baseline).resolve()), str(baseline_port)]
            baseline = _start(launch, env, baseline_port, "/healthz")
    except BaseException:
        _stop(service)
        raise
    service_url, floor_url = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{floor_port}"
    run_id = uuid.uuid4().hex[:8]
    submit_body = json.dumps(
        {
            "category_id": str(category_id(STREET_ID, "municipal.street_light")),
            "description": f"bench:{run_id} 小区门口路灯不亮，晚上出行不便。",
            "location": {"compound_id": str(compound)},
        },
        ensure_ascii=False,
    )
    income_body = json.dumps({"kind": "parking_fee", "amount_fen": 12_345, "reference": "HP-{n}"})
    c = fixtures["complaint"]
    reads = [
        load.Target("GET /streets (public)", "GET", [f"{API}/streets"]),
        load.Target("GET /me", "GET", [f"{API}/me"], tokens["resident"]),
        load.Target("complaint detail (owner)", "GET", [f"{API}/complaints/{c}"], tokens["resident"]),
        load.Target("complaint detail (dispatcher)", "GET", [f"{API}/complaints/{c}"], tokens["dispatcher"]),
        load.Target("my complaints ?limit=20", "GET", [f"{API}/complaints/mine?limit=20"], tokens["resident"]),
        load.Target(
            "dispatch queue ?limit=20", "GET", [f"{API}/complaints/queues/dispatch?limit=20"], tokens["dispatcher"]
        ),
        load.Target("trust-fund balance (owner)", "GET", [f"{API}/trustfunds/{compound}/balance"], tokens["resident"]),
        load.Target(
            "trust-fund entries ?limit=20 (owner)",
            "GET",
            [f"{API}/trustfunds/{compound}/entries?limit=20"],
            tokens["resident"],
        ),
    ]
    results: list[Measured] = []
    imports: list[str] = []
    accept_pool = 0
    print(f"load generator: {load.generator_name()}; {args.connections} connections, {args.seconds:g} s per path; "
          f"service workers: {args.workers}")  # fmt: skip
    try:
        floor_target = load.Target("floor: raw ASGI + asyncpg, PK read", "GET", [f"/floor/{RESIDENT}"])
        load.run(floor_url, floor_target, 1, args.connections, run_id)  # warm-up
        results.append(_measure(floor, floor_url, floor_target, args, run_id))
        baseline_url = f"http://127.0.0.1:{baseline.args[-1]}" if baseline is not None else None

        def wanted(name: str) -> bool:
            return not args.only or any(word in name for word in args.only.split(","))

        def measure(
            target: load.Target,
            baseline_target: load.Target | None = None,
            warm: bool = True,
            write: bool = False,
            windows: tuple[load.Target, load.Target, load.Target, load.Target] | None = None,
        ) -> None:
            """The service on ``target``, then the baseline tree (if any) on ``baseline_target`` or the same."""
            # Writes queue on row locks (the street's daily number, the fund): seconds of latency under 32
            # connections, so their window is longer or it would end with most requests still in flight.
            window = argparse.Namespace(**{**vars(args), "seconds": args.write_seconds if write else args.seconds})
            if warm:
                load.run(service_url, target, 1, args.connections, run_id)  # warm-up
            if baseline is None or baseline_url is None:
                results.append(_measure(service, service_url, target, window, run_id))
                return
            other = baseline_target or target
            if warm:
                load.run(baseline_url, other, 1, args.connections, run_id)  # warm-up
            if not write:
                results.append(_measure(service, service_url, target, window, run_id))
                measured = _measure(baseline, baseline_url, other, window, run_id)
                results.append(Measured(f"  baseline: {target.name}", measured.result, measured.cpu_ms))
                return
            # A write on one lock measured second ran markedly faster than the same code measured first
            # (44 vs 26 income/s, same tree on both sides): service, baseline, baseline, service, each side
            # reported over its two windows.
            # ``windows``: a target per window when each needs its own rows (accept: a slice of the pool each).
            t1, o1, o2, t2 = windows or (target, other, other, target)
            half = argparse.Namespace(**{**vars(window), "seconds": window.seconds / 2})
            a1 = _measure(service, service_url, t1, half, run_id)
            b1 = _measure(baseline, baseline_url, o1, half, run_id)
            b2 = _measure(baseline, baseline_url, o2, half, run_id)
            a2 = _measure(service, service_url, t2, half, run_id)
            results.append(_combine(target.name, a1, a2))
            results.append(_combine(f"  baseline: {target.name}", b1, b2))

        for target in reads:
            if wanted(target.name):
                measure(target)
        submit = load.Target("submit complaint", "POST", [f"{API}/complaints"], tokens["submitter"], submit_body)
        if wanted(submit.name):
            measure(submit, write=True)
        if wanted("accept (dispatcher)"):
            # Every accept needs a fresh complaint: top the pool up beforehand (not measured), enough for
            # the service and the baseline at a generous rate; requests beyond the pool answer 409.
            pool = asyncio.run(_submitted(url))
            need = max(300, int(args.pool_rate * args.write_seconds) * (2 if baseline is not None else 1))
            if len(pool) < need:
                _topup(service_url, tokens["submitter"], submit_body, need - len(pool))
                pool = asyncio.run(_submitted(url))
            accept_pool = len(pool)
            q = len(pool) // 4

            def accept_target(complaints: list[tuple[uuid.UUID, int]]) -> load.Target:
                # AcceptIn carries the version; every pooled complaint is fresh (version 1).
                return load.Target(
                    "accept (dispatcher)",
                    "POST",
                    [f"{API}/complaints/{cid}/accept" for cid, _ in complaints],
                    tokens["dispatcher"],
                    json.dumps({"version": 1}),
                    cycle=False,
                )

            if baseline is None:
                measure(accept_target(pool), warm=False, write=True)
            else:
                quarters = tuple(accept_target(pool[i * q : (i + 1) * q]) for i in range(4))
                measure(quarters[0], warm=False, write=True, windows=quarters)  # type: ignore[arg-type]
        income = load.Target(
            "post income (one fund)",
            "POST",
            [f"{API}/trustfunds/{compound}/incomes"],
            tokens["manager"],
            income_body,
            unique_body=True,
        )
        if wanted(income.name):
            measure(income, write=True)
            # What holding one fund's lock to commit costs by itself: the ceiling that order puts on a fund.
            locked = load.Target(
                "floor: 1 fund's lock + insert, commit", "POST", [f"/floor/fund/{fixtures['fund']}"], body="{}"
            )
            load.run(floor_url, locked, 1, args.connections, run_id)  # warm-up
            window = argparse.Namespace(**{**vars(args), "seconds": args.write_seconds})
            results.append(_measure(floor, floor_url, locked, window, run_id))
        if wanted("CSV import"):
            imports.append(_import_rate(service_url, compound, tokens["manager"], args.import_rows, run_id, "service"))
            if baseline_url is not None:
                imports.append(
                    _import_rate(baseline_url, compound, tokens["manager"], args.import_rows, run_id, "baseline")
                )
    except BaseException:
        _finish([], service, floor, baseline, 0, started)
        raise
    _finish(results, service, floor, baseline, accept_pool, started)
    for line in imports:
        print(line)


def _finish(
    results: list[Measured],
    service: subprocess.Popen[bytes],
    floor: subprocess.Popen[bytes],
    baseline: subprocess.Popen[bytes] | None,
    accept_pool: int,
    started: float,
) -> None:
    for proc in (service, floor, baseline):
        if proc is not None:
            _stop(proc)
    if results:
        report(results, accept_pool)
        print(f"total {time.perf_counter() - started:.0f} s")


def report(results: list[Measured], accept_pool: int) -> None:
    """rps and its share of the floor's rps; server CPU per request and the floor's CPU per request as a
    share of it (the steadier figure when other jobs share the machine)."""
    floor = results[0]
    print()
    print(f"| {'path':<38} | {'rps':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'rps/floor':>9} | {'CPU ms/req':>10} "
          f"| {'CPU floor/path':>14} | {'non-2xx':>7} |")  # fmt: skip
    print(f"|{'-' * 40}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 12}|{'-' * 16}|{'-' * 9}|")
    bad = []
    for m in results:
        r = m.result
        share = f"{100 * r.rps / floor.result.rps:.1f}%"
        cpu_share = f"{100 * floor.cpu_ms / m.cpu_ms:.1f}%" if m.cpu_ms else "-"
        print(f"| {m.name:<38} | {r.rps:>6.0f} | {r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} | {share:>9} | {m.cpu_ms:>10.2f} "
              f"| {cpu_share:>14} | {r.not_2xx:>7} |")  # fmt: skip
        if r.not_2xx or r.errors:
            bad.append(f"{m.name}: {r.not_2xx} non-2xx, {r.errors} socket errors of {r.requests}")
    if bad:
        print("NOT ALL 2xx:\n  " + "\n  ".join(bad))
        if any(n.startswith("accept") for n in bad):
            print(f"  (accept pool held {accept_pool} submitted complaints; requests past it answer 409)")
    else:
        print("every response was 2xx")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--write-seconds", type=float, default=10, help="window of the write paths")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="jincheng serve --workers N")
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000, help="entries per trust fund (18 funds)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    parser.add_argument(
        "--only", help="comma-separated words: measure only the paths whose name has one (submit, accept, income, CSV)"
    )
    parser.add_argument("--baseline", help="a source tree to measure beside the service on every path")
    parser.add_argument("--import-rows", type=int, default=1000, help="rows of the CSV import (one fund)")
    # Requests past the pool answer 409: 150 ran dry at 166 accepts/s.
    parser.add_argument("--pool-rate", type=float, default=800, help="accepts per second the accept pool is sized for")
    main(parser.parse_args())
