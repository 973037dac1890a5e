"""The complaint state machine: ONE table of (state, action, roles) → next state.

``roles`` are the caller's relations to the complaint (owner, dispatcher, lead unit ...), computed by
the service from the caller's role grants and the complaint's scope and assignments. A few actions have
more than one outcome; the table names the condition (``branches``) and the service says which hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.labels import labelled


class State(StrEnum):
    pending = "pending"  # 待受理
    accepted = "accepted"  # 已受理
    rejected = "rejected"  # 不予受理
    dispatched = "dispatched"  # 已派单
    in_progress = "in_progress"  # 办理中
    returned = "returned"  # 已退单，待重新派单
    arbitration = "arbitration"  # 退单两次，待街道督办员裁定
    pending_verification = "pending_verification"  # 已办结，待核查
    pending_rating = "pending_rating"  # 已办结，待评价
    closed = "closed"  # 已归档
    withdrawn = "withdrawn"  # 已撤回
    merged = "merged"  # 已合并到主诉求


STATE_TITLES: dict[State, str] = {
    State.pending: "待受理",
    State.accepted: "已受理",
    State.rejected: "不予受理",
    State.dispatched: "已派单",
    State.in_progress: "办理中",
    State.returned: "已退单",
    State.arbitration: "待裁定",
    State.pending_verification: "待核查",
    State.pending_rating: "待评价",
    State.closed: "已归档",
    State.withdrawn: "已撤回",
    State.merged: "已合并",
}


labelled(State, STATE_TITLES)


class Action(StrEnum):
    submit = "submit"  # 居民提交
    register = "register"  # 工作人员代登记
    resolve_on_spot = "resolve_on_spot"  # 格中办
    accept = "accept"  # 受理
    reject = "reject"  # 不予受理
    merge = "merge"  # 合并重复诉求
    dispatch = "dispatch"  # 派单
    arbitrate = "arbitrate"  # 督办员裁定后派单
    redispatch = "redispatch"  # 督办员改派
    sign = "sign"  # 签收
    return_ = "return"  # 退单
    resolve = "resolve"  # 办结
    verify = "verify"  # 核查通过
    send_back = "send_back"  # 核查不通过，退回重办
    rate = "rate"  # 评价
    auto_close = "auto_close"  # 超时未评价自动归档
    withdraw = "withdraw"  # 撤回
    note = "note"  # 工作人员进展备注
    add_info = "add_info"  # 居民补充信息


ACTION_TITLES: dict[Action, str] = {
    Action.submit: "提交诉求",
    Action.register: "代登记诉求",
    Action.resolve_on_spot: "格中办（现场办结）",
    Action.accept: "受理",
    Action.reject: "不予受理",
    Action.merge: "合并为重复诉求",
    Action.dispatch: "派单",
    Action.arbitrate: "裁定派单",
    Action.redispatch: "改派",
    Action.sign: "签收",
    Action.return_: "退单",
    Action.resolve: "办结",
    Action.verify: "核查通过",
    Action.send_back: "核查不通过",
    Action.rate: "评价",
    Action.auto_close: "自动归档",
    Action.withdraw: "撤回",
    Action.note: "进展备注",
    Action.add_info: "补充信息",
}


labelled(Action, ACTION_TITLES)


class Actor(StrEnum):
    """The caller's relation to one complaint."""

    owner = "owner"  # the resident the complaint belongs to
    follower = "follower"  # a resident whose duplicate was merged into it
    dispatcher = "dispatcher"  # street_dispatcher of the complaint's street
    supervisor = "supervisor"  # street_supervisor of the complaint's street
    lead_unit = "lead_unit"  # a member of the lead (主办) unit
    assist_unit = "assist_unit"  # a member of an assisting (协办) unit
    grid_verifier = "grid_verifier"  # grid worker of the complaint's grid
    grid_worker = "grid_worker"  # any grid worker (creation only: 格中办)
    staff = "staff"  # any staff member who may see the complaint
    system = "system"  # periodic jobs


class Branch(StrEnum):
    needs_verification = "needs_verification"  # the category requires 核查
    unsatisfied = "unsatisfied"  # rated 未解决 or 不满意 → 重办
    second_bounce = "second_bounce"  # the same unit returned it a second time
    no_resident = "no_resident"  # 格中办 without a resident account to rate it


