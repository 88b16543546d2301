"""The documentation site's sources: every code block is included from a file under examples/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SNIPPET = re.compile(r'^--8<-- "(examples/[^":]+)(?::([\w-]+))?"$')


def test_there_are_pages() -> None:
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_code_block_is_a_snippet_of_an_existing_example_file(page: Path) -> None:
    problems = []
    for language, body in FENCE.findall(page.read_text()):
        if language == "mermaid":  # a diagram, not code
            continue
        for line in body.strip().splitlines():
            match = SNIPPET.match(line)
            if match is None:
                problems.append(f"typed, not included: {line!r}")
                continue
            path, section = ROOT / match[1], match[2]
            if not path.is_file():
                problems.append(f"no such file: {match[1]}")
            elif section and f"--8<-- [start:{section}]" not in path.read_text():
                problems.append(f"no section {section!r} in {match[1]}")
    assert problems == []


def _public_callables() -> list[tuple[str, object]]:
    import lambda_otel_lite
    import lambda_otel_lite.testing

    return [
        (f"{module.__name__}.{name}", getattr(module, name))
        for module in (lambda_otel_lite, lambda_otel_lite.testing)
        for name in module.__all__
        if callable(getattr(module, name))
    ]


@pytest.mark.parametrize(
    ("name", "value"), _public_callables(), ids=lambda item: str(item) if isinstance(item, str) else ""
)
def test_every_public_callable_documents_an_example(name: str, value: object) -> None:
    import inspect

    assert "Example:" in (inspect.getdoc(value) or ""), name


def test_the_trigger_table_of_the_attribute_reference_is_what_the_code_emits() -> None:
    """docs/attributes.md's trigger table, rendered from real handlers over every sample event in both
    namings (``python -m tests.attributes_table`` rewrites it)."""
    from pathlib import Path

    from tests.attributes_table import PAGE, page_table, render

    assert page_table(Path(PAGE).read_text()) == render(), "run: python -m tests.attributes_table"
