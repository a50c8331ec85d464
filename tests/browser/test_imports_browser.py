"""The import page in Debian's chromium at 1366x768, zh-CN, as a supervisor, with a
sheet made the way the office makes it (title row, 备注, merged buildings,
full-width digits, two phones a cell, 号楼/单元/室, date serials):
a broken upload is refused next to the file field; the sheet with two mistakes
gets a preview naming them by Excel row and column; the corrected sheet imports
with a progress bar; its households are then found by the desktop's search (by
the second phone of a two-phone cell). No horizontal scroll, no raw codes.
Screenshots go to test-artifacts/imports/.

Run: `.venv/bin/python -m pytest tests/browser/test_imports_browser.py` (no lab needed).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import launched_chromium, open_supervisor_menu
from tests.support.console_stack import USERS, log_in, start_console_stack
from tests.support.office_sheets import office_cells, office_rooms, write_office_xlsx

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "imports"
VIEWPORT = {"width": 1366, "height": 768}
# Codes that must never reach the page; in zh not even the English words of the kinds.
RAW_CODES = ("owner_phones", "floor_area", "household_number", "key_handover_on", "%(", "None")
ENGLISH_WORDS = ("households", "ledger", "building", "required")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from start_console_stack(tmp_path_factory.mktemp("imports"), ARTIFACTS)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth") <= 0


def assert_clean(page, english: bool = False) -> None:
    body = page.inner_text("body")
    for code in RAW_CODES + (() if english else ENGLISH_WORDS):
        assert code not in body, code
    assert no_horizontal_scroll(page)


def test_supervisor_imports_an_office_sheet(stack, tmp_path):
    rooms = office_rooms(200)  # 400 rows: long enough to see the bar move
    bad_cells = office_cells(rooms)
    bad_cells[1][5] = "1381234567"   # Excel row 5, column F 联系电话
    bad_cells[6][2] = "三零一"        # Excel row 10, column C 房号
    bad = write_office_xlsx(tmp_path / "阳光花园业主信息(有误).xlsx", bad_cells)
    good = write_office_xlsx(tmp_path / "阳光花园业主信息.xlsx", office_cells(rooms))
    broken = tmp_path / "业主信息.xlsx"
    broken.write_bytes(b"PK\x03\x04 saved from a chat app, not a workbook")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with launched_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        log_in(page, stack.base_url, USERS["supervisor"][0])
        open_supervisor_menu(page)
        page.click("nav.mainnav >> text=导入表格")
        page.wait_for_url(stack.base_url + "/imports")
        assert_clean(page)
        page.screenshot(path=str(ARTIFACTS / "imports-empty-1366x768.png"))

        # Not a spreadsheet: the reason next to the file field, nothing imported.
        page.set_input_files("#sheet", str(broken))
        page.click("#upload-button")
        error = page.locator("#sheet-error")
        error.wait_for()
        assert "不是可读取的 .xlsx 工作簿" in error.inner_text()
        assert page.get_attribute("#sheet", "aria-describedby") == "sheet-error"
        assert page.locator("#import-preview").count() == 0
        sheet_box, error_box = page.locator("#sheet").bounding_box(), error.bounding_box()
        assert 0 <= error_box["y"] - (sheet_box["y"] + sheet_box["height"]) < 40  # just under it
        page.screenshot(path=str(ARTIFACTS / "imports-broken-upload-1366x768.png"))

        # Two mistakes: both listed by Excel row and column, nothing to import yet.
        page.set_input_files("#sheet", str(bad))
        page.click("#upload-button")
        page.wait_for_selector("#import-problems")
        rows = page.locator("#import-problems tbody tr")
        assert rows.count() == 2
        assert rows.nth(0).inner_text().split("\t") == [
            "第 5 行", "F / 联系电话", "'1381234567' 不是有效的电话号码"]
        assert rows.nth(1).inner_text().split("\t")[:2] == ["第 10 行", "C / 房号"]
        assert "不是楼号、单元号或房号" in rows.nth(1).inner_text()
        assert "表头在第 3 行。" in page.inner_text("#preview-summary")
        assert "J 列 / 备注" in page.inner_text("#ignored-columns")
        assert page.locator("#run-button").count() == 0
        assert_clean(page)
        page.screenshot(path=str(ARTIFACTS / "imports-preview-problems-1366x768.png"),
                        full_page=True)

        # The corrected sheet: clean preview, then the import with its progress bar.
        page.set_input_files("#sheet", str(good))
        page.click("#upload-button")
        page.wait_for_selector("#run-button")
        assert "400 行可以导入。" in page.inner_text("#preview-summary")
        page.screenshot(path=str(ARTIFACTS / "imports-preview-ready-1366x768.png"))
        page.click("#run-button")
        page.wait_for_selector("#import-progress")
        page.wait_for_selector("#import-job[data-state=done]", timeout=60_000)
        bar = page.locator("#import-progress")
        assert bar.evaluate("b => [b.value, b.max]") == [400, 400]
        seen = bar.get_attribute("data-seen")  # the rows written at each poll
        assert seen
        (ARTIFACTS / "progress-polls.txt").write_text(seen + "\n", encoding="utf-8")
        assert page.inner_text("#import-status") == "导入完成"
        result = page.inner_text("#import-result")
        assert "已导入 400 行。" in result
        assert "新建住户 400 户,更新 0 户;新增房间 400 间。" in result
        assert_clean(page)
        page.screenshot(path=str(ARTIFACTS / "imports-done-1366x768.png"))

        # The desktop's search finds them: by the second phone of a two-phone cell.
        two_phones = next(room for room in rooms if len(room.phones) == 2)
        page.goto(stack.base_url + "/households/find?q=" + two_phones.phones[1])
        body = page.inner_text("main")
        assert two_phones.owner in body and two_phones.code in body
        assert no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "imports-search-found-1366x768.png"))
        context.close()


def test_the_page_in_english(stack, tmp_path):
    """Switched to English: the same preview, every word English, rows and columns
    named as Excel shows them."""
    cells = office_cells(office_rooms(2))
    cells[2][3] = "-5"               # Excel row 6, column D 建筑面积(㎡)
    sheet = write_office_xlsx(tmp_path / "owners.xlsx", cells)
    with launched_chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        log_in(page, stack.base_url, USERS["admin"][0])
        page.click("button[lang=en]")
        page.goto(stack.base_url + "/imports")
        assert page.inner_text("h1") == "Import spreadsheets"
        page.set_input_files("#sheet", str(sheet))
        page.click("#upload-button")
        page.wait_for_selector("#import-problems")
        assert page.locator("#import-problems tbody tr").first.inner_text().split("\t") == [
            "Row 6", "D / 建筑面积(㎡)", "'-5' is out of range"]
        assert "Header found in row 3." in page.inner_text("#preview-summary")
        assert "column J / 备注" in page.inner_text("#ignored-columns")
        assert "1 problem(s): nothing has been imported." in page.inner_text("#problem-count")
        assert_clean(page, english=True)
        page.screenshot(path=str(ARTIFACTS / "imports-preview-en-1366x768.png"))
        context.close()
