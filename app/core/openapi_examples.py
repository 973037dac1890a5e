"""An example on every component schema of the document, so a front-end team sees a filled-in body for each
request and response (Redoc, Swagger UI and the generated clients' docs show them).

A schema that declares its own ``examples`` keeps them. Every other object schema gets one example, composed
from its fields: a field's own ``examples``, its enum's first value (with the matching Chinese label in the
``*_title`` / ``*_label`` field next to it), the example of the schema it refers to, or a realistic value from
the vocabulary below. tests/core/test_openapi_rules.py validates every example against its schema and checks
that the mini-program's request and response schemas all have one.

The vocabulary follows the document's conventions: UUIDs are valid and stable (one per kind of id, so an
``id`` in ``ComplaintOut`` equals the ``complaint_id`` elsewhere); money is integer fen; instants are UTC
(``01:30Z`` is 09:30 北京时间, inside office hours); coordinates are GCJ-02 in 金城街道; free text never
names a household (no 栋/单元/室 label), so examples do not teach clients to defeat payer masking.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from app.core.labels import ENUM_LABELS

_NAMESPACE = uuid.UUID("5b0c3a52-9d1e-4c6f-8a40-1f2d3e4c5b6a")
_UNSET: Any = object()

# Values by field name; "Schema.field" entries win over plain field names.
_BY_FIELD: dict[str, Any] = {
    # identity and contact
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI…",
    "refresh_token": "rt_3q2vX9kLw8ZpN4cQ…",
    "token_type": "bearer",
    "avatar_url": "https://thirdwx.qlogo.cn/mmopen/vi_32/avatar/132",
    "username": "jc_wangli",
    "nickname": "小金",
    "real_name": "王丽",
    "person_name": "李*",
    "contact_name": "张大爷",
    "contact_phone": "138****5678",
    "phone": "0537-3210000",
    "author": "张*",
    "contributor_name": "济宁金城商贸有限公司",
    "organiser_name": "金城街道社区服务中心",
    "street_name": "金城街道",
    "team_name": "金小蜂·银龄志愿服务队",
    "unit_name": "金城街道城管中队",
    # complaints
    "category_name": "路灯不亮",
    "category_code": "streetlight",
    "hotline_code": "0103",
    "number": "JC202603020007",
    "ticket_number": "1890-20260302-0042",
    "description": "小区东门外路灯连续三晚不亮，老人晚上出门不方便。",
    "excerpt": "小区东门外路灯连续三晚不亮，老人晚上出门不方便。",
    "result_text": "已更换东门外两盏路灯灯泡，经夜间查看恢复照明。",
    "resolution": "已在月度公示中补充该笔支出的合同与发票。",
    "reply": "感谢您的评价，欢迎再来。",
    "reply_text": "已联系施工单位，三个工作日内整改完毕。",
    "instructions": "请于两个工作日内回复整改进度。",
    "pause_reason": "等待居民补充照片",
    "decision_note": "同意延期，需更换的零件已订购。",
    "note": "请于两个工作日内处理",
    "ApprovalOut.note": "凭证齐全，同意支出",
    "OverrideOut.note": "2027年春节",
    "YearOut.note": "依据国务院办公厅2027年节假日安排通知录入",
    "reason": "需协调供电公司，延长办理时限",
    "reject_reason": "凭证金额与合同不符",
    "review_note": "资质齐全，同意入驻",
    "hidden_reason": "含有人身攻击内容",
    "revoked_reason": "服务记录录入有误，重新开具",
    "zero_reason": "未签到",
    "message": "我退休前是电工，想参加义务维修。",
    "body": "建议增加电梯维保预算",
    "text": "街道已受理，派至城管中队办理",
    "msg": "字段必填",
    "FieldError.loc": ["body", "description"],
    "FieldError.type": "missing",
    "ImportRowOut.errors": [],
    "licence_images": ["https://img.jincheng.example.cn/merchants/licence.jpg"],
    "CommunityEventIn.organiser_name": "金城街道社区服务中心",
    "state": "in_progress",
    "state_title": "办理中",
    "working_hours": "08:30-12:00,13:30-17:30",
    # trust fund, community fund
    "payer": "业主（已隐去房号）",
    "payee": "济宁鲁源电梯维修有限公司",
    "memo": "2026 年第一季度认捐",
    "reference": "银行流水号 20260302153012",
    "purpose": "为老年食堂添置保温餐车",
    "project": "金城社区老年食堂",
    "service_standards": "保洁每日两次；绿化每月修剪；秩序维护 24 小时值守。",
    "rounding_rule": "按分四舍五入",
    "head_hash": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
    "ledger_hash": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
    "chain_head": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
    "normal_balance": "debit",
    "AccountOut.code": "1002",
    "AccountOut.name": "银行存款",
    "category": "repairs",
    "category_title": "维修",
    "TransactionOut.category": "property_fee",
    "TransactionOut.category_title": "物业费",
    "TransactionDetailOut.category": "property_fee",
    "TransactionDetailOut.category_title": "物业费",
    "TransactionOut.payee": None,
    "TransactionDetailOut.payee": None,
    "HouseholdBindingOut.reason": None,  # the rejection reason; the example is still pending
    "BindingRequestOut.reason": None,
    "BudgetLineOut.direction": "expense",
    "ExecutionLineOut.direction": "expense",
    "remuneration_fen": 12_000,
    "fund_amount_fen": 108_000,
    "approvals": 1,
    "VolunteerFigureRow.label": "2026年3月",
    "StatsRow.key": "mini_program",
    "StatsRow.name": "小程序",
    # complaint figures of one month (StatsRow / StatsFigures), consistent with each other
    "volume": 128,
    "dispatched": 120,
    "returned": 4,
    "on_spot": 8,
    "sign_ok": 110,
    "sign_late": 10,
    "sign_overdue_unsigned": 0,
    "resolve_ok": 100,
    "resolve_late": 12,
    "overdue_now": 2,
    "rated": 90,
    "solved": 85,
    "satisfied": 84,
    "handled": 112,
    "handling_seconds": 3_628_800,
    "histogram_edges_hours": [4, 8, 24, 72],
    "handling_histogram": [40, 30, 25, 12, 5],
    "confirmed": 18,
    "confirmed_count": 18,
    "waitlisted": 0,
    "BudgetLineIn.name": "公共设施维修",
    "BudgetLineOut.name": "公共设施维修",
    "ExecutionLineOut.name": "公共设施维修",
    "StatementLine.title": "电梯年度维保",
    # merchants, events, volunteers
    "name": "金城街道",
    "MerchantDetail.name": "金城老街煎饼铺",
    "MerchantOut.name": "金城老街煎饼铺",
    "MerchantListItem.name": "金城老街煎饼铺",
    "CommunityFundVoucher.name": "捐赠收据.pdf",
    "VolunteerTeamOut.name": "金小蜂·银龄志愿服务队",
    "VolunteerProjectOut.name": "邻里义务维修",
    "address": "济宁市任城区金城街道古槐路 88 号",
    "credit_code": "91370811MA3C0X1234",
    "food_permit_no": "JY23708110012345",
    "opening_hours": "mon-fri 07:00-19:00; sat-sun 08:00-14:00",
    "opening_hours_display": "周一至周五 07:00-19:00，周六周日 08:00-14:00",
    "opens": "07:00",
    "closes": "19:00",
    "photo": "https://img.jincheng.example.cn/merchants/shopfront.jpg",
    "place": "金城街道社区服务中心二楼活动室",
    "title": "周末义务理发",
    "OfferOut.title": "开业满 30 减 5",
    "CommunityEventOut.title": "金城邻里节·城市集市",
    "offer_title": "开业满 30 减 5",
    "terms": "每人限领一张，到店消费满 30 元可用",
    "code": "K7Q2M9",
    "use_request_no": "REQ-20260302-0001",
    "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=8",
    "service_content": "周末义务理发，共 8 次",
    "qr_svg": "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 29 29'>…</svg>",
    "label": "金小蜂·银龄志愿服务队",
    "key": "2026-03",
    "target_type": "complaint",
    "url": "https://img.jincheng.example.cn/communityfund/receipt.pdf",
    # the shape photos.py signs: /complaint-photos/{id}/thumbnail?expires=&viewer=&signature=
    "thumbnail_url": "https://jincheng.example.cn/api/v1/complaint-photos/0b6f4a52-3c9d-4e8f-9a1b-2c3d4e5f6a7b"
    "/thumbnail?expires=1796263200&viewer=3d6f0a2b1c4e4f5a8b7c9d0e1f2a3b4c&signature=Zx8c0aQ2v7L1m3N5p9R4t6Y8w0E2r4T6",
    "TimelineEventOut.to_state": "dispatched",
    "last_error": None,
    "cursor": "eyJzZXEiOjQyfQ",
    "next_cursor": None,
    "request_id": "7f3e2a9c4b1d4e8f",
    # numbers that are not amounts or counts
    "year": 2026,
    "level": 1,
    "floors": 18,
    "seq": 42,
    "ledger_seq": 42,
    "line": 3,
    "version": 1,
    "width": 1440,
    "height": 1080,
    "size_bytes": 245_760,
    "stars": 5,
    "rating": 5,
    "capacity": 30,
    "places_left": 12,
    "per_user_limit": 1,
    "stock_total": 200,
    "stock_left": 143,
    "radius_m": 200,
    "distance_m": 350,
    "points": 20,
    "points_balance": 120,
    "points_cost": 50,
    "waitlist_position": None,
    "extension_days": 3,
    "working_days": 5,
    "approvals_required": 2,
    "reopen_count": 0,
    "bounce_count": 0,
    "attempts": 1,
    "latitude": 35.4147,
    "lat": 35.4147,
    "longitude": 116.5872,
    "lng": 116.5872,
    "cancel_window_hours": 24,
}

# Free text by the schema's domain (the first matching name prefix), so a fund entry does not read like a
# complaint: field → (schema name prefix → text).
_TEXTS: dict[str, dict[str, str]] = {
    "description": {
        "Transaction": "2026 年 3 月物业费",
        "Volunteer": "为行动不便的老人上门义务理发，工具由服务队准备。",
        "CommunityEvent": "本地商户与手艺人摆摊，居民现场选购，设亲子游戏区。",
        "Merchant": "现做煎饼果子、豆浆油条，支持电话预订。",
        "": "小区东门外路灯连续三晚不亮，老人晚上出门不方便。",
    },
    "reason": {
        "SettingChange": "业委会决议：双签门槛调整为 5000 元",
        "VolunteerBackfill": "活动当天手机没电，补录签到",
        "": "需协调供电公司，延长办理时限",
    },
}


def _text(owner: str, field: str) -> str | None:
    by_prefix = _TEXTS.get(field)
    if by_prefix is None:
        return None
    return next(text for prefix, text in by_prefix.items() if owner.startswith(prefix))


# Fields whose realistic value in an ordinary example is null (the thing has not happened).
_NULL_FIELDS = frozenset(
    {
        "merged_into_id",
        "revoked_at",
        "revoked_reason",
        "hidden_reason",
        "hidden_at",
        "reject_reason",
        "rejected_at",
        "last_error",
        "first_bad_seq",
        "first_bad_entry_id",
        "first_bad_transaction_id",
        "pause_reason",
        "pending_extension",
        "waitlist_position",
        "next_cursor",
        "read_at",
        "redeemed_at",
        "checked_out_at",
        "zero_reason",
        "parent_id",
        "suggested_assignment",
        # later events: the examples show things in their first state (the enum's first value)
        "decided_at",
        "decided_by",
        "decision_note",
        "replied_at",
        "replied_by",
        "reply_text",
        "resolved_at",
        "resolution",
        "delivered_at",
        "approved_at",
        "closed_at",
        "new_due_at",
    }
)

# Instants (UTC) by field name; anything else ending in `_at` gets _INSTANT.
_INSTANT = "2026-03-02T01:30:00Z"  # 09:30 北京时间, a Monday
_INSTANTS = {
    "updated_at": "2026-03-02T02:05:00Z",
    "due_at": "2026-03-09T09:30:00Z",
    "reply_due_at": "2026-03-04T09:30:00Z",
    "expires_at": "2026-03-02T01:40:00Z",
    "valid_until": "2026-12-31T15:59:59Z",
    "offer_expires_at": "2026-12-31T15:59:59Z",
    "comment_until": "2026-03-09T01:30:00Z",
    "starts_at": "2026-03-07T01:00:00Z",
    "first_start": "2026-03-07T01:00:00Z",
    "ends_at": "2026-03-07T03:00:00Z",
    "signup_deadline": "2026-03-06T10:00:00Z",
    "period_start": "2026-02-28T16:00:00Z",
    "period_end": "2026-03-31T16:00:00Z",
    "as_of": "2026-03-02T01:30:00Z",
}
_DATES = {
    "period_from": "2026-03-01",
    "period_to": "2026-04-01",
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "statement_date": "2026-03-31",
}
_DATE = "2026-03-02"


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _snake(name: str) -> str:
    for suffix in ("ListItem", "Summary", "Detail", "Brief", "Page", "Out", "In", "Hit"):
        if name.endswith(suffix) and name != suffix:
            name = name.removesuffix(suffix)
            break
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def stable_uuid(kind: str) -> str:
    """One valid UUID per kind of id (`complaint_id`, `user_id`…), the same wherever it appears."""
    return str(uuid.uuid5(_NAMESPACE, kind))


class _Builder:
    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components
        self.done: dict[str, Any] = {}
        self.building: set[str] = set()

    def for_component(self, name: str) -> Any:
        if name in self.done:
            return self.done[name]
        schema = self.components[name]
        if schema.get("examples"):
            return schema["examples"][0]
        if name in self.building:  # a recursive tree (category children): stop one level down
            return _UNSET
        self.building.add(name)
        try:
            value = self.value(schema, name, name)
        finally:
            self.building.discard(name)
        self.done[name] = value
        return value

    def value(self, node: dict[str, Any], field: str, owner: str) -> Any:
        if node.get("examples"):
            return node["examples"][0]
        if "example" in node:
            return node["example"]
        if f"{owner}.{field}" in _BY_FIELD:
            return _BY_FIELD[f"{owner}.{field}"]
        text = _text(owner, field)
        if text is not None:
            return text
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            return node["enum"][0]
        ref = _ref_name(node)
        if ref is not None:
            return self.for_component(ref)
        for key in ("anyOf", "oneOf"):
            if key in node:
                branches = [b for b in node[key] if b.get("type") != "null"]
                if len(branches) < len(node[key]) and field in _NULL_FIELDS:
                    return None
                return self.value(branches[0], field, owner) if branches else None
        if field in _BY_FIELD:
            return _BY_FIELD[field]
        kind = node.get("type")
        if kind == "object":
            return self.object(node, owner)
        if kind == "array":
            item = self.value(node.get("items", {}), field.removesuffix("s"), owner)
            return [] if item is _UNSET else [item] * max(1, node.get("minItems", 1))
        if kind == "string":
            return self.string(node, field, owner)
        if kind in ("integer", "number"):
            return self.number(node, field, kind)
        if kind == "boolean":
            return field in {"ok", "valid", "is_workday", "open_now", "public", "committed", "requires_verification"}
        return None

    def object(self, node: dict[str, Any], owner: str) -> dict[str, Any]:
        props: dict[str, Any] = node.get("properties", {})
        out = {}
        for field, sub in props.items():
            value = self.value(sub, field, owner)
            if value is not _UNSET:
                out[field] = value
        for field in props:  # `state_title` / `status_label`: the label of the value beside it
            if field in out and field.endswith(("_title", "_label")) and f"{owner}.{field}" not in _BY_FIELD:
                label = self.label_beside(props, out, field)
                if label is not None:
                    out[field] = label
        return out

    def label_beside(self, props: dict[str, Any], out: dict[str, Any], field: str) -> str | None:
        base = field.rsplit("_", 1)[0]
        for sibling in (base, f"{base}_kind"):
            sub = props.get(sibling)
            enum = _ref_name(sub) if isinstance(sub, dict) else None
            labels = ENUM_LABELS.get(enum or "")
            if labels and out.get(sibling) in labels:
                return labels[out[sibling]]
        return None

    def string(self, node: dict[str, Any], field: str, owner: str) -> Any:
        fmt = node.get("format")
        if fmt == "uuid":
            return stable_uuid(_snake(owner) + "_id" if field == "id" else field)
        if fmt == "date-time":
            return _INSTANTS.get(field, _INSTANT)
        if fmt == "date":
            return _DATES.get(field, _DATE)
        if fmt == "binary":
            return _UNSET
        if fmt in ("uri", "url") or field.endswith("_url"):
            return "https://img.jincheng.example.cn/" + field
        if "pattern" in node:
            return _UNSET
        text = "金城街道"
        return text[: node.get("maxLength", len(text))]

    def number(self, node: dict[str, Any], field: str, kind: str) -> int | float:
        if field.endswith("_fen"):
            value: float = 128_000
        elif field.endswith("_bp"):
            value = 1000
        elif field.endswith("_rate"):
            value = 0.92
        elif field.endswith("_hours") or field.startswith("avg_") or field.startswith("p90_"):
            value = 2.5
        elif field.endswith("_minutes") or field == "minutes":
            value = 90
        elif field.endswith("_seconds"):
            value = 27_000
        else:
            value = 3
        low = node.get("minimum", node.get("exclusiveMinimum", value))
        high = node.get("maximum", node.get("exclusiveMaximum", value))
        value = min(max(value, low), high)
        return int(value) if kind == "integer" else float(value)


def add_examples(schema: dict[str, Any]) -> None:
    """``examples: [one]`` on every object schema in components that has none of its own."""
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    builder = _Builder(components)
    for name, body in components.items():
        if body.get("examples") or body.get("type") != "object" or not body.get("properties"):
            continue
        example = builder.for_component(name)
        if isinstance(example, dict) and set(body.get("required", [])) <= set(example):
            body["examples"] = [example]
