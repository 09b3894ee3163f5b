"""The documentation: every "docs/theory.md §…" citation in the package, its tests and benchmarks
and the README lands on a section of docs/theory.md, every relative link in docs/, benchmarks/
and the README points at a file and anchor that exist, and the site builds with MkDocs in strict
mode (no warnings)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
CITATION = "docs/theory.md"
# a section number after "§": "§2.2", "§5", "§6 B"; ranges "§5.1–§5.4", "§3.2–3.3", "§6 B–C"
SECTION = re.compile(r"§\s?(\d+)(?:\.(\d+))?(?: ([A-J])\b)?"
                     r"(?:\s?[–-]\s?(?:§\s?)?(?:(\d+)(?:\.(\d+))?|([A-J])\b))?")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBERED = re.compile(r"(\d+)(?:\.(\d+))?(?: ([A-J]))?(?=[ :])")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


# ------------------------------------------------------------------------------ helpers

def _prose_lines(path: Path):
    """The lines of a markdown file outside fenced code blocks."""
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
        elif not in_code:
            yield line


def _headings(path: Path) -> list[str]:
    """The ATX headings of a markdown file, outside fenced code blocks."""
    return [match.group(2) for match in map(HEADING.match, _prose_lines(path)) if match]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading, which mkdocs.yml also uses (pymdownx.slugs, lowercase):
    lowercase, characters other than word characters, spaces and hyphens dropped, spaces to
    hyphens."""
    text = re.sub(r"</?[^>]*>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, seen = set(), {}
    for heading in _headings(path):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def _sections(path: Path) -> set[tuple]:
    """(number, sub-number or None, letter or None) of every numbered heading."""
    sections = set()
    for heading in _headings(path):
        match = NUMBERED.match(heading)
        if match:
            major, minor, letter = match.groups()
            sections.add((int(major), None if minor is None else int(minor), letter))
    return sections


def _cited(window: str) -> list[tuple]:
    """The sections a citation names: every (major, minor, letter), ranges expanded."""
    wanted = []
    for match in SECTION.finditer(window):
        major, minor, letter, end_major, end_minor, end_letter = match.groups()
        major = int(major)
        minor = None if minor is None else int(minor)
        if end_letter is not None and letter is not None:  # "§6 B–C"
            wanted += [(major, None, chr(c)) for c in range(ord(letter), ord(end_letter) + 1)]
        elif end_major is not None and end_minor is None and minor is not None:  # "§3.2–3.3"
            wanted += [(major, m, None) for m in range(minor, int(end_major) + 1)]
        elif end_major is not None and minor is not None:  # "§5.1–§5.4"
            assert int(end_major) == major, f"a range across sections: {match.group(0)!r}"
            wanted += [(major, m, None) for m in range(minor, int(end_minor) + 1)]
        elif end_major is not None:  # "§2–§5"
            wanted += [(m, None, None) for m in range(major, int(end_major) + 1)]
        else:
            wanted.append((major, minor, letter))
    return wanted


def _normalised(text: str) -> str:
    """Source text with string literals that continue on the next line joined ("...(docs/
    theory.md "⏎ "§2.5)" reads "docs/theory.md §2.5") and line breaks of docstrings and
    comments turned into spaces."""
    text = re.sub(r"[\"']\s*\n\s*f?[\"']", "", text)
    return re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)


