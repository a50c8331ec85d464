"""SQLAlchemy 2.0 models: the system of record.

Each area keeps its tables in its own module; importing this package imports
them all, so `Base.metadata` is complete for Alembic and for tests.
"""
from models.base import Base  # noqa: F401
from models import calls, households, fees, console, supervision  # noqa: F401
from models import ivr  # noqa: F401,E402
from models import dead_letters  # noqa: F401,E402
from models import wrapup  # noqa: F401,E402
from models import notifications  # noqa: F401,E402
from models import complaints  # noqa: F401,E402
from models import departments  # noqa: F401,E402
from models import callbacks  # noqa: F401,E402
from models import cashier  # noqa: F401,E402
from models import rota  # noqa: F401,E402
from models import night_log  # noqa: F401,E402
from models import campaigns  # noqa: F401,E402
from models import retention  # noqa: F401,E402
from models import call_quality  # noqa: F401,E402
from models import line_figures  # noqa: F401,E402
from models import line_callbacks  # noqa: F401,E402
