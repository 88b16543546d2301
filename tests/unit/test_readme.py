"""The README's attribute table says what docs/attributes.md and the sources say."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_row(attribute: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^\| `{re.escape(attribute)}` \| (.+) \|$", text, re.MULTILINE)
    assert match is not None, f"no README row for {attribute}"
    return match[1]


def test_the_faas_trigger_row_names_every_trigger_value_the_sources_set() -> None:
    from lambda_otel_lite.sources import KEYS, source_for_key

    triggers: set[str] = set()
    for key in KEYS:
        source = source_for_key(key)
        assert source is not None
        triggers.add(source.trigger)
    triggers |= {"timer", "datasource"}  # EventBridge's scheduled and S3 events
    row = readme_row("faas.trigger")
    attributes_page = (ROOT / "docs" / "attributes.md").read_text()
    for trigger in sorted(triggers):
        assert f"`{trigger}`" in row, f"README: faas.trigger {trigger!r} is missing"
        assert f"`{trigger}`" in attributes_page, f"docs/attributes.md: faas.trigger {trigger!r} is missing"