def _citations(text: str) -> list[tuple[str, list[tuple]]]:
    """Every citation of docs/theory.md in ``text``: (its text, the sections it names). A
    citation runs from "docs/theory.md" to the closing parenthesis, a blank line or 80
    characters, whichever comes first."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = _normalised(paragraph)
        for match in re.finditer(re.escape(CITATION), flat):
            window = flat[match.end():match.end() + 80].split(")")[0]
            found.append((CITATION + window, _cited(window)))
    return found


def _missing(citations, sections) -> list[str]:
    """What is wrong with each citation: a section that docs/theory.md lacks, or a section
    number written without "§" (which the check would not see)."""
    unreadable = [f"{text!r} gives a section without §" for text, _ in citations
                  if re.match(r"\s*(?:sections?\s+)?\d", text[len(CITATION):])]
    return unreadable + [f"{text!r} names §{major}{'' if minor is None else f'.{minor}'}"
                         f"{'' if letter is None else f' {letter}'}"
                         for text, wanted in citations for major, minor, letter in wanted
                         if (major, minor, letter) not in sections]


def _cited_files() -> list[Path]:
    """The package, its tests, benchmarks and examples (this file's examples aside) and the
    README."""
    this = Path(__file__).name
    tests = [path for path in sorted((ROOT / "tests").glob("*.py")) if path.name != this]
    benchmarks = sorted((ROOT / "benchmarks").glob("*.py")) + sorted(
        (ROOT / "benchmarks").glob("*.md"))
    examples = sorted((ROOT / "examples").glob("*.py"))
    return [*sorted((ROOT / "semjax").rglob("*.py")), *tests, *benchmarks, *examples,
            ROOT / "README.md"]


def _markdown_files() -> list[Path]:
    return [*sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "benchmarks").glob("*.md")),
            ROOT / "examples" / "README.md", ROOT / "README.md"]


def _links(path: Path) -> list[str]:
    """Link targets of a markdown file, outside fenced code blocks and inline code."""
    targets = []
    for line in _prose_lines(path):
        targets += LINK.findall(re.sub(r"`[^`]*`", "", line))
    return targets


# -------------------------------------------------------------------------------- tests

def test_every_theory_citation_lands_on_a_section():
    sections = _sections(THEORY)
    citations = [(f"{path.relative_to(ROOT)}: {text}", wanted) for path in _cited_files()
                 for text, wanted in _citations(path.read_text(encoding="utf-8"))]
    assert len(citations) >= 100, f"only {len(citations)} citations found: the parser is broken"
    assert sum(len(wanted) for _, wanted in citations) >= 100
    missing = _missing(citations, sections)
    assert not missing, "citations of sections that docs/theory.md lacks:\n" + "\n".join(missing)
    stale = [f"{path.relative_to(ROOT)}:{number}" for path in _cited_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"(?<!docs/)\btheory\.md\b", line)]
    assert not stale, "citations of a theory.md outside docs/: " + ", ".join(stale)


def test_the_citation_checker_catches_what_it_should():
    sections = {(2, 2, None), (3, None, None), (3, 2, None), (3, 3, None), (6, None, "B"),
                (6, None, "C")}
    good = ('"""(docs/theory.md §2.2) and (docs/theory.md §3.2–3.3, §6 B–C)."""\n'
            'f"closed form (docs/theory.md "\n    "§3). Whiten"')
    assert not _missing(_citations(good), sections)
    for bad, name in (("(docs/theory.md §2.3)", "§2.3"), ("(docs/theory.md §6 D)", "§6 D"),
                      ("(docs/theory.md §3.2–3.4)", "§3.4"), ("(docs/theory.md §2–§3)", "§2"),
                      ('(docs/theory.md "\n "§9.1)', "§9.1"),
                      ("(docs/theory.md section 2.2)", "without §"),
                      ("(docs/theory.md 2.2)", "without §")):
        missing = _missing(_citations(bad), sections)
        assert missing and name in missing[-1], (bad, missing)


def test_relative_links_in_docs_and_readme_resolve():
    broken, checked = [], 0
    for path in _markdown_files():
        for target in _links(path):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            checked += 1
            if not linked.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert checked >= 20, f"only {checked} links checked: the parser is broken"
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_slugs_follow_githubs_rule():
    assert _slug("2.2 The sigmoidal trajectory a(t)") == "22-the-sigmoidal-trajectory-at"
    assert _slug("3 Exact solutions from λ-balanced starts") == (
        "3-exact-solutions-from-λ-balanced-starts")
    assert _slug("6 B: The SVD of an environment") == "6-b-the-svd-of-an-environment"


DOCS_MODULES = {"mkdocs": "mkdocs", "mkdocstrings_handlers.python": "mkdocstrings[python]",
                "griffe_public_redundant_aliases": "griffe-public-redundant-aliases",
                "pymdownx": "pymdown-extensions"}


def test_the_site_builds_in_strict_mode_without_warnings(tmp_path):
    absent = [package for module, package in DOCS_MODULES.items()
              if importlib.util.find_spec(module.split(".")[0]) is None
              or importlib.util.find_spec(module) is None]
    if absent:
        pytest.skip(f"the documentation tools are not installed ({', '.join(absent)}): "
                    'pip install -e ".[docs]"')
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)
    for page in ("index.html", "theory/index.html", "howto/sweeps/index.html",
                 "api/theory/index.html", "api/readouts/index.html"):
        assert (tmp_path / "site" / page).exists(), page
    reference = (tmp_path / "site" / "api" / "theory" / "index.html").read_text(encoding="utf-8")
    assert 'id="semjax.theory.effective_a0"' in reference  # the API is generated, not empty


def test_the_readme_tables_are_those_of_the_benchmarks_json():
    """The README's measured tables are generated from benchmarks/results/*.json
    (benchmarks/readme_tables.py), so they cannot drift from what was measured."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_tables.py"),
                             "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
