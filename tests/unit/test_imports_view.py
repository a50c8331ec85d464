"""The import page through the console's Flask client, on SQLite and PostgreSQL:
supervisors and admins only, CSRF checked on the upload although the app-wide
check is bypassed for it, the size cap, a broken upload refused next to the file
field, a preview naming rows and columns as Excel does, then the import in a
background thread with its progress in Redis (all or nothing, idempotent)."""
from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_console import import_jobs, imports_view
from households.import_messages import Message
from models.households import Household, Phone, Room
from tests.support.console_client import csrf_token_from, log_in
from tests.support.console_pages import visible_text
from tests.support.office_sheets import office_cells, office_rooms, write_office_xlsx


@pytest.fixture
def console_settings(db_url, tmp_path, console_redis_server, console_redis):
    from tests.support.settings import make_settings

    return make_settings(database_url=db_url, redis_url=console_redis_server,
                         state_dir=tmp_path, secret_key_file=tmp_path / "secret-key",
                         wrapup_s=30)


def client_for(app, make_user, role: str, language: str = "zh"):
    make_user(f"u-{role}", role, None, language=language)
    client = app.test_client()
    assert log_in(client, f"u-{role}").status_code == 302
    return client


def upload(client, data: bytes, name: str, kind: str = "households", token: str | None = None):
    token = token if token is not None else csrf_token_from(client, "/imports")
    return client.post("/imports/preview", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": kind, "community": "MAIN",
        "sheet": (io.BytesIO(data), name)})


def office_bytes(tmp_path, cells) -> bytes:
    return write_office_xlsx(tmp_path / "office.xlsx", cells).read_bytes()


def household_count(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count()).select_from(Household))


