"""Voucher images are decoded, re-encoded and stored in worker threads, never on the event loop."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from app.trustfund import entries
from app.trustfund.deps import voucher_storage
from app.trustfund.vouchers import CleanImage, LocalVoucherStorage
from tests.trustfund.conftest import BASE
from tests.trustfund.test_rules import income


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RecordingStorage(LocalVoucherStorage):
    def __init__(self, root, calls: list[tuple[str, bool]]) -> None:  # type: ignore[no-untyped-def]
        super().__init__(root)
        self.calls = calls

    def put(self, data: bytes, suffix: str) -> str:
        self.calls.append(("put", _on_event_loop()))
        return super().put(data, suffix)

    def get(self, key: str) -> bytes:
        self.calls.append(("get", _on_event_loop()))
        return super().get(key)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_voucher_decode_and_storage_run_off_the_event_loop(
    app, client, cast, fund, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []
    storage = RecordingStorage(tmp_path, calls)
    app.dependency_overrides[voucher_storage] = lambda: storage
    real_clean = entries.clean_image

    def recording_clean(raw: bytes) -> CleanImage:
        calls.append(("clean_image", _on_event_loop()))
        return real_clean(raw)

    monkeypatch.setattr(entries, "clean_image", recording_clean)
    tx = await income(client, cast)
    resp = await client.post(
        f"{BASE}/entries/{tx['id']}/vouchers",
        files={"file": ("v.png", _png(), "image/png")},
        headers=cast.manager.headers,
    )
    assert resp.status_code == 201, resp.text
    got = await client.get(f"{BASE}/vouchers/{resp.json()['id']}", headers=cast.owner.headers)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert calls == [("clean_image", False), ("put", False), ("get", False)]
