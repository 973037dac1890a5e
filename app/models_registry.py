"""Imports every domain's models so that ``metadata`` is complete (Alembic, tests)."""

from app.core.db import Base
from app.identity import models as identity_models  # noqa: F401
from app.ledger import models as ledger_models  # noqa: F401
from app.org import models as org_models  # noqa: F401
from app.trustfund import models as trustfund_models  # noqa: F401

metadata = Base.metadata