def wait_for_job(client, token: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = client.get(f"/imports/jobs/{token}").get_json()
        if data["state"] in ("done", "failed"):
            return data
        time.sleep(0.05)
    raise AssertionError("the import did not end")


def test_only_supervisors_and_admins(app, make_user):
    agent = client_for(app, make_user, "agent")
    assert agent.get("/imports").status_code == 403
    assert agent.post("/imports/preview", data={}).status_code == 403
    for role in ("supervisor", "admin"):
        page = client_for(app, make_user, role).get("/imports")
        assert page.status_code == 200
        assert 'href="/imports"' in page.get_data(as_text=True)  # in the nav


def test_upload_without_the_csrf_token_is_refused(app, make_user, tmp_path, console_sessions):
    client = client_for(app, make_user, "supervisor")
    data = office_bytes(tmp_path, office_cells(office_rooms(1)))
    assert upload(client, data, "office.xlsx", token="forged").status_code == 400
    assert not (tmp_path / "imports").exists() or not list((tmp_path / "imports").glob("*"))
    assert household_count(console_sessions) == 0


@pytest.mark.parametrize("data, name, shown", [
    (b"PK\x03\x04 this is no workbook", "owners.xlsx", "不是可读取的 .xlsx 工作簿(文件已损坏"),
    (b"a,b\n\x00\x00\n", "owners.csv", "NUL"),
    (b"%PDF-1.4 \xff\xfe\xfa", "owners.csv", "不是 UTF-8 或 GBK 文本"),
    (b"hello", "owners.docx", "只能导入 .xlsx 和 .csv 文件。"),
    (b"", "owners.csv", "文件是空的"),
])
def test_broken_upload_error_next_to_the_field(app, make_user, console_sessions, tmp_path,
                                               data, name, shown):
    client = client_for(app, make_user, "supervisor")
    response = upload(client, data, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'<small class="field-error" id="sheet-error" role="alert">([^<]*)</small>',
                      html)
    assert error and shown in error.group(1), html[-3000:]
    assert 'aria-describedby="sheet-error"' in html
    assert "import-preview" not in html
    assert household_count(console_sessions) == 0
    assert list((tmp_path / "imports").glob("*")) == []


def test_too_large_upload_is_refused_next_to_the_field(app, make_user, monkeypatch):
    monkeypatch.setattr(imports_view, "UPLOAD_MAX_BYTES", 1024)
    client = client_for(app, make_user, "supervisor")
    response = upload(client, b"x" * 200_000, "big.csv")
    assert response.status_code == 413
    assert "文件超过 0 MB。" in response.get_data(as_text=True)  # 1024 bytes: 0 whole MB


def test_preview_lists_problems_by_excel_row_and_column(app, make_user, console_sessions,
                                                        tmp_path):
    cells = office_cells(office_rooms(3))
    cells[1][5] = "1381234567"       # Excel row 5, column F 联系电话: ten digits
    cells[4][3] = ""                  # row 8, column D 建筑面积(㎡)
    client = client_for(app, make_user, "supervisor")
    html = upload(client, office_bytes(tmp_path, cells), "阳光花园.xlsx").get_data(as_text=True)
    rows = re.findall(r'<tr><td class="nowrap">([^<]*)</td><td class="nowrap">([^<]*)</td>'
                      r'<td class="text">([^<]*)</td></tr>', html)
    assert rows == [("第 5 行", "F / 联系电话", "&#39;1381234567&#39; 不是有效的电话号码"),
                    ("第 8 行", "D / 建筑面积(㎡)", "必填单元格为空")]
    assert "表头在第 3 行。" in html and "J 列 / 备注" in html
    assert "发现 2 个问题:未导入任何数据。" in html
    assert 'id="run-form"' not in html
    assert household_count(console_sessions) == 0


def test_preview_in_english(app, make_user, tmp_path):
    cells = office_cells(office_rooms(1))
    cells[0][1] = "二单元"
    client = client_for(app, make_user, "admin", language="en")
    html = upload(client, office_bytes(tmp_path, cells), "o.xlsx").get_data(as_text=True)
    assert "Row 4" in html and "B / 单元" in html
    assert "is not a building/unit/room number" in html
    assert "Header found in row 3." in html and "column J / 备注" in html


def test_missing_columns_named_as_the_office_heads_them(app, make_user, tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("楼号,单元,备注\n1,2,x\n", encoding="utf-8")
    client = client_for(app, make_user, "supervisor")
    html = upload(client, path.read_bytes(), "few.csv").get_data(as_text=True)
    assert "缺少必填列:房号、面积、业主姓名、业主电话" in html
    shown = " ".join(visible_text(html))
    assert "owner_phones" not in shown and "floor_area" not in shown


def test_import_runs_in_the_background_with_progress(app, make_user, console_sessions,
                                                     tmp_path, console_redis, monkeypatch):
    saved = []
    real_save = import_jobs.ImportJob.save

    def recording_save(self, client):
        saved.append((self.state, self.done))
        real_save(self, client)

    monkeypatch.setattr(import_jobs.ImportJob, "save", recording_save)
    rooms = office_rooms(150)
    client = client_for(app, make_user, "supervisor")
    html = upload(client, office_bytes(tmp_path, office_cells(rooms)), "o.xlsx") \
        .get_data(as_text=True)
    assert "300 行可以导入。" in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    # Someone else's token is not ours to run or read.
    other = client_for(app, make_user, "admin")
    assert other.post("/imports/run", data={"csrf_token": csrf_token_from(other, "/imports"),
                                            "token": token}).status_code == 404
    assert other.get(f"/imports/jobs/{token}").status_code == 404
    page = client.post("/imports/run", data={"csrf_token": csrf, "token": token})
    assert page.status_code == 200 and 'id="import-progress"' in page.get_data(as_text=True)
    data = wait_for_job(client, token)
    assert data["state"] == "done" and (data["done"], data["total"]) == (300, 300)
    assert data["lines"] == ["已导入 300 行。", "新建住户 300 户,更新 0 户;新增房间 300 间。"]
    writes = [done for state, done in saved if state == "writing"]
    assert writes == sorted(writes) and len(writes) >= 10 and writes[-1] == 300
    assert household_count(console_sessions) == 300
    assert list((tmp_path / "imports").glob("*")) == []  # the upload is gone
    # The same upload runs once; the same sheet again updates, never duplicates.
    assert client.post("/imports/run", data={"csrf_token": csrf,
                                             "token": token}).status_code == 409
    html = upload(client, office_bytes(tmp_path, office_cells(rooms)), "o.xlsx") \
        .get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/imports/run", data={"csrf_token": csrf, "token": token})
    assert wait_for_job(client, token)["lines"][1] == "新建住户 0 户,更新 300 户;新增房间 0 间。"
    with console_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Room)) == 300
        assert session.scalar(select(func.count()).select_from(Phone)) == 450


def test_two_runs_of_one_upload_at_once_start_one_import(console_redis):
    job = import_jobs.ImportJob("t" * 24, 1, "households", "MAIN", "/nonexistent.xlsx")
    job.save(console_redis)
    assert [import_jobs.claim(console_redis, job.token) for _ in range(3)] == [True, False,
                                                                              False]
    assert import_jobs.ImportJob.load(console_redis, job.token) == job


