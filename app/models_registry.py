"""Imports every domain's models so that ``metadata`` is complete (Alembic, tests)."""

from app.calendar import models as calendar_models  # noqa: F401
from app.community_events import models as community_event_models  # noqa: F401
from app.communityfund import models as communityfund_models  # noqa: F401
from app.complaints import models as complaint_models  # noqa: F401
from app.complaints.stats import models as complaint_stat_models  # noqa: F401
from app.core import audit as core_audit  # noqa: F401
from app.core import idempotency  # noqa: F401
from app.core import outbox as outbox_models  # noqa: F401
from app.core.db import Base
from app.hotline import models as hotline_models  # noqa: F401
from app.identity import models as identity_models  # noqa: F401
from app.integrations import models as integration_models  # noqa: F401
from app.ledger import models as ledger_models  # noqa: F401
from app.merchants import models as merchant_models  # noqa: F401
from app.notify import models as notify_models  # noqa: F401
from app.open311 import models as open311_models  # noqa: F401
from app.org import models as org_models  # noqa: F401
from app.sla import models as sla_models  # noqa: F401
from app.trustfund import models as trustfund_models  # noqa: F401
from app.volunteers import models as volunteer_models  # noqa: F401
from app.wechat import models as wechat_models  # noqa: F401

metadata = Base.metadata
