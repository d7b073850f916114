"""A clone is all a newcomer has: every link in the README and ``docs/`` resolves inside it, and every
``docs/ignite-contract.md §N`` the code cites is a section of that page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "ignite-contract.md"

#: ``[text](target)`` and ``![alt](target)``; the target ends at whitespace or ``)``
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: a citation and the sections chained to it: ``docs/ignite-contract.md §1.5 to §1.8``, ``… §1.1, §1.2``
CITATION = re.compile(r"ignite-contract\.md\)? (§\d+(?:\.\d+)*(?:(?:,| to| and|/) ?§\d+(?:\.\d+)*)*)")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{2,6} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
#: a repository path quoted in code style: `sync/engine/push.py`, `platforms/woocommerce/addresses`
CODE_PATH = re.compile(
    r"`((?:endpoints|sync|storefront|connections|platforms|sparklayer|ignite_bridge|sandbox|docs|tests|bench|scripts"
    r"|examples)/[A-Za-z0-9_./-]*)`"
)
#: citations of documents a clone does not have
OUTSIDE = re.compile(r"\.\./shared|sparklayer-reference|woocommerce\.md §|\b(?:reference|spec) §|\b[Cc]ontract §")


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines() if line and (ROOT / line).is_file()]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def contract_sections() -> set[str]:
    return set(HEADING.findall(CONTRACT.read_text()))


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # an absolute URL (http:, mailto:) or an anchor on the same page
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_quoted_as_code_exists(document: Path) -> None:
    missing = []
    for quoted in CODE_PATH.findall(document.read_text()):
        path = ROOT / quoted.rstrip("/.")
        if not (path.exists() or path.with_name(path.name + ".py").exists()):
            missing.append(quoted)
    assert missing == []


def test_the_link_pattern_finds_links_and_images() -> None:
    text = "see [the design](docs/sync-design.md#why) and ![shot](docs/x.png) or [web](https://a.b)"
    assert LINK.findall(text) == ["docs/sync-design.md#why", "docs/x.png", "https://a.b"]


def test_the_contract_page_numbers_its_sections() -> None:
    sections = contract_sections()
    assert {"1", "2", "3"} <= sections
    assert {f"1.{n}" for n in range(1, 10)} <= sections


def test_every_cited_contract_section_exists() -> None:
    sections = contract_sections()
    missing = []
    for path in tracked("*.py", "*.md", "*.html", "*.txt"):
        for chain in CITATION.findall(path.read_text(errors="replace")):
            missing += [f"{path.relative_to(ROOT)}: §{s}" for s in SECTION.findall(chain) if s not in sections]
    assert missing == []


def test_the_citation_pattern_reads_chains() -> None:
    found = CITATION.findall("(docs/ignite-contract.md §1.5 to §1.8) and (docs/ignite-contract.md §1.1, §1.2)")
    assert [SECTION.findall(chain) for chain in found] == [["1.5", "1.8"], ["1.1", "1.2"]]


def test_nothing_cites_a_document_outside_the_repository() -> None:
    outside = []
    for path in tracked("*.py", "*.md", "*.html", "*.txt", "*.toml", "*.yml", "*.cfg"):
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                outside.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert outside == []