def test_an_import_whose_process_died_is_reported_interrupted(app, make_user, console_redis,
                                                              console_sessions, monkeypatch):
    from models.console import User

    client = client_for(app, make_user, "supervisor")
    with console_sessions() as session:
        user_id = session.scalar(select(User.id))
    job = import_jobs.ImportJob("d" * 24, user_id, "households", "MAIN", "/gone.xlsx",
                                state="writing", done=40, total=400)
    job.save(console_redis)
    assert client.get(f"/imports/jobs/{job.token}").get_json()["state"] == "writing"
    later = time.time() + import_jobs.STALE_JOB_S + 1
    monkeypatch.setattr(import_jobs.time, "time", lambda: later)
    data = client.get(f"/imports/jobs/{job.token}").get_json()
    assert data["state"] == "failed" and data["lines"] == [
        "导入已中断(工作台重新启动),未导入任何数据。请重新上传表格。"]


def test_a_failure_while_writing_leaves_nothing_and_says_so(app, make_user, console_sessions,
                                                            tmp_path, monkeypatch):
    from households import import_households

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    client = client_for(app, make_user, "supervisor")
    html = upload(client, office_bytes(tmp_path, office_cells(office_rooms(5))), "o.xlsx") \
        .get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    monkeypatch.setattr(import_households, "apply_rows", broken)
    client.post("/imports/run", data={"csrf_token": csrf, "token": token})
    data = wait_for_job(client, token)
    assert data["state"] == "failed" and data["lines"] == ["导入失败,未导入任何数据。"]
    assert household_count(console_sessions) == 0


def test_problem_messages_translate_with_their_parameters(app):
    nested = Message("%(what)s is past the importer's caps: %(over)s",
                     what=Message("row %(row)d", row=7),
                     over=Message("more than %(limit)d rows (HOTLINE_IMPORT_MAX_ROWS)",
                                  limit=10))
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert imports_view.translated(nested) == \
            "第 7 行 超出导入上限:超过 10 行(设置项 HOTLINE_IMPORT_MAX_ROWS)"
    assert str(nested) == ("row 7 is past the importer's caps: more than 10 rows "
                           "(HOTLINE_IMPORT_MAX_ROWS)")


def test_every_import_problem_is_in_the_catalogue():
    """The importers' msg() templates are msgids: translated in zh, listed in en
    (the console's own i18n test extracts agent_console only)."""
    from babel.messages.extract import extract_from_dir

    from tests.support.console_pages import po_catalogue

    households = Path(imports_view.__file__).resolve().parents[1] / "households"
    ids = {message for _f, _l, message, _c, _x in extract_from_dir(
        str(households), [("**.py", "python")], keywords={"msg": None})}
    zh, en = po_catalogue("zh"), po_catalogue("en")
    assert len(ids) > 50
    assert sorted(m for m in ids if zh.get(m) is None or not zh.get(m).string) == []
    assert sorted(m for m in ids if en.get(m) is None) == []


def test_ledger_through_the_page(app, make_user, console_sessions, tmp_path):
    import openpyxl

    from models.fees import Charge, Payment

    client = client_for(app, make_user, "supervisor")

    def run_upload(data: bytes, name: str, kind: str) -> dict:
        html = upload(client, data, name, kind=kind).get_data(as_text=True)
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        client.post("/imports/run", data={"csrf_token": csrf, "token": token})
        return wait_for_job(client, token)

    run_upload(office_bytes(tmp_path, office_cells(office_rooms(1))), "o.xlsx", "households")
    workbook = openpyxl.Workbook()
    for row in (["阳光花园2026年第三季度收费台账"], [],
                ["房号", "收费项目", "所属期", "应收金额", "实收金额", "收据号", "缴费日期", "备注"],
                ["1号楼1单元301室", "物业管理费", "2026Q3", "１，１５６.５０", 1156.5, "R-9",
                 "2026年7月5日", "现金"],
                ["1-2-302", "物业管理费", "2026Q3", 802.8, None, None, None, "未缴"]):
        workbook.active.append(row)
    workbook.save(tmp_path / "ledger.xlsx")
    data = (tmp_path / "ledger.xlsx").read_bytes()
    assert run_upload(data, "ledger.xlsx", "ledger")["lines"] == [
        "已导入 2 行。", "写入应收 2 笔;写入收款 1 笔。"]
    run_upload(data, "ledger.xlsx", "ledger")  # again: updated in place
    with console_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Charge)) == 2
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
