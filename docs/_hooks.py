"""MkDocs hooks (mkdocs.yml, ``hooks:``): what the site shows from outside docs/, without
copies of it in git.

* **Figures.** The gallery's images (``figures/``, with the tutorials' ``figures/tutorials/``)
  are added to the site at the same paths. Pages link to them by their path in the repository
  (``![...](../../figures/x.png)`` from docs/phenomena/), which GitHub shows as it is; here such
  a link is pointed at the added copy, and a link to ``examples/NAME.py`` or
  ``examples/README.md`` at the tutorial's page.
* **Gallery**: the line ``<!-- gallery -->`` of docs/gallery.md becomes every figure of the
  gallery's own registry, `semjax.gallery.FIGURES`, with its function's docstring as the
  caption, the command that redraws it and the pages that discuss it.
* **Tutorials** (``tutorials/``), generated from ``examples/``: examples/README.md as the index,
  then one page per script with its docstring, its figure and its code.
* **API pages** (``docs/api/``): the line ``<!-- summary -->`` becomes one table per topic (the
  page's ``##`` headings) of the objects documented under it, each with the first sentence of
  its docstring; on these and the generated pages every "docs/theory.md §x" a docstring cites
  links to that section.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url
from pymdownx.slugs import slugify

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
EXAMPLES = ROOT / "examples"
SLUG = slugify(case="lower")  # mkdocs.yml's toc slugify (GitHub's rule)
LINK = re.compile(r"(\]\()([^)\s]+)")  # the target of a markdown link or image
FENCED = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", flags=re.M | re.S)  # a fenced block
SECTION = re.compile(r"(\d+)(?:\.(\d+))?(?: ([A-J]))?(?=[ :])")  # "2.2 …", "6 B: …"
CITATION = re.compile(r"docs/theory\.md((?:,?\s+(?:and\s+)?§\s?\d+(?:\.\d+)?(?: [A-J]\b)?"
                      r"(?:\s?[–-]\s?(?:§\s?)?\d+(?:\.\d+)?|\s?[–-]\s?[A-J]\b)?)*)")
CITED = re.compile(r"§\s?(\d+)(?:\.(\d+))?(?: ([A-J])\b)?")


# ------------------------------------------------------------------------------- helpers

def _prose(path: Path) -> list[str]:
    """The lines of a markdown file, its fenced code blocks left out."""
    return FENCED.sub("", path.read_text(encoding="utf-8")).splitlines()


def _title(path: Path) -> str:
    return next(line[2:].strip() for line in _prose(path) if line.startswith("# "))


def _figure(name: str) -> str:
    """The gallery file of figure ``name`` (its PNG, or its GIF for an animation)."""
    return next((f"figures/{name}{suffix}" for suffix in (".png", ".gif")
                 if (FIGURES / f"{name}{suffix}").exists()), f"figures/{name}.png")


def figure_pages(docs: Path) -> dict[str, list[Path]]:
    """Figure file name (``typicality.png``) → the docs pages that name it (``figures/…``)."""
    pages: dict[str, list[Path]] = {}
    for page in sorted(docs.rglob("*.md")):
        for name in dict.fromkeys(re.findall(r"figures/([\w/]+\.(?:png|gif))",
                                             "\n".join(_prose(page)))):
            pages.setdefault(name, []).append(page)
    return pages


def _obj(dotted: str):
    """The object at a dotted path (module, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def _first_sentence(obj) -> str:
    """The first sentence of an object's docstring, on one line, safe in a table cell."""
    paragraph = " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())
    sentence = re.split(r"(?<=[.)])\s+(?=[A-Z])", paragraph)[0].rstrip(":")
    return sentence.replace("|", r"\|")


def _theory_anchors(path: Path) -> dict[tuple, str]:
    """(section, subsection or None, letter or None) → anchor of that heading of theory.md."""
    anchors, seen = {}, {}
    for line in _prose(path):
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = SLUG(heading.group(1), "-")
        anchor = slug if slug not in seen else f"{slug}_{seen[slug]}"
        seen[slug] = seen.get(slug, 0) + 1
        number = SECTION.match(heading.group(1))
        if number:
            major, minor, letter = number.groups()
            anchors[(int(major), minor and int(minor), letter)] = anchor
    return anchors


# ------------------------------------------------------------------------- generated pages

def gallery(docs: Path) -> str:
    """One section per entry of `semjax.gallery.FIGURES`, in its order: the image, its
    function's docstring, the command that redraws it, the pages that discuss it."""
    from semjax.gallery import FIGURES as REGISTRY

    pages = figure_pages(docs)
    out = []
    for name, function in REGISTRY.items():
        image = _figure(name)
        caption, _, details = (inspect.getdoc(function) or "").partition("\n\n")
        caption = " ".join(caption.split())
        out += [f"## {name}", "", f"![The figure {name}]({image})", "", f"**{caption}**", "",
                details, "", f"Redraw: `semjax figures --only {name}` "
                f"(`{function.__module__}.{function.__name__}`)."]
        seen_on = [page for page in pages.get(image.split("/", 1)[1], [])
                   if page.name != "gallery.md"]
        if seen_on:
            out[-1] += " Discussed in " + ", ".join(
                f"[{_title(page)}]({page.relative_to(docs).as_posix()})" for page in seen_on) + "."
        out.append("")
    return "\n".join(out)


def tutorial_pages() -> dict[str, str]:
    """``tutorials/index.md`` (examples/README.md) and ``tutorials/NAME.md`` per script."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    pages = {"tutorials/index.md": re.sub(r"\]\((\w+)\.py\)", r"](\1.md)", readme)}
    for script in sorted(EXAMPLES.glob("*.py")):
        source = script.read_text(encoding="utf-8")
        tree = ast.parse(source)
        title, _, body = (ast.get_docstring(tree) or script.stem).partition("\n\n")
        code = "\n".join(source.splitlines()[tree.body[0].end_lineno:]).strip("\n")
        pages[f"tutorials/{script.stem}.md"] = "\n".join([
            f"# {title}", "", body, "",
            f"![The figure that examples/{script.name} draws]"
            f"(../figures/tutorials/{script.stem}.png)", "",
            f"*The figure of a full run: `python examples/{script.name} --out "
            "figures/tutorials` from the repository root.*", "",
            "## The script", "", f"`examples/{script.name}`, after its docstring (above):", "",
            "```python", code, "```", ""])
    return pages


# ------------------------------------------------------------------------------------ hooks

def on_files(files, config):
    for path in sorted(FIGURES.rglob("*")):
        if path.suffix in (".png", ".gif"):
            files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT),
                              config["site_dir"], config["use_directory_urls"]))
    for uri, content in tutorial_pages().items():
        files.append(File.generated(config, uri, content=content))
    return files


def _repoint(markdown: str, page) -> str:
    """Links from a docs/ file to figures/ or examples/ by repository path, pointed at the
    site's copy (figures) or the tutorial page (examples)."""
    here = Path(page.file.abs_src_path).parent

    def repoint(match):
        target = match.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:|#", target):
            return match.group(0)
        try:
            path = (here / target).resolve().relative_to(ROOT)
        except ValueError:
            return match.group(0)
        if path.parts[0] == "figures":
            uri = path.as_posix()
        elif path.parts[0] == "examples" and path.suffix in (".py", ".md"):
            uri = "tutorials/" + ("index" if path.name == "README.md" else path.stem) + ".md"
        else:
            return match.group(0)
        return match.group(1) + get_relative_url(uri, page.file.src_uri)

    return LINK.sub(repoint, markdown)


def _summary(markdown: str) -> str:
    """``<!-- summary -->`` → a table per ``##`` topic of the ``::: object`` it documents."""
    tables = []
    for section in re.split(r"^## ", markdown, flags=re.M)[1:]:
        heading = section.splitlines()[0].strip()
        names = re.findall(r"^::: ([\w.]+)", section, flags=re.M)
        if names:
            rows = [f"| [`{name.rsplit('.', 1)[1]}`][{name}] | {_first_sentence(_obj(name))} |"
                    for name in names]
            tables.append(f"**[{heading}](#{SLUG(heading, '-')})**\n\n"
                          "| Name | Summary |\n|---|---|\n" + "\n".join(rows))
    return markdown.replace("<!-- summary -->", "\n\n".join(tables))


def on_page_markdown(markdown, page, config, files):
    if page.file.abs_src_path is not None and Path(page.file.abs_src_path).is_file():
        markdown = _repoint(markdown, page)
    if "<!-- summary -->" in markdown:
        markdown = _summary(markdown)
    if "<!-- gallery -->" in markdown:
        markdown = markdown.replace("<!-- gallery -->", gallery(Path(config["docs_dir"])))
    return markdown


def _link_citations(html: str, theory_url: str, anchors: dict) -> str:
    def link(match):
        def section(cited):
            major, minor, letter = cited.groups()
            anchor = anchors.get((int(major), minor and int(minor), letter))
            return f'<a href="{theory_url}#{anchor}">{cited.group(0)}</a>' if anchor else (
                cited.group(0))
        return (f'<a href="{theory_url}">docs/theory.md</a>'
                + CITED.sub(section, match.group(1)))

    # in text only: not in tags (attributes) nor in <pre> (code, redrawn by highlight.js)
    parts = re.split(r"(<pre\b.*?</pre>|<[^>]*>)", html, flags=re.S)
    return "".join(part if part.startswith("<") else CITATION.sub(link, part)
                   for part in parts)


def on_page_content(html, page, config, files):
    if not page.file.src_uri.startswith(("api/", "gallery.md", "tutorials/")):
        return html
    theory = files.get_file_from_path("theory.md")
    anchors = _theory_anchors(Path(theory.abs_src_path))
    return _link_citations(html, get_relative_url(theory.url, page.url), anchors)
