from __future__ import annotations

from sqlalchemy import text


async def test_healthz(client) -> None:
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


async def test_readyz_ready_at_head(client, app) -> None:
    resp = await client.get("/readyz")
    assert resp.status_code == 200, resp.text
    assert set(resp.json()["migrations"]) == app.state.migration_heads


async def test_readyz_503_when_migrations_pending(client, session) -> None:
    await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    await session.commit()
    resp = await client.get("/readyz")
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "system.migrations_pending"


async def test_metrics_count_by_route_template_and_status(client) -> None:
    await client.get("/api/v1/streets")
    await client.get("/api/v1/streets")
    await client.get("/api/v1/nowhere")
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    body = resp.text
    assert 'jincheng_http_requests_total{method="GET",route="/api/v1/streets",status="200"} 2.0' in body
    assert 'route="unmatched",status="404"' in body
    assert "jincheng_http_request_duration_seconds_bucket" in body
