"""The documentation: every "docs/theory.md §…" citation in the package, its tests and benchmarks
and the README lands on a section of docs/theory.md, every relative link in docs/, benchmarks/
and the README points at a file and anchor that exist, and the site builds with MkDocs in strict
mode (no warnings), once for the module. On the built site: every gallery figure is shown, on
the Gallery page and on the pages whose "Figure" section names it; every tutorial with its code
and figure; the API pages with their summaries and working links to the theory. Also: every
public function and class has an API entry, the tests the docs name exist, CITATION.cff agrees
with pyproject.toml, the Examples of the most used functions run (doctest), and the README's
schedule and gated-network examples run as pasted into a fresh interpreter."""

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


def _generated_anchors(path: Path) -> set[str]:
    """Anchors a page gets when the site is built: the Gallery's sections are the figures of
    `semjax.gallery.FIGURES` (docs/_hooks.py)."""
    if path == ROOT / "docs" / "gallery.md":
        from semjax.gallery import FIGURES
        return set(FIGURES)
    return set()


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
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked) | (
                    _generated_anchors(linked)):
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once in strict mode (skipped without the docs extra): its folder, and
    the output of ``mkdocs build``."""
    absent = [package for module, package in DOCS_MODULES.items()
              if importlib.util.find_spec(module.split(".")[0]) is None
              or importlib.util.find_spec(module) is None]
    if absent:
        pytest.skip(f"the documentation tools are not installed ({', '.join(absent)}): "
                    'pip install -e ".[docs]"')
    folder = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    return folder, result


def test_the_site_builds_in_strict_mode_without_warnings(site):
    folder, result = site
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)
    for page in ("index.html", "theory/index.html", "howto/sweeps/index.html",
                 "api/theory/index.html", "api/readouts/index.html", "gallery/index.html",
                 "paper-map/index.html", "getting-started/index.html", "citing/index.html",
                 "changelog/index.html", "tutorials/index.html"):
        assert (folder / page).exists(), page
    reference = (folder / "api" / "theory" / "index.html").read_text(encoding="utf-8")
    assert 'id="semjax.theory.effective_a0"' in reference  # the API is generated, not empty


def _built(site, page: str) -> str:
    folder, result = site
    if result.returncode != 0:
        pytest.fail("the site did not build (test_the_site_builds_in_strict_mode_without_warnings)")
    return (folder / page).read_text(encoding="utf-8")


def _images(site, page: str) -> set[str]:
    """The files (relative to the site) that the <img> tags of a built page show, if they
    exist."""
    folder = site[0]
    html = _built(site, page)
    here = (folder / page).parent
    shown = set()
    for source in re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", html):
        path = (here / source).resolve()
        if path.is_file():
            shown.add(path.relative_to(folder.resolve()).as_posix())
    return shown


def _figure_section(path: Path) -> str:
    """The text of a page's "## Figure" section (to the next "## " heading)."""
    match = re.search(r"^## Figure\n(.*?)(?=^## |\Z)", path.read_text(encoding="utf-8"),
                      flags=re.M | re.S)
    return match.group(1) if match else ""


def _gallery_files() -> dict[str, str]:
    """Each figure of the gallery's registry → its file in figures/ (PNG, or GIF)."""
    from semjax.gallery import FIGURES

    files = {}
    for name in FIGURES:
        found = [f"figures/{name}{suffix}" for suffix in (".png", ".gif")
                 if (ROOT / "figures" / f"{name}{suffix}").is_file()]
        assert found, f"the gallery's figure {name!r} has no file in figures/ (semjax figures)"
        files[name] = found[0]
    return files


def test_every_gallery_figure_is_shown_on_the_site(site):
    """Every figure of `semjax.gallery.FIGURES` is an <img> of the Gallery page whose file
    exists in the built site, and every figure a page's "Figure" section names is shown on
    that page (the phenomenon pages, schedules, teacher–student)."""
    files = _gallery_files()
    missing = sorted(set(files.values()) - _images(site, "gallery/index.html"))
    assert not missing, f"gallery figures not shown on the Gallery page: {missing}"
    checked = 0
    for page in sorted((ROOT / "docs").rglob("*.md")):
        named = set(re.findall(r"figures/[\w/]+\.(?:png|gif)", _figure_section(page)))
        if not named:
            continue
        built = page.relative_to(ROOT / "docs").with_suffix("").as_posix() + "/index.html"
        missing = sorted(named - _images(site, built))
        assert not missing, f"{page.relative_to(ROOT)} names {missing} but does not show them"
        checked += len(named)
    assert checked >= 15, f"only {checked} figures checked on their pages: the parser is broken"
    on_pages = {name for page in (ROOT / "docs").rglob("*.md")
                for name in re.findall(r"figures/(\w+)\.(?:png|gif)", _figure_section(page))}
    assert len(on_pages & set(files)) >= 15, sorted(set(files) - on_pages)


def test_every_tutorial_is_on_the_site_with_its_code_and_figure(site):
    scripts = sorted((ROOT / "examples").glob("*.py"))
    assert len(scripts) >= 4
    index = _built(site, "tutorials/index.html")
    for script in scripts:
        page = f"tutorials/{script.stem}/index.html"
        assert f"tutorials/{script.stem}.png" in " ".join(_images(site, page)), (
            f"{page} does not show figures/tutorials/{script.stem}.png: redraw it with "
            f"python examples/{script.name} --out figures/tutorials")
        assert "def main(" in _built(site, page), f"{page} lacks the script's code"
        assert f'href="{script.stem}/"' in index, f"the tutorials' index does not link {page}"


