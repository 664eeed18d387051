"""`python -m shared preview`: every template rendered, and the committed docs/previews kept in step."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.notify.render.cards import TEMPLATES
from shared.tools import cli, preview

DOCS = Path(__file__).resolve().parents[2] / "docs" / "previews"


def test_preview_writes_card_and_email_files_for_every_template(tmp_path: Path) -> None:
    assert cli.main(["preview", "--out", str(tmp_path)]) == 0

    for template in TEMPLATES:
        for suffix in ("card.json", "card.html", "email.html", "email.txt"):
            assert (tmp_path / f"{template}.{suffix}").stat().st_size > 0
    assert (tmp_path / "index.html").exists()


def test_the_committed_previews_match_what_the_code_renders(tmp_path: Path) -> None:
    written = preview.write(tmp_path)

    stale = [p.name for p in written if (DOCS / p.name).read_text(encoding="utf-8") != p.read_text(encoding="utf-8")]
    assert not stale, f"run `python -m shared preview` to refresh docs/previews: {stale}"
