"""The rota from Excel through the Flask client: upload, the preview (new shifts,
problems by row and column in the user's language), the import, the same sheet again
adding nothing, a bad sheet refused with nothing written, the wrong file told next to
the field, CSRF and roles."""
from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models.base import utcnow
from models.rota import RotaShift
from tests.support.console_client import csrf_token_from
from tests.support.rota_sheets import good_rows, write_rota_sheet


def _next_monday(console_settings) -> dt.date:
    today = utcnow().astimezone(ZoneInfo(console_settings.office_timezone)).date()
    return today + dt.timedelta(days=7 - today.weekday())


def _upload(client, data: bytes, name: str = "rota.xlsx"):
    token = csrf_token_from(client, "/supervisor/rota")
    return client.post("/supervisor/rota/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "sheet": (io.BytesIO(data), name)})


def _run(client, html: str):
    action = re.search(r'action="(/supervisor/rota/import/[^"]+)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(action, data={"csrf_token": token, "name": "rota.xlsx"})


def _count(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count()).select_from(RotaShift))


def test_preview_import_and_again(supervisor_client, agent, other_agent, console_sessions,
                                  console_settings, make_user, tmp_path):
    monday = _next_monday(console_settings)
    rows = [[agent.username if r[0] == "王芳" else other_agent.username] + r[1:]
            for r in good_rows(monday)]
    data = write_rota_sheet(tmp_path / "rota.xlsx", rows).read_bytes()
    preview = _upload(supervisor_client, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert html.count('<tr class="new">') == 3 and "Import 3 new shifts" in html
    assert _count(console_sessions) == 0  # a preview writes nothing
    done = _run(supervisor_client, html)
    assert done.status_code == 303
    page = supervisor_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Rota imported: 3 shifts added, 0 already in the rota." in page
    assert "17:30–08:30" in page and "Night shift" in page
    again = _upload(supervisor_client, data).get_data(as_text=True)
    assert again.count('<tr class="unchanged">') == 3 and "Import 0 new shifts" in again
    assert _count(console_sessions) == 3


def test_a_bad_sheet_names_rows_and_columns_and_writes_nothing(
        supervisor_client, agent, console_sessions, console_settings, tmp_path):
    monday = _next_monday(console_settings)
    rows = [[agent.username, monday.isoformat(), "白班", "08:00", "16:00", ""],
            ["nobody", monday.isoformat(), "白班", "08:00", "16:00", ""],
            [agent.username, monday.isoformat(), "夜班", "8点", "16:00", ""]]
    data = write_rota_sheet(tmp_path / "bad.xlsx", rows).read_bytes()
    supervisor_client.post("/lang/zh", data={"csrf_token": csrf_token_from(supervisor_client)})
    refused = _upload(supervisor_client, data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "未导入任何内容" in html and 'id="rota-import-run"' not in html
    lines = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert lines == [("第 5 行", "A / 坐席", "没有这个姓名或用户名的在岗坐席"),
                     ("第 6 行", "D / 开始", "不是时间，应写成 08:30")]
    assert _count(console_sessions) == 0


def test_the_wrong_file_is_told_next_to_the_field(supervisor_client, agent_client):
    refused = _upload(supervisor_client, b"hello", name="rota.txt")
    assert refused.status_code == 303 and "import_error=file" in refused.headers["Location"]
    page = supervisor_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'id="rota-sheet-error"' in page
    assert supervisor_client.post("/supervisor/rota/import", data={}).status_code == 400
    assert supervisor_client.post(
        "/supervisor/rota/import/" + "x" * 32,
        data={"csrf_token": csrf_token_from(supervisor_client, "/supervisor/rota")}
    ).status_code == 404
    assert agent_client.post("/supervisor/rota/import", data={}).status_code in (400, 403)