def test_api_pages_have_summaries_and_link_the_theory(site):
    """Each API page opens with summary tables that link its entries, and every
    "docs/theory.md §x" a docstring cites links to a section that exists."""
    sections = set(re.findall(r'\bid="([^"]+)"', _built(site, "theory/index.html")))
    linked = 0
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        html = _built(site, f"api/{page.stem}/index.html")
        main = html[html.index('role="main"'):]  # after the navigation, which links sections too
        assert "<table>" in main and 'class="autorefs autorefs-internal"' in main, page.name
        anchors = re.findall(r'href="\.\./\.\./theory/#([^"]+)"', main)
        wrong = sorted(set(anchors) - sections)
        assert not wrong, f"api/{page.stem} links theory sections that do not exist: {wrong}"
        linked += len(anchors)
    assert linked >= 50, f"only {linked} theory links on the API pages"


def _documented() -> dict[str, set[str]]:
    """Module → the names its API page documents (``::: module.name``), for the modules whose
    page documents them one by one."""
    documented: dict[str, set[str]] = {}
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for module in re.findall(r"^::: ([\w.]+)\n    options:\n      members: false", text,
                                 flags=re.M):
            documented[module] = set(re.findall(rf"^::: {re.escape(module)}\.(\w+)$", text,
                                                flags=re.M))
    return documented


def test_every_public_function_and_class_has_an_api_entry():
    import importlib
    import inspect

    documented = _documented()
    assert {"semjax.theory", "semjax.analysis", "semjax.dynamics"} <= set(documented)
    missing, unknown = [], []
    for module_name, names in documented.items():
        module = importlib.import_module(module_name)
        public = getattr(module, "__all__", None) or [
            name for name in dir(module) if not name.startswith("_")]
        for name in public:
            obj = getattr(module, name)
            if ((inspect.isfunction(obj) or inspect.isclass(obj))
                    and getattr(obj, "__module__", "").startswith(module_name)
                    and name not in names):
                missing.append(f"{module_name}.{name}")
        unknown += [f"{module_name}.{name}" for name in names if not hasattr(module, name)]
    assert not missing, ("public functions or classes missing from docs/api/ (add a line "
                         "'::: module.name' under a topic): " + ", ".join(missing))
    assert not unknown, "docs/api/ documents names that do not exist: " + ", ".join(unknown)


NOT_TESTS = {"test_error"}  # TeacherStudent.test_error, a method that docs/teacher-student.md names


def test_the_tests_the_docs_name_exist():
    defined = {name for path in (ROOT / "tests").glob("*.py")
               for name in re.findall(r"^\s*def (test_\w+)", path.read_text(encoding="utf-8"),
                                      flags=re.M)}
    named = {(path.relative_to(ROOT).as_posix(), name) for path in _markdown_files()
             for name in re.findall(r"`(test_\w+)`", path.read_text(encoding="utf-8"))}
    assert len(named) >= 100, f"only {len(named)} test names found: the parser is broken"
    missing = sorted(f"{path}: {name}" for path, name in named
                     if name not in defined and name not in NOT_TESTS)
    assert not missing, "the docs name tests that do not exist:\n" + "\n".join(missing)


def test_citation_metadata_agree_with_the_package():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    yaml = pytest.importorskip("yaml")  # with the docs extra (mkdocs)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert str(citation["version"]) == project["version"]
    assert citation["license"] == project["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert [author["name"] for author in citation["authors"]] == [
        author["name"] for author in project["authors"]]
    assert "10.1073/pnas.1820226116" in {ref.get("doi") for ref in citation["references"]}


DOCTESTED = ("semjax.simulate", "semjax.train", "semjax.Task.from_dataset",
             "semjax.theory.mode_strength", "semjax.theory.half_time",
             "semjax.theory.trajectory", "semjax.compare", "semjax.analysis.crossing_times")


@pytest.mark.parametrize("name", DOCTESTED)
def test_docstring_examples_run(name):
    """The Examples of the most used functions run and print what they show (the functions
    share their compilations, so the eight take a few seconds together)."""
    import doctest
    import importlib

    module, _, attribute = name.partition(".")
    obj = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    tests = doctest.DocTestFinder(recurse=False).find(obj, name, globs={})
    assert tests and tests[0].examples, f"{name} has no Examples section"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
    assert runner.summarize(verbose=False).failed == 0


def test_the_readme_tables_are_those_of_the_benchmarks_json():
    """The README's measured tables are generated from benchmarks/results/*.json
    (benchmarks/readme_tables.py), so they cannot drift from what was measured."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_tables.py"),
                             "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# README sections whose code must run as pasted into a fresh interpreter (after the imports of
# its "Use" section): the schedule example must enable float64 itself (a new user's first
# paste failed), and the gated-network example is new
PASTED_SECTIONS = ("### Task schedules", "### Gated networks")
README_IMPORTS = "import numpy as np\nimport semjax\nfrom semjax import datasets, theory\n"


def _readme_block(heading: str) -> str:
    """The first python block after the README heading that starts with ``heading``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n" + heading):]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def test_readme_examples_run_as_pasted_in_a_fresh_interpreter():
    code = README_IMPORTS + "".join(_readme_block(heading) for heading in PASTED_SECTIONS)
    code += "print('pasted', run.modes.shape, race.pathway_modes.shape)\n"
    # subprocess.run kills the child on a timeout or any exception in this process
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pasted (8, 601, 3, 4) (1, 301, 4, 4)" in result.stdout, result.stdout
