"""Load generators for ``bench/hot_paths.py``: wrk when it is installed, else an asyncio + httpx loop.

A ``Target`` says how to build the n-th request (method, path, body), so that write paths can hand
every request its own complaint id or ledger reference. Both generators report requests per second,
p50 / p99 latency and how many answers were not 2xx.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Target:
    name: str
    method: str
    # The n-th request (0-based) goes to paths[n % len(paths)]; a body is JSON text or None.
    paths: list[str]
    token: str | None = None
    body: str | None = None
    # "{n}" in the body is replaced by a per-request unique number (ledger references).
    unique_body: bool = False
    # Requests beyond len(paths) repeat the last path (a write pool that ran dry answers 409: counted).
    cycle: bool = True


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    not_2xx: int
    errors: int


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "python (asyncio + httpx)"


def run(base_url: str, target: Target, seconds: float, connections: int, run_id: str) -> Result:
    if shutil.which("wrk"):
        return _wrk(base_url, target, seconds, connections, run_id)
    return asyncio.run(_python(base_url, target, seconds, connections, run_id))


# ---- wrk ---------------------------------------------------------------------------------------

_LUA = """
local paths = {%(paths)s}
local method = %(method)s
local body = %(body)s
local unique = %(unique)s
local cycle = %(cycle)s
local headers = {%(headers)s}
local threads = 0
local counter = 0
local nthreads = %(threads)d
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  local n = tid + counter * nthreads
  counter = counter + 1
  local i
  if cycle then i = (n %% #paths) + 1 else i = math.min(n + 1, #paths) end
  local b = body
  if b ~= nil and unique then b = string.gsub(b, "{n}", "%(run)s-" .. n) end
  return wrk.format(method, paths[i], headers, b)
end
"""


def _wrk(base_url: str, target: Target, seconds: float, connections: int, run_id: str) -> Result:
    threads = 2
    headers = ['["Content-Type"] = "application/json"']
    if target.token:
        headers.append(f'["Authorization"] = "Bearer {target.token}"')
    script = _LUA % {
        "paths": ", ".join(json.dumps(p) for p in target.paths),
        "method": json.dumps(target.method),
        # JSON text as a Lua string: wrk sends the bytes as they are (UTF-8 is fine inside a Lua string).
        "body": "[==[" + target.body + "]==]" if target.body is not None else "nil",
        "unique": "true" if target.unique_body else "false",
        "cycle": "true" if target.cycle else "false",
        "headers": ", ".join(headers),
        "threads": threads,
        "run": run_id,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
        lua = f.name
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
        out = subprocess.run(
            [*cmd, "-s", lua, base_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(lua).unlink(missing_ok=True)
    return _parse_wrk(out)


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(f"unexpected wrk latency {value!r}")
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[m.group(2)]
    return float(m.group(1)) * factor


def _parse_wrk(out: str) -> Result:
    def find(pattern: str, default: str | None = None) -> str:
        m = re.search(pattern, out)
        if m:
            return m.group(1)
        if default is None:
            raise ValueError(f"wrk output without {pattern!r}:\n{out}")
        return default

    errors = find(r"Socket errors: (.*)", "")
    return Result(
        rps=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\s50%\s+(\S+)")),
        p99_ms=_ms(find(r"\s99%\s+(\S+)")),
        requests=int(find(r"(\d+) requests in")),
        not_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        errors=sum(int(x) for x in re.findall(r"\d+", errors)),
    )


# ---- python fallback -----------------------------------------------------------------------------


async def _python(base_url: str, target: Target, seconds: float, connections: int, run_id: str) -> Result:
    headers = {"Content-Type": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    latencies: list[float] = []
    not_2xx = 0
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    def next_request() -> tuple[str, str | None]:
        nonlocal counter
        n = counter
        counter += 1
        path = target.paths[n % len(target.paths)] if target.cycle else target.paths[min(n, len(target.paths) - 1)]
        body = target.body
        if body is not None and target.unique_body:
            body = body.replace("{n}", f"{run_id}-{n}")
        return path, body

    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal not_2xx, errors
            while time.perf_counter() < deadline:
                path, body = next_request()
                started = time.perf_counter()
                try:
                    response = await client.request(target.method, path, content=body)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= response.status_code < 300:
                    not_2xx += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=p99,
        requests=len(latencies) + errors,
        not_2xx=not_2xx,
        errors=errors,
    )
