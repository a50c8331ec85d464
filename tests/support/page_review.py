"""What a browser test checks on every page it photographs: a full-page screenshot,
no sideways scroll at the viewport, and (on a Chinese page) no raw code and no
untranslated English among the words a person reads."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.support.console_pages import codes_to_flag, english_ids_translated_in_zh, problems


@dataclasses.dataclass(frozen=True)
class PageReview:
    folder: Path
    english_ids: set[str]
    codes: set[str]

    def look(self, page, name: str, locale: str = "zh") -> list[str]:
        """Screenshot `name` into the folder; what is wrong with the page."""
        self.folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth")
        found = [f"{name}: {wide} px too wide"] if wide > 0 else []
        if locale != "zh":
            return found
        nodes = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
        return found + [f"{name}: {problem}"
                        for problem in problems(nodes, "zh", self.english_ids, self.codes)]


def page_review(stack, folder: Path) -> PageReview:
    """A review for pages of the console `stack` (tests.support.console_stack): the
    codes to flag are the ones its own app's catalogue translates."""
    from agent_console import create_app
    from hotline.settings import load_settings

    app = create_app(dataclasses.replace(load_settings(), database_url=stack.database_url,
                                         redis_url=stack.redis_url), testing=True)
    return PageReview(folder, english_ids_translated_in_zh(), codes_to_flag(app, "zh"))
