"""Subscribe-message values cut to WeChat's limits (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.core.settings import NOTIFY_EVENTS, Settings
from app.notify.events import NotifyEvent
from app.notify.templates import build_data, field_type, fit_value

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("key", "kind"),
    [("thing1", "thing"), ("character_string12", "character_string"), ("time3", "time"), ("phrase", "phrase")],
)
def test_field_type(key: str, kind: str) -> None:
    assert field_type(key) == kind


def test_thing_is_cut_to_20_characters() -> None:
    long = "金华小区3号楼楼道灯不亮已经一个多星期了晚上出入很不方便"
    out = fit_value("thing", long, SH)
    assert len(out) == 20 and out.endswith("…") and out.startswith("金华小区3号楼")
    assert fit_value("thing", "楼道灯不亮", SH) == "楼道灯不亮"
    assert fit_value("thing", "第一行\n第二行", SH) == "第一行 第二行"


def test_phrase_is_cut_to_5() -> None:
    assert fit_value("phrase", "已受理", SH) == "已受理"
    assert fit_value("phrase", "已经受理完毕了", SH) == "已经受理完"


def test_character_string_is_cut_to_32() -> None:
    assert fit_value("character_string", "JC202611300042", SH) == "JC202611300042"
    assert len(fit_value("character_string", "X" * 40, SH)) == 32


def test_time_is_local_and_formatted() -> None:
    assert fit_value("time", datetime(2026, 11, 30, 1, 30, tzinfo=UTC), SH) == "2026年11月30日 09:30"
    assert fit_value("time", datetime(2026, 1, 5, 0, 5, tzinfo=UTC), SH) == "2026年1月5日 08:05"
    assert fit_value("date", date(2026, 11, 30), SH) == "2026年11月30日"


def test_missing_and_empty_values_get_placeholders() -> None:
    assert fit_value("thing", None, SH) == "无"
    assert fit_value("character_string", "  ", SH) == "-"


def test_build_data() -> None:
    data = build_data(
        {"character_string1": "number", "thing2": "title", "phrase3": "status", "time4": "at", "thing5": "absent"},
        {
            "number": "JC202611300042",
            "title": "楼道灯不亮",
            "status": "已受理",
            "at": datetime(2026, 11, 30, 1, 30, tzinfo=UTC),
        },
        SH,
    )
    assert data == {
        "character_string1": {"value": "JC202611300042"},
        "thing2": {"value": "楼道灯不亮"},
        "phrase3": {"value": "已受理"},
        "time4": {"value": "2026年11月30日 09:30"},
        "thing5": {"value": "无"},
    }


def test_events_match_settings() -> None:
    assert {e.value for e in NotifyEvent} == NOTIFY_EVENTS


def test_unknown_template_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notification events"):
        Settings(wechat_templates={"complaint_eaten": {"template_id": "t", "fields": {"thing1": "title"}}})
