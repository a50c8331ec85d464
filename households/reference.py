"""Reference rows every ledger needs: the fee kinds named in the seeds."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.fees import FeeKind

# The fee kinds of seeds 000, 003 and 004, with the names used on receipts.
FEE_KINDS = {
    "management": "物业管理费",
    "special_service": "特约服务费",
    "parking": "停车费",
    "renovation": "装修费用",
    "utilities": "水电中水费",
    "card": "门卡费",
}
# What people write in the 费用类型 column of a ledger file.
FEE_KIND_ALIASES = {
    **{name: code for code, name in FEE_KINDS.items()},
    **{code: code for code in FEE_KINDS},
    "管理费": "management", "物业费": "management", "物业服务费": "management",
    "装修费": "renovation", "垃圾清运费": "renovation", "中水费": "utilities",
    "水费": "utilities", "电费": "utilities", "有偿服务费": "special_service",
}


def ensure_fee_kinds(session: Session) -> dict[str, int]:
    """code → id, inserting the missing kinds."""
    existing = dict(session.execute(select(FeeKind.code, FeeKind.id)).all())
    missing = [{"code": code, "name": name} for code, name in FEE_KINDS.items()
               if code not in existing]
    if missing:
        session.execute(insert(FeeKind), missing)
        existing = dict(session.execute(select(FeeKind.code, FeeKind.id)).all())
    return existing
