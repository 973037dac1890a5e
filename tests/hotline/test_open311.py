"""Open311 GeoReport v2: an Open311 client's flow in JSON and in XML, and the standard's error shape."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import func, select

from app.complaints.models import Complaint
from tests.complaints.conftest import URBAN, ok
from tests.hotline.conftest import register

BASE = "/open311/v2"


def xml(resp) -> ElementTree.Element:  # type: ignore[no-untyped-def]
    assert resp.headers["content-type"].startswith("text/xml"), resp.text
    return ElementTree.fromstring(resp.text)


async def _api_key(session, settings) -> str:  # type: ignore[no-untyped-def]
    created = await register(session, settings, "open311-app", operations=["open311"])
    assert created.api_key is not None
    return created.api_key


async def test_open311_client_flow_in_json(client, session, settings, people) -> None:  # type: ignore[no-untyped-def]
    api_key = await _api_key(session, settings)
    disc = (await client.get(f"{BASE}/discovery.json")).json()
    assert disc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = (await client.get(f"{BASE}/services.json")).json()
    light = next(s for s in services if s["service_code"] == "municipal.street_light")
    assert light["group"] == "市政设施" and light["metadata"] is True and light["type"] == "realtime"
    definition = (await client.get(f"{BASE}/services/noise.json")).json()
    assert definition["service_code"] == "noise" and definition["attributes"][0]["code"] == "urgency"
    resp = await client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "noise",
            "lat": "35.4147",
            "long": "116.5871",
            "address_string": "金城路 18 号",
            "description": "夜里 11 点还在施工，噪音很大",
            "media_url": "https://img.example/noise.jpg",
            "first_name": "三",
            "last_name": "张",
            "phone": "13800000000",
            "attribute[urgency]": "urgent",
        },
    )
    assert resp.status_code == 200, resp.text
    [created] = resp.json()
    number = created["service_request_id"]
    c = (await session.execute(select(Complaint).where(Complaint.number == number))).scalar_one()
    assert (c.channel, c.contact_name, c.urgency, c.latitude) == ("open311", "张 三", "urgent", 35.4147)
    [req] = (await client.get(f"{BASE}/requests/{number}.json")).json()
    assert req["status"] == "open" and req["service_code"] == "noise" and req["media_url"].endswith("noise.jpg")
    assert "phone" not in req and req["agency_responsible"] is None
    cid = str(c.id)
    await ok(client, people.dispatcher, cid, "accept")
    await ok(client, people.dispatcher, cid, "dispatch", lead={"unit_type": "department", "unit_id": str(URBAN)})
    await ok(client, people.department, cid, "sign")
    await ok(client, people.department, cid, "resolve", result_text="已责令施工方夜间停工")
    [req] = (await client.get(f"{BASE}/requests/{number}.json")).json()
    assert req["status"] == "closed" and req["status_notes"] == "已责令施工方夜间停工"
    assert req["agency_responsible"] == "城管中队"
    listed = (await client.get(f"{BASE}/requests.json", params={"status": "closed", "service_code": "noise"})).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert (await client.get(f"{BASE}/requests.json", params={"status": "open"})).json() == []


async def test_open311_client_flow_in_xml(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    api_key = await _api_key(session, settings)
    root = xml(await client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/specification") is not None
    services = xml(await client.get(f"{BASE}/services.xml"))
    assert services.tag == "services" and services.find("service/service_code") is not None
    resp = await client.post(
        f"{BASE}/requests.xml",
        data={"api_key": api_key, "service_code": "parking", "address_string": "古槐路口", "description": "占道停车"},
    )
    created = xml(resp)
    number = created.findtext("request/service_request_id")
    assert number and number.startswith("JC")
    got = xml(await client.get(f"{BASE}/requests/{number}.xml"))
    assert got.tag == "service_requests" and got.findtext("request/status") == "open"
    assert got.findtext("request/address") == "古槐路口"


async def test_open311_errors_use_the_standard_shape_and_write_nothing(client, session, settings) -> None:  # type: ignore[no-untyped-def]
    api_key = await _api_key(session, settings)
    before = (await session.execute(select(func.count()).select_from(Complaint))).scalar_one()
    no_place = await client.post(
        f"{BASE}/requests.json", data={"api_key": api_key, "service_code": "noise", "description": "x"}
    )
    assert no_place.status_code == 400 and no_place.headers["content-type"].startswith("application/json")
    assert no_place.json() == [{"code": 400, "description": "须提供 lat 与 long，或 address_string / address_id"}]
    bad_key = await client.post(f"{BASE}/requests.xml", data={"api_key": "o311_nope", "service_code": "noise"})
    err = xml(bad_key)
    assert bad_key.status_code == 403 and err.tag == "errors" and err.findtext("error/code") == "403"
    unknown = await client.post(
        f"{BASE}/requests.json",
        data={"api_key": api_key, "service_code": "nope", "address_string": "x", "description": "x"},
    )
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    long_window = await client.get(
        f"{BASE}/requests.json", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    )
    assert long_window.status_code == 400 and "90" in long_window.json()[0]["description"]
    assert (await client.get(f"{BASE}/requests/JC000.json")).status_code == 404
    assert (await client.get(f"{BASE}/services.yaml")).status_code == 404
    assert (await session.execute(select(func.count()).select_from(Complaint))).scalar_one() == before
