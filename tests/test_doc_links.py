"""Every relative link in README.md, BENCHMARKS.md and docs/*.md reaches a file, and every
``#anchor`` a heading of it (GitHub's heading slugs). The guides link into the long reference
pages by section, so a renamed heading must not leave a reader at the top of a 3,000-line page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
_md = MarkdownIt("commonmark")


def _slug(text: str) -> str:
    """GitHub's anchor for a heading's rendered text: lower case, punctuation other than '-'
    and '_' removed, each space a '-'."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _text(inline: Token) -> str:
    return "".join(t.content for t in inline.children or [] if t.type in ("text", "code_inline"))


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, repeated slugs numbered -1, -2, ... as GitHub does."""
    tokens = _md.parse(page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            base = _slug(_text(tokens[i + 1]))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(page: Path) -> list[str]:
    """Relative link targets of a page (code blocks and inline code are not links)."""
    out = []
    for tok in _md.parse(page.read_text(encoding="utf-8")):
        for child in tok.children or []:
            if child.type in ("link_open", "image"):
                target = str(child.attrs.get("href") or child.attrs.get("src") or "")
                if target and not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    out.append(target)
    return out


def test_the_slug_of_a_heading_with_code_and_punctuation_is_githubs() -> None:
    page = "## Known-in-advance values (`--future`)\n\n## A, b: c\n\n## A, b: c\n"
    tokens = _md.parse(page)
    heads = [_slug(_text(tokens[i + 1])) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert heads == ["known-in-advance-values---future", "a-b-c", "a-b-c"]


def test_a_link_to_a_missing_heading_is_found(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\nSee [b](b.md#nowhere) and [t](#title).\n")
    (tmp_path / "b.md").write_text("# Somewhere\n")
    assert _broken(tmp_path / "a.md") == ["b.md#nowhere: no heading 'nowhere' in b.md"]


def _broken(page: Path) -> list[str]:
    problems = []
    for target in links(page):
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            problems.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading '{anchor}' in {dest.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_reaches_its_file_and_heading(page: Path) -> None:
    assert _broken(page) == [], f"{page.relative_to(ROOT)}: broken links"
