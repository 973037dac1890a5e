"""A fake 1890 hotline for dev and tests, spoken to over real HTTP so the real webhook sender runs.

``POST /webhooks`` receives our status callbacks. It verifies the Standard Webhooks signature (with
``state.secrets``, or the secrets ``state.load_secrets()`` returns) on ``state.clock``, drops a
``webhook-id`` it has seen, and applies an event to its view of the ticket only when its ``seq`` is higher
than the one it holds (an older event's timeline entry is still kept, so nothing is lost).

``state.mode`` tells it how to answer: ``ok`` (204), ``500``, ``429`` (``Retry-After: state.retry_after``),
``410``, or ``down`` (503, as an unreachable call centre behind its gateway). ``GET /view`` shows the
recorded view; ``PUT /mode`` switches the mode over HTTP (for ``make run``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field

from app.core.clock import Clock, SystemClock
from app.integrations import api as signing

MODES = ("ok", "500", "429", "410", "down")


@dataclass
class TicketView:
    state: str
    state_title: str
    seq: int
    number: str
    timeline: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq → the entry it carried

    def ordered_timeline(self) -> list[dict[str, Any]]:
        return [self.timeline[s] for s in sorted(self.timeline)]


@dataclass
class FakeHotlineState:
    clock: Clock = field(default_factory=SystemClock)
    secrets: list[str] = field(default_factory=list)
    load_secrets: Callable[[], Awaitable[list[str]]] | None = None
    mode: str = "ok"
    retry_after: int = 30
    seen_ids: set[str] = field(default_factory=set)
    tickets: dict[str, TicketView] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)  # every accepted delivery, in arrival order
    stale: int = 0  # deliveries whose seq was not newer than the view (kept in the timeline, not applied)
    duplicates: int = 0
    refused: int = 0  # bad or missing signatures
    answered: dict[str, int] = field(default_factory=dict)  # status → count

    def reset(self) -> None:
        self.mode = "ok"
        self.seen_ids.clear()
        self.tickets.clear()
        self.received.clear()
        self.answered.clear()
        self.stale = self.duplicates = self.refused = 0

    def apply(self, msg_id: str, event: dict[str, Any]) -> None:
        data = event["data"]
        view = self.tickets.get(data["ticket_number"])
        seq = int(data["seq"])
        if view is None:
            view = self.tickets[data["ticket_number"]] = TicketView("", "", 0, data["number"])
        for entry in data.get("timeline", []):
            view.timeline[seq] = entry
        if seq <= view.seq:
            self.stale += 1
        else:
            view.state, view.state_title, view.seq = data["state"], data["state_title"], seq
        self.received.append({"webhook_id": msg_id, **event})


class FakeHotlineMode(BaseModel):
    mode: str = Field(pattern="^(ok|500|429|410|down)$")
    retry_after: int = Field(default=30, ge=0, le=86400)


def create_fake_hotline(state: FakeHotlineState | None = None) -> FastAPI:
    app = FastAPI(title="fake 1890 hotline", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.fake = state = state or FakeHotlineState()

    def count(status: int) -> Response:
        state.answered[str(status)] = state.answered.get(str(status), 0) + 1
        headers = {"Retry-After": str(state.retry_after)} if status == 429 else None
        return Response(status_code=status, headers=headers)

    @app.post("/webhooks")
    async def webhooks(request: Request) -> Response:
        if state.mode == "down":
            return count(503)
        body = (await request.body()).decode()
        keys = list(state.secrets) + (await state.load_secrets() if state.load_secrets else [])
        try:
            signed = signing.read_headers(request.headers, state.clock.now())
        except signing.SignatureProblem:
            state.refused += 1
            return count(401)
        if not signing.verify(keys, signed, body):
            state.refused += 1
            return count(401)
        if state.mode != "ok":
            return count(int(state.mode))
        if signed.msg_id in state.seen_ids:
            state.duplicates += 1
            return count(204)
        state.seen_ids.add(signed.msg_id)
        state.apply(signed.msg_id, await request.json())
        return count(204)

    @app.get("/view")
    async def view() -> dict[str, Any]:
        return {
            "mode": state.mode,
            "tickets": {
                k: {
                    "state": v.state,
                    "seq": v.seq,
                    "number": v.number,
                    "timeline": [v.timeline[s] for s in sorted(v.timeline)],
                }
                for k, v in state.tickets.items()
            },
            "received": len(state.received),
            "stale": state.stale,
            "duplicates": state.duplicates,
            "refused": state.refused,
        }

    @app.put("/mode")
    async def set_mode(body: FakeHotlineMode) -> dict[str, Any]:
        state.mode, state.retry_after = body.mode, body.retry_after
        return {"mode": state.mode}

    return app


def fake_state(app: FastAPI) -> FakeHotlineState:
    state: FakeHotlineState = app.state.fake
    return state
