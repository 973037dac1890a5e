"""The integrations domain's public API for other domains (the hotline, Open311): the signed-request gate,
the verified caller, secrets for signing outbound calls, and Standard Webhooks signing helpers."""

from __future__ import annotations

from app.integrations.deps import signed_caller as signed_caller
from app.integrations.service import ROTATION_GRACE as ROTATION_GRACE
from app.integrations.service import Caller as Caller
from app.integrations.service import CreatedClient as CreatedClient
from app.integrations.service import IntegrationSetupError as IntegrationSetupError
from app.integrations.service import Operation as Operation
from app.integrations.service import active_secrets as active_secrets
from app.integrations.service import client_for_api_key as client_for_api_key
from app.integrations.service import create_client as create_client
from app.integrations.service import get_by_name as get_by_name
from app.integrations.service import rotate as rotate
from app.integrations.signing import SignatureProblem as SignatureProblem
from app.integrations.signing import headers_for as headers_for
from app.integrations.signing import phone_digest as phone_digest
from app.integrations.signing import read_headers as read_headers
from app.integrations.signing import verify as verify
