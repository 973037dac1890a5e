"""The identity domain's public API for other domains: who the caller is (``Principal``, ``CurrentPrincipal``,
``require_roles``, ``forbidden``), the roles, who holds a role where (``directory``), and the households a
user is approved for."""

from __future__ import annotations

from app.identity import directory as directory
from app.identity.households import approved_compound_ids as approved_compound_ids
from app.identity.households import approved_household_ids as approved_household_ids
from app.identity.masking import mask_name as mask_name
from app.identity.masking import mask_phone as mask_phone
from app.identity.media_access import CurrentMediaViewer as CurrentMediaViewer
from app.identity.media_access import MediaViewer as MediaViewer
from app.identity.principal import CurrentPrincipal as CurrentPrincipal
from app.identity.principal import OptionalPrincipal as OptionalPrincipal
from app.identity.principal import Principal as Principal
from app.identity.principal import forbidden as forbidden
from app.identity.principal import require_roles as require_roles
from app.identity.principal import unauthenticated as unauthenticated
from app.identity.roles import ROLE_SCOPE as ROLE_SCOPE
from app.identity.roles import ROLE_TITLES as ROLE_TITLES
from app.identity.roles import Role as Role
