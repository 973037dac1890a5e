"""督办 rules, gathered for the SLA router, jobs and tests. Each lives in a module of one purpose:
``policies`` (time limits per category), ``stage_clocks`` (the clocks behind every complaint, moved by
``app.sla.subscribers`` on each ``ComplaintChanged``, and what a complaint shows of them), ``adjustments``
(pause, urgency, 延期) and ``supervision`` (the scan raising 催办/督办, manual 督办 and replies).
"""

from __future__ import annotations

from app.sla.adjustments import decide_extension, pause, request_extension, resume, set_urgency
from app.sla.policies import (
    COMMUNITY_ROLES,
    DETAIL_PAGE,
    HEAD_ROLES,
    MANUAL_REPLY_WORKING_DAYS,
    MAX_EXTENSION_DAYS,
    POLICY_READ_ROLES,
    STAGE_TITLES,
    STREET_ROLES,
    calendar_for,
    limits_for,
    list_policies,
    log,
    policy_out,
    put_policy,
)
from app.sla.stage_clocks import extension_out, on_complaint_event, sla_view, sync_complaint
from app.sla.supervision import list_supervisions, open_supervision, reply, scan

__all__ = [
    "COMMUNITY_ROLES",
    "DETAIL_PAGE",
    "HEAD_ROLES",
    "MANUAL_REPLY_WORKING_DAYS",
    "MAX_EXTENSION_DAYS",
    "POLICY_READ_ROLES",
    "STAGE_TITLES",
    "STREET_ROLES",
    "calendar_for",
    "decide_extension",
    "extension_out",
    "limits_for",
    "list_policies",
    "list_supervisions",
    "log",
    "on_complaint_event",
    "open_supervision",
    "pause",
    "policy_out",
    "put_policy",
    "reply",
    "request_extension",
    "resume",
    "scan",
    "set_urgency",
    "sla_view",
    "sync_complaint",
]
