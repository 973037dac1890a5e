"""Generate the Python client with openapi-python-client and prove it is whole.

Run (openapi-python-client is not a project dependency; any venv that has it will do):

    python -m venv /tmp/opc && /tmp/opc/bin/pip install openapi-python-client
    /tmp/opc/bin/python clients/python/check_client.py

Checks: the generator prints no warning, every operation of openapi/openapi.json has a module, and the
generated photo upload sends a real multipart file (filename, content type and the bytes), captured at the
HTTP boundary with an httpx MockTransport.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi" / "openapi.json"
CONFIG = Path(__file__).with_name("openapi-python-client.yaml")


def main() -> None:
    out = Path(tempfile.mkdtemp()) / "client"
    generator = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run(  # noqa: S603 - our own generator, fixed arguments
        [str(generator), "generate", "--path", str(DOCUMENT), "--config", str(CONFIG), "--output-path", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = run.stdout + run.stderr
    assert "warning" not in printed.lower(), printed
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    operations = [
        op for item in doc["paths"].values() for m, op in item.items() if m in {"get", "post", "put", "patch", "delete"}
    ]
    modules = [p for p in (out / "jincheng_client" / "api").rglob("*.py") if p.name != "__init__.py"]
    assert len(modules) == len(operations), (len(modules), len(operations))

    sys.path.insert(0, str(out))
    client_mod = importlib.import_module("jincheng_client")
    upload = importlib.import_module("jincheng_client.api.complaints.complaints_upload_photo")
    models = importlib.import_module("jincheng_client.models")
    types = importlib.import_module("jincheng_client.types")
    sent: list[httpx.Request] = []

    def capture(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            401, json={"type": "about:blank", "title": "未登录", "status": 401, "code": "auth.unauthenticated"}
        )

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
    client = client_mod.AuthenticatedClient(base_url="http://test", token="t")  # noqa: S106 - a placeholder for the mock
    client.set_httpx_client(httpx.Client(base_url="http://test", transport=httpx.MockTransport(capture)))
    body = models.ComplaintPhotoUpload(file=types.File(payload=jpeg, file_name="photo.jpg", mime_type="image/jpeg"))
    upload.sync_detailed(client=client, body=body)
    request = sent[0]
    content = request.read()
    assert request.headers["content-type"].startswith("multipart/form-data; boundary="), request.headers
    assert b'name="file"; filename="photo.jpg"' in content and b"Content-Type: image/jpeg" in content, content[:300]
    assert jpeg in content
    print(f"ok: {len(modules)} operations generated, no warnings; the upload sends photo.jpg ({len(jpeg)} bytes)")


if __name__ == "__main__":
    main()
