"""Statements per write request: submit, accept and post income, counted in process on the hot-path bench
database (seeded by ``bench/hot_paths.py`` under ./var/bench), with the CPU of each request.

    .venv/bin/python bench/write_statements.py [--requests 20] [--show] [--tree DIR]

``--show`` prints the statements of the first measured request of each path; ``--tree`` runs another source
tree (e.g. ``git archive main | tar -x -C DIR``) for an A/B. BEGIN and COMMIT are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


async def run(args: argparse.Namespace) -> None:
    from sqlalchemy import Engine, event
    from sqlalchemy.engine import make_url

    from app.core.embedded_pg import embedded_server_uri, to_asyncpg_url

    url = to_asyncpg_url(embedded_server_uri(ROOT / "var" / "bench"))
    os.environ["JINCHENG_DATABASE_URL"] = make_url(url).set(database="jc_hot_paths").render_as_string(False)
    os.environ |= {"JINCHENG_LOG_LEVEL": "WARNING", "JINCHENG_RUN_WORKER_IN_PROCESS": "false", "JINCHENG_ENV": "dev"}
    os.environ["JINCHENG_RATE_LIMIT_COMPLAINT_SUBMIT"] = "10000000/hour"

    import httpx

    from app.complaints.seed import category_id
    from app.core.security import issue_access_token
    from app.core.settings import Settings
    from app.main import create_app
    from bench.volume_seed import DISPATCHER, MANAGER, RESIDENT, STREET_ID, fund_compounds

    seen: list[str] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        seen.append(" ".join(statement.split()))

    settings = Settings()
    app = create_app(settings)
    tokens = {
        who: issue_access_token(settings, uid, 1) for who, uid in (("r", RESIDENT), ("d", DISPATCHER), ("m", MANAGER))
    }
    compound = fund_compounds(1)[0]
    body = {
        "category_id": str(category_id(STREET_ID, "municipal.street_light")),
        "description": "statements: 小区门口路灯不亮，晚上出行不便。",
        "location": {"compound_id": str(compound)},
    }

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            submitted: list[str] = []

            async def one(path: str, n: int) -> httpx.Response:
                if path == "submit":
                    r = await client.post("/api/v1/complaints", json=body, headers=auth("r"))
                    submitted.append(r.json().get("id", ""))
                    return r
                if path == "accept":
                    cid = submitted[n]
                    return await client.post(f"/api/v1/complaints/{cid}/accept", json={"version": 1}, headers=auth("d"))
                income = {"kind": "parking_fee", "amount_fen": 12_345, "reference": f"ST-{uuid.uuid4().hex}"}
                return await client.post(f"/api/v1/trustfunds/{compound}/incomes", json=income, headers=auth("m"))

            for path in ("submit", "accept", "income"):  # warm-up: compiled statements, caches
                for n in range(3):
                    assert (await one(path, n)).status_code < 300
            submitted.clear()
            for path in ("submit", "accept", "income"):
                counts, cpu = [], []
                for n in range(args.requests):
                    seen.clear()
                    started = time.process_time()
                    r = await one(path, n)
                    cpu.append(1000 * (time.process_time() - started))
                    if r.status_code >= 300:
                        raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:300]}")
                    counts.append(len(seen))
                    if args.show and n == 0:
                        print(f"--- {path}")
                        for s in seen:
                            print("   ", s[:140])
                print(f"{path:7} statements {statistics.median(counts):3.0f}   CPU (client + server, in process) "
                      f"median {statistics.median(cpu):6.2f} ms")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--tree", help="another source tree to import the app from")
    ns = parser.parse_args()
    sys.path.insert(0, str(Path(ns.tree).resolve() if ns.tree else ROOT))
    asyncio.run(run(ns))
