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


async def test_readyz_503_when_the_database_cannot_be_reached(settings) -> None:
    import socket

    import httpx
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from app.main import create_app

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = create_async_engine(f"postgresql+asyncpg://nobody:x@127.0.0.1:{port}/nowhere")
    try:
        app = create_app(settings, sessionmaker=async_sessionmaker(engine))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            resp = await client.get("/readyz")
    finally:
        await engine.dispose()
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "system.database_unavailable"


async def test_a_multipart_body_without_a_boundary_is_400(client, session, make_actor) -> None:
    from app.complaints.models import ComplaintPhoto
    from tests.problems import assert_problem, count

    resident = await make_actor()
    before = await count(session, ComplaintPhoto)
    resp = await client.post(
        "/api/v1/complaint-photos",
        content=b"--x\r\nnot a form\r\n",
        headers={**resident.headers, "Content-Type": "multipart/form-data"},
    )
    assert_problem(resp, 400, "request.bad_request")
    assert await count(session, ComplaintPhoto) == before
