"""`make mutants`: remove one guard at a time from a copy of the tree and check the test named after it fails.

Not part of `make test`. Each row of MUTANTS is one guard removal (a literal text replacement that must
match exactly once, so a refactor that moves the guard breaks the row loudly instead of silently testing
nothing). For each row: copy the tracked files of this checkout (including uncommitted edits) into a
temporary directory, apply the replacement there (never to the working tree), run the named test RUNS
times (one pytest session, tests/mutants/repeat.py) against one PostgreSQL server, and count the runs
in which it failed: caught/total. The unmutated copy runs each test once first and must pass.

Usage: python tests/mutants/run.py [row-name ...]   (exit status 1 when any row is caught < total)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RUNS = 5
LOGS = ROOT / "var" / "mutants"  # each row's pytest output, to see what caught it


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    test: str
    why: str


MUTANTS = (
    Mutant(
        "trustfund_floor",
        "app/ledger/postings.py",
        "    try:\n        _check_floors(accounts, legs)\n",
        "    try:\n        pass\n",
        "tests/trustfund/test_concurrency.py::test_concurrent_expenses_stop_at_the_floor",
        "no balance floor check: 50 expenses against room for 25",
    ),
    Mutant(
        "sla_no_on_conflict",
        "app/sla/repository.py",
        '        .on_conflict_do_nothing(index_elements=["clock_id", "kind", "level"])\n',
        "",
        "tests/sla/test_concurrency.py",
        "reminder insert without ON CONFLICT DO NOTHING",
    ),
    Mutant(
        "sla_renotify",
        "app/sla/supervision.py",
        "        return False  # another run (or another worker) raised it already\n",
        "        created = clock.id  # mutant: tell them again\n",
        "tests/sla/test_concurrency.py",
        "an existing reminder is notified again",
    ),
    Mutant(
        "sla_no_recheck",
        "app/sla/supervision.py",
        "    if clock is None or clock.next_check_at is None or clock.next_check_at > now:\n",
        "    if clock is None:\n",
        "tests/sla/test_concurrency.py::test_a_stale_scan_leaves_a_clock_a_newer_scan_moved_on_alone",
        "no due-time re-check after locking the clock: a stale scan moves a newer scan's clock back",
    ),
    Mutant(
        "outbox_no_skip_locked",
        "app/worker.py",
        "        FOR UPDATE SKIP LOCKED\n",
        "",
        "tests/core/test_outbox_worker.py::test_two_workers_claiming_at_the_same_instant_split_the_rows",
        "claim without FOR UPDATE SKIP LOCKED",
    ),
    Mutant(
        "outbox_no_lease_two_workers",
        "app/worker.py",
        "    SET available_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease),\n",
        "    SET available_at = o.available_at + make_interval(secs => :lease) * 0,\n",
        "tests/core/test_outbox_worker.py::test_two_workers_claiming_at_the_same_instant_split_the_rows",
        "claim without a lease (two workers)",
    ),
    Mutant(
        "outbox_no_lease_dead_worker",
        "app/worker.py",
        "    SET available_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease),\n",
        "    SET available_at = o.available_at + make_interval(secs => :lease) * 0,\n",
        "tests/core/test_outbox_worker.py::test_a_dead_workers_row_is_offered_again_only_when_its_lease_runs_out",
        "claim without a lease (worker dies mid-delivery, FrozenClock)",
    ),
    Mutant(
        "outbox_no_lease_kill",
        "app/worker.py",
        "    SET available_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease),\n",
        "    SET available_at = o.available_at + make_interval(secs => :lease) * 0,\n",
        "tests/core/test_outbox_worker.py::test_killed_worker_loses_nothing",
        "claim without a lease (SIGKILLed worker process)",
    ),
    Mutant(
        "wechat_no_advisory_lock",
        "app/wechat/client.py",
        "        await conn.execute(select(func.pg_advisory_lock(key)))\n",
        "",
        "tests/wechat/test_client.py::test_one_refresh_in_flight_across_processes",
        "token refresh without the advisory lock",
    ),
    Mutant(
        "ledger_void_keeps_credit_hold",
        "app/ledger/postings.py",
        '        else:\n            account.credits_pending_fen -= -p.amount_fen\n    entry.status = "voided"\n',
        '        else:\n            pass  # mutant: credit hold kept\n    entry.status = "voided"\n',
        "tests/ledger/test_ledger_properties.py",
        "a void that does not release the credit-side hold",
    ),
    Mutant(
        "lock_ledger_no_for_update",
        "app/ledger/accounts.py",
        "            select(Ledger).where(Ledger.id == ledger_id).with_for_update().execution_options(",
        "            select(Ledger).where(Ledger.id == ledger_id).execution_options(",
        "tests/trustfund/test_concurrency.py",
        "lock_ledger without FOR UPDATE (expected: not caught here, the fund row lock covers it)",
    ),
)


# Guards whose removal no test can observe, because another guard carries the same invariant:
EXPECTED_SURVIVORS = {
    # Every trust-fund write takes the fund row FOR UPDATE first (trustfund/repository.lock_fund), and every
    # entry also locks its account rows: on a fund's ledger the ledger row lock is a third lock on the same
    # serialisation. It is not redundant in general: two entries on one ledger with disjoint accounts race
    # for the chain head (head_seq/head_hash) and only the ledger lock orders them. Kept.
    "lock_ledger_no_for_update",
}


def _copy_tree(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())


def _apply(tree: Path, mutant: Mutant) -> None:
    path = tree / mutant.path
    text = path.read_text()
    if text.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.name}: the guard text is not found exactly once in {mutant.path}; update the row")
    path.write_text(text.replace(mutant.old, mutant.new))


def _failed_runs(tree: Path, test: str, env: dict[str, str], runs: int, log: IO[bytes]) -> set[int]:
    """Run ``test`` ``runs`` times in one pytest session; the run numbers in which some test failed."""
    report = tree / f"report-{os.getpid()}.xml"
    junit = f"--junitxml={report}"
    subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider", "-p", "tests.mutants.repeat", junit],
        cwd=tree,
        env={**env, "MUTANT_RUNS": str(runs)},
        stdout=log,
        stderr=subprocess.STDOUT,
        check=False,
    )
    if not report.exists():
        return set(range(runs))  # the session itself failed (e.g. an import error): every run caught
    failed: set[int] = set()
    seen: set[int] = set()
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        match = re.search(r"run(\d+)", case.get("name", ""))
        if match is None:
            continue
        run = int(match.group(1))
        seen.add(run)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(run)
    return failed | (set(range(runs)) - seen)


def main(argv: list[str]) -> int:
    from app.core.embedded_pg import embedded_server_uri, to_asyncpg_url
    from tests.db_harness import Server

    wanted = set(argv)
    rows = [m for m in MUTANTS if not wanted or m.name in wanted]
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "baseline.log").unlink(missing_ok=True)
    # One server for every run (each pytest session builds its own template in it): TEST_DATABASE_URL, or an
    # embedded server of its own under var/mutants, so a concurrent `make test` keeps its connections.
    explicit = os.environ.get("TEST_DATABASE_URL")
    server = Server(explicit or to_asyncpg_url(embedded_server_uri(LOGS / "server")))
    results: list[tuple[Mutant, int]] = []
    with tempfile.TemporaryDirectory(prefix="jc-mutants-") as tmp:
        base = Path(tmp) / "tree"
        _copy_tree(base)
        env = {**os.environ, "TEST_DATABASE_URL": server.base_url, "PYTHONPATH": str(base)}
        # The unmutated copy must pass, or a "caught" would mean nothing.
        for test in sorted({m.test for m in rows}):
            with (LOGS / "baseline.log").open("ab") as log:
                failed = _failed_runs(base, test, env, 1, log)
            if failed:
                raise SystemExit(f"baseline fails: {test}")
        for mutant in rows:
            tree = Path(tmp) / mutant.name
            _copy_tree(tree)
            _apply(tree, mutant)
            env["PYTHONPATH"] = str(tree)
            started = time.monotonic()
            with (LOGS / f"{mutant.name}.log").open("wb") as log:
                caught = len(_failed_runs(tree, mutant.test, env, RUNS, log))
            results.append((mutant, caught))
            print(
                f"{mutant.name:32} caught {caught}/{RUNS}  ({time.monotonic() - started:5.1f} s)  {mutant.why}",
                flush=True,
            )
    bad = [m.name for m, c in results if c < RUNS and m.name not in EXPECTED_SURVIVORS]
    if bad:
        print("not caught every time:", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
