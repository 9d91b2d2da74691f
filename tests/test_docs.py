"""The documentation's links resolve, and the README stays short.

Every relative link in README.md and docs/*.md must point to a file of the repository, and a
link with a #fragment to a heading of that file (GitHub's anchor rules). External links
(http, https, mailto) are not checked.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 260
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)


def prose(text: str) -> str:
    """The text without fenced code blocks or inline code (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """GitHub's anchors of the headings of a Markdown text."""
    found, seen = set(), {}
    for line in FENCE.sub("", text).splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def links(page: Path) -> list[str]:
    return [t for t in LINK.findall(prose(page.read_text(encoding="utf-8")))
            if not re.match(r"(https?|mailto):", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_file() or ROOT.resolve() not in file.parents:
            broken.append(f"{target}: no such file in the repository")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_docs_have_pages():
    assert len(PAGES) > 5


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; keep it at most {README_MAX_LINES}"


def test_the_readme_python_example_runs_as_written():
    """The README's Python block, run from the repository root as it says."""
    import re
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no Python example"
    run = subprocess.run([sys.executable, "-c", block.group(1)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    printed = re.search(r"test error after 2 epochs: ([\d.]+)%\npredicted \[[\d ]+\] labels "
                        r"\[[\d ]+\]\ntest error of the stored net: ([\d.]+)%\non Loihi 2: "
                        r"(\d+) cores\n$", run.stdout)
    assert printed, run.stdout
    trained, stored, cores = printed.groups()
    assert trained == stored, "the stored network must run as the trained one did"
    assert float(trained) < 50 and int(cores) >= 3
