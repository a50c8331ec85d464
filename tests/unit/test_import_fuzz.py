"""Whatever the cells hold, an import either succeeds or is rejected with problems:
no other exception, and a rejected file leaves nothing behind (hypothesis)."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

import models
from households.errors import ImportRejected
from households.importing import import_households_file, import_ledger_file
from households.samples import SAMPLE_AREA_CODE
from models.households import Household
from models.session import make_engine

HOUSEHOLD_HEADER = ["楼号", "单元", "房号", "建筑面积", "业主姓名", "业主电话", "收房日期", "入住状态"]
LEDGER_HEADER = ["房号", "费用类型", "期间", "应收金额", "实收金额", "收据号", "缴费日期"]
cells = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", "3", "02", "1502", "88.5", "-1", "=1+1", "@x", "13800138000", "2024-02-30",
     "2024-03-01", "自住", "托管", "2026Q4", "物业管理费", "1e400", "NaN", "3-2-1502"]))


def rows_of(width: int):
    return st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=6)


def write(folder: str, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = Path(folder) / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header] + rows)
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of(len(HOUSEHOLD_HEADER)), rows_of(len(LEDGER_HEADER)))
def test_any_cells_import_or_are_rejected(household_rows, ledger_rows):
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/fuzz.sqlite3")
        models.Base.metadata.create_all(engine)
        with sessionmaker(engine)() as session:
            try:
                import_households_file(session, write(folder, "h.csv", HOUSEHOLD_HEADER,
                                                      household_rows), local_area_code=SAMPLE_AREA_CODE)
            except ImportRejected as error:
                assert error.problems
                assert session.scalar(select(func.count()).select_from(Household)) == 0
            try:
                import_ledger_file(session, write(folder, "l.csv", LEDGER_HEADER, ledger_rows))
            except ImportRejected as error:
                assert error.problems
        engine.dispose()
