"""`jincheng hotline simulate --calls N`: realistic calls through the real signed API (demos and load).

Every call runs the agent's routine: look the caller up; if they have an open ticket, add to it (首接负责,
no duplicate), else file a new ticket. About one caller in six calls again; now and then the hotline's
network drops an answer and it sends the same ticket again (which must answer the same complaint).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from app.core.clock import Clock
from app.integrations.api import headers_for

API = "/api/v1/integrations/hotline"

# (hotline category code, what callers say); codes without a mapping land in 咨询, flagged.
CALLS: tuple[tuple[str, str], ...] = (
    ("HL-LIGHT", "{place}楼道路灯坏了好几天，晚上看不见路"),
    ("HL-NOISE", "{place}楼上装修噪音太大，中午也不停"),
    ("HL-PARK", "{place}门口乱停车，消防通道被堵"),
    ("HL-WATER", "{place}停水一天了，也没有通知"),
    ("HL-TRASH", "{place}垃圾桶满了没人清运，气味很大"),
    ("HL-ROAD", "{place}路面塌陷一个坑，电动车容易摔"),
    ("HL-ASK", "想咨询{place}老旧小区改造什么时候开始"),
)
PLACES = ("洗河花园", "金华小区", "兴东小区", "金城路", "红星东路", "古槐路")
SURNAMES = "王李张刘陈杨赵黄周吴"


@dataclass
class SimulationReport:
    calls: int = 0
    filed: int = 0
    repeat_calls: int = 0
    resent: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    tickets: list[str] = field(default_factory=list)


class SignedClient:
    def __init__(self, http: httpx.AsyncClient, client_id: uuid.UUID, secret: str, clock: Clock) -> None:
        self.http, self.client_id, self.secret, self.clock = http, client_id, secret, clock

    async def post(self, path: str, payload: Mapping[str, object]) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False)
        headers = headers_for([self.secret], f"msg_{uuid.uuid4().hex}", self.clock.now(), body)
        headers["X-Client-Id"] = str(self.client_id)
        return await self.http.post(f"{API}{path}", content=body.encode(), headers=headers)


async def simulate(
    signed: SignedClient, calls: int, *, seed: int = 1890, prefix: str | None = None
) -> SimulationReport:
    rng = random.Random(seed)  # noqa: S311 - made-up demo data
    prefix = prefix or f"SIM{signed.clock.now():%m%d%H%M%S}"
    callers = [f"139{rng.randrange(10**8):08d}" for _ in range(max(1, calls * 5 // 6))]
    report = SimulationReport()
    started = time.perf_counter()
    for n in range(1, calls + 1):
        phone = rng.choice(callers)
        agent = f"A{rng.randrange(1, 30):03d}"
        found = await signed.post("/callers/lookup", {"phone": phone, "agent_id": agent})
        report.calls += 1
        if found.status_code != 200:
            report.failures.append(f"lookup {found.status_code}")
            continue
        open_ = found.json()["open"]
        if open_:
            tn = open_[0]["ticket_number"]
            resp = await signed.post(f"/tickets/{tn}/info", {"agent_id": agent, "text": "来电人再次来电催促处理"})
            report.repeat_calls += 1
        else:
            code, words = rng.choice(CALLS)
            body: dict[str, object] = {
                "ticket_number": f"{prefix}-{n:05d}",
                "call_time": signed.clock.now().isoformat(),
                "agent_id": agent,
                "caller_phone": phone,
                "caller_name": rng.choice(SURNAMES) + "先生",
                "category_code": code,
                "description": words.format(place=rng.choice(PLACES)),
                "urgency": "urgent" if rng.random() < 0.1 else "normal",
            }
            resp = await signed.post("/tickets", body)
            if resp.status_code == 200:
                report.filed += 1
                report.tickets.append(str(body["ticket_number"]))
                if rng.random() < 0.05:  # the answer got lost: the hotline sends the same ticket again
                    again = await signed.post("/tickets", body)
                    report.resent += 1
                    if again.status_code != 200 or again.json()["complaint_id"] != resp.json()["complaint_id"]:
                        report.failures.append(f"resend {again.status_code}")
        if resp.status_code != 200:
            report.failures.append(f"{resp.request.url.path} {resp.status_code}")
    report.seconds = time.perf_counter() - started
    return report