@dataclass(frozen=True)
class Transition:
    source: State | None  # None: creates the complaint
    action: Action
    actors: frozenset[Actor]
    target: State | None  # None: the state does not change (notes)
    branches: tuple[tuple[Branch, State], ...] = field(default=())

    def next_state(self, conditions: Iterable[Branch] = ()) -> State | None:
        held = set(conditions)
        for branch, state in self.branches:
            if branch in held:
                return state
        return self.target


OPEN = (
    State.pending,
    State.accepted,
    State.returned,
    State.arbitration,
    State.dispatched,
    State.in_progress,
)  # before 办结: the resident may withdraw
ACTIVE = (*OPEN, State.pending_verification, State.pending_rating)  # notes and added information
TERMINAL = (State.rejected, State.closed, State.withdrawn, State.merged)
HANDLING = (State.dispatched, State.in_progress)
DISPATCH_QUEUE = (State.pending, State.accepted, State.returned, State.arbitration)

_STAFF_NOTE = frozenset(
    {Actor.dispatcher, Actor.supervisor, Actor.lead_unit, Actor.assist_unit, Actor.grid_verifier, Actor.staff}
)


def _rows() -> list[Transition]:
    t = Transition
    f = frozenset
    rows = [
        t(None, Action.submit, f({Actor.owner}), State.pending),
        t(None, Action.register, f({Actor.staff}), State.pending),
        t(
            None,
            Action.resolve_on_spot,
            f({Actor.grid_worker}),
            State.pending_rating,
            ((Branch.no_resident, State.closed),),
        ),
        t(State.pending, Action.accept, f({Actor.dispatcher}), State.accepted),
        t(State.pending, Action.reject, f({Actor.dispatcher}), State.rejected),
        t(State.accepted, Action.dispatch, f({Actor.dispatcher}), State.dispatched),
        t(State.returned, Action.dispatch, f({Actor.dispatcher}), State.dispatched),
        t(State.arbitration, Action.arbitrate, f({Actor.supervisor}), State.dispatched),
        t(State.dispatched, Action.sign, f({Actor.lead_unit}), State.in_progress),
        t(State.in_progress, Action.resolve, f({Actor.lead_unit}), State.pending_rating,
          ((Branch.needs_verification, State.pending_verification),)),
        t(State.pending_verification, Action.verify, f({Actor.grid_verifier, Actor.supervisor}), State.pending_rating),
        t(State.pending_verification, Action.send_back, f({Actor.grid_verifier, Actor.supervisor}), State.in_progress),
        t(State.pending_rating, Action.rate, f({Actor.owner}), State.closed, ((Branch.unsatisfied, State.dispatched),)),
        t(State.pending_rating, Action.auto_close, f({Actor.system}), State.closed),
    ]  # fmt: skip
    for s in HANDLING:
        rows.append(
            t(s, Action.return_, f({Actor.lead_unit}), State.returned, ((Branch.second_bounce, State.arbitration),))
        )
        rows.append(t(s, Action.redispatch, f({Actor.supervisor}), State.dispatched))
    for s in (State.pending, State.accepted, State.returned):
        rows.append(t(s, Action.merge, f({Actor.dispatcher}), State.merged))
    for s in OPEN:
        rows.append(t(s, Action.withdraw, f({Actor.owner}), State.withdrawn))
    for s in ACTIVE:
        rows.append(t(s, Action.note, _STAFF_NOTE, None))
        rows.append(t(s, Action.add_info, f({Actor.owner, Actor.follower}), None))
    return rows


TRANSITIONS: tuple[Transition, ...] = tuple(_rows())
_BY_KEY: dict[tuple[State | None, Action], Transition] = {(r.source, r.action): r for r in TRANSITIONS}
assert len(_BY_KEY) == len(TRANSITIONS), "duplicate (state, action) in the workflow table"


def transition(state: State | None, action: Action) -> Transition | None:
    return _BY_KEY.get((state, action))


def actions_in(state: State) -> list[Action]:
    return [r.action for r in TRANSITIONS if r.source == state]


def allowed_actions(state: State, actors: Iterable[Actor]) -> list[Action]:
    """What the caller may do now: the buttons the front end renders."""
    held = set(actors)
    return [r.action for r in TRANSITIONS if r.source == state and r.actors & held]
