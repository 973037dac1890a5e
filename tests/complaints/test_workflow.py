"""The state machine table, and every illegal transition answered 409 over HTTP with nothing changed."""

from __future__ import annotations

from app.complaints.workflow import (
    ACTIVE,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    Actor,
    Branch,
    State,
    actions_in,
    allowed_actions,
    transition,
)
from app.identity.roles import Role
from tests.complaints.conftest import STREET_LIGHT, URBAN, assert_problem, detail, ok, snapshot, submit
from tests.conftest import STREET_ID


def test_table_shape() -> None:
    for state in TERMINAL:
        assert actions_in(state) == [], state
    for state in State:
        if state not in TERMINAL:
            assert actions_in(state), state
    for state in OPEN:
        assert transition(state, Action.withdraw) is not None
    for state in ACTIVE:
        assert transition(state, Action.note) is not None and transition(state, Action.add_info) is not None
    assert transition(State.pending_rating, Action.withdraw) is None
    assert all(r.actors for r in TRANSITIONS)


def test_branches() -> None:
    resolve = transition(State.in_progress, Action.resolve)
    assert resolve is not None
    assert resolve.next_state() is State.pending_rating
    assert resolve.next_state([Branch.needs_verification]) is State.pending_verification
    rate = transition(State.pending_rating, Action.rate)
    assert rate is not None and rate.next_state([Branch.unsatisfied]) is State.dispatched
    ret = transition(State.in_progress, Action.return_)
    assert ret is not None and ret.next_state([Branch.second_bounce]) is State.arbitration


def test_allowed_actions_depend_on_the_callers_relation() -> None:
    assert allowed_actions(State.pending, [Actor.owner]) == [Action.withdraw, Action.add_info]
    assert allowed_actions(State.pending, [Actor.dispatcher]) == [
        Action.accept,
        Action.reject,
        Action.merge,
        Action.note,
    ]
    assert allowed_actions(State.dispatched, [Actor.lead_unit]) == [Action.sign, Action.return_, Action.note]
    assert allowed_actions(State.closed, list(Actor)) == []


ENDPOINTS: dict[str, tuple[Action, dict]] = {
    "accept": (Action.accept, {}),
    "reject": (Action.reject, {"reason": "invalid"}),
    "dispatch": (Action.dispatch, {"lead": {"unit_type": "department", "unit_id": str(URBAN)}}),
    "arbitrate": (Action.arbitrate, {"lead": {"unit_type": "department", "unit_id": str(URBAN)}}),
    "redispatch": (Action.redispatch, {"lead": {"unit_type": "department", "unit_id": str(URBAN)}}),
    "sign": (Action.sign, {}),
    "return": (Action.return_, {"reason": "other", "text": "x"}),
    "resolve": (Action.resolve, {"result_text": "x"}),
    "verify": (Action.verify, {}),
    "send-back": (Action.send_back, {}),
    "rate": (Action.rate, {"solved": True, "satisfaction": "satisfied"}),
    "withdraw": (Action.withdraw, {}),
    "merge": (Action.merge, {"master_id": str(STREET_ID)}),
}


async def _sweep(client, session, actor, cid: str) -> None:  # type: ignore[no-untyped-def]
    """Try every action endpoint the current state does not offer: each must be 409 and change nothing."""
    current = await detail(client, actor, cid)
    state = State(current["state"])
    offered = set(actions_in(state))
    before = await snapshot(session, cid)
    tried = 0
    for path, (action, body) in ENDPOINTS.items():
        if action in offered:
            continue
        resp = await client.post(
            f"/api/v1/complaints/{cid}/{path}", json={"version": current["version"], **body}, headers=actor.headers
        )
        problem = assert_problem(resp, 409, "complaint.invalid_transition")
        assert problem["state"] == state.value and problem["action"] == action.value
        assert problem["allowed_actions"] == current["allowed_actions"]
        tried += 1
    if state in (State.closed,):
        for path in ("notes", "info"):
            resp = await client.post(f"/api/v1/complaints/{cid}/{path}", json={"text": "x"}, headers=actor.headers)
            assert_problem(resp, 409, "complaint.invalid_transition")
    assert tried > 0
    assert await snapshot(session, cid) == before


async def test_every_illegal_transition_is_409(client, session, make_actor, people) -> None:
    # One user who is everything at once, so that only the state can refuse.
    boss = await make_actor(
        (Role.street_dispatcher, STREET_ID),
        (Role.street_supervisor, STREET_ID),
        (Role.grid_worker, people.grid_id),
        (Role.department_handler, URBAN),
        nickname="全能",
    )
    cid = (await submit(client, boss, category_id=str(STREET_LIGHT)))["id"]
    await _sweep(client, session, boss, cid)  # pending
    await ok(client, boss, cid, "accept")
    await _sweep(client, session, boss, cid)  # accepted
    await ok(client, boss, cid, "dispatch", lead={"unit_type": "department", "unit_id": str(URBAN)})
    await _sweep(client, session, boss, cid)  # dispatched
    await ok(client, boss, cid, "return", reason="other", text="x")
    await _sweep(client, session, boss, cid)  # returned
    await ok(client, boss, cid, "dispatch", lead={"unit_type": "department", "unit_id": str(URBAN)})
    await ok(client, boss, cid, "return", reason="other", text="x")
    await _sweep(client, session, boss, cid)  # arbitration
    await ok(client, boss, cid, "arbitrate", lead={"unit_type": "department", "unit_id": str(URBAN)})
    await ok(client, boss, cid, "sign")
    await _sweep(client, session, boss, cid)  # in_progress
    await ok(client, boss, cid, "resolve", result_text="x")
    await _sweep(client, session, boss, cid)  # pending_verification
    await ok(client, boss, cid, "verify")
    await _sweep(client, session, boss, cid)  # pending_rating
    await ok(client, boss, cid, "rate", solved=True, satisfaction="satisfied")
    await _sweep(client, session, boss, cid)  # closed

    for final in ("reject", "withdraw"):
        other = (await submit(client, boss))["id"]
        await ok(client, boss, other, final, **({"reason": "invalid"} if final == "reject" else {}))
        await _sweep(client, session, boss, other)  # rejected / withdrawn
    dup = (await submit(client, boss))["id"]
    master = (await submit(client, boss))["id"]
    await ok(client, boss, dup, "merge", master_id=master)
    await _sweep(client, session, boss, dup)  # merged
