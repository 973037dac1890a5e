"""Notification events. Those with a WeChat template configured also go out as subscribe messages."""

from __future__ import annotations

from enum import StrEnum

from app.core.labels import labelled


class NotifyEvent(StrEnum):
    # Residents hear about their complaint.
    complaint_accepted = "complaint_accepted"  # 受理
    complaint_rejected = "complaint_rejected"  # 不予受理
    complaint_dispatched = "complaint_dispatched"  # 派单
    complaint_resolved = "complaint_resolved"  # 办结（请评价）
    complaint_reopened = "complaint_reopened"  # 重办
    complaint_extended = "complaint_extended"  # 延期
    # Handlers hear about their tasks.
    task_dispatched = "task_dispatched"  # 新派单
    task_reminded = "task_reminded"  # 催办
    task_supervised = "task_supervised"  # 督办
    # Volunteers hear about their activities (金小蜂).
    volunteer_reminder_24h = "volunteer_reminder_24h"  # 活动前 24 小时提醒
    volunteer_reminder_2h = "volunteer_reminder_2h"  # 活动前 2 小时提醒
    volunteer_promoted = "volunteer_promoted"  # 候补转正 / 递补待确认
    volunteer_checkout_forgotten = "volunteer_checkout_forgotten"  # 忘记签退


labelled(
    NotifyEvent,
    {
        "complaint_accepted": "诉求已受理",
        "complaint_rejected": "诉求不予受理",
        "complaint_dispatched": "诉求已派单",
        "complaint_resolved": "诉求已办结（请评价）",
        "complaint_reopened": "诉求重办",
        "complaint_extended": "诉求延期",
        "task_dispatched": "新派单",
        "task_reminded": "催办",
        "task_supervised": "督办",
        "volunteer_reminder_24h": "志愿活动前 24 小时提醒",
        "volunteer_reminder_2h": "志愿活动前 2 小时提醒",
        "volunteer_promoted": "候补转正或递补待确认",
        "volunteer_checkout_forgotten": "忘记签退提醒",
    },
)

SUBSCRIBE_KIND = "wechat.subscribe"
