"""GET /api/v1/meta/subscribe-templates: the template id per event, for wx.requestSubscribeMessage."""

from __future__ import annotations

import httpx

from app.core.settings import WeChatTemplate
from app.main import create_app


async def test_configured_templates_are_listed_without_sign_in(settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    configured = settings.model_copy(
        update={
            "wechat_templates": {
                "complaint_resolved": WeChatTemplate(
                    template_id="tmpl-resolved", page="pages/complaint/detail", fields={"thing1": "title"}
                ),
                "complaint_accepted": WeChatTemplate(template_id="tmpl-accepted", fields={"thing1": "title"}),
            }
        }
    )
    app = create_app(configured, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        resp = await client.get("/api/v1/meta/subscribe-templates")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "items": [
            {"event": "complaint_accepted", "template_id": "tmpl-accepted", "page": None},
            {"event": "complaint_resolved", "template_id": "tmpl-resolved", "page": "pages/complaint/detail"},
        ]
    }


async def test_no_templates_configured_is_an_empty_list(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/api/v1/meta/subscribe-templates")
    assert resp.status_code == 200 and resp.json() == {"items": []}
