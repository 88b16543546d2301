"""Render decoded spans as a waterfall a person can read at a glance."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lambda_otel_lite.local.decode import DecodedSpan

_BAR_WIDTH = 24


def _bar(span: DecodedSpan, start: int, total: int) -> str:
    if total <= 0:
        return "█".ljust(_BAR_WIDTH)
    offset = round((span.start_time_unix_nano - start) / total * _BAR_WIDTH)
    width = max(1, round((span.end_time_unix_nano - span.start_time_unix_nano) / total * _BAR_WIDTH))
    offset = min(offset, _BAR_WIDTH - 1)
    return (" " * offset + "█" * min(width, _BAR_WIDTH - offset)).ljust(_BAR_WIDTH)


def _walk(
    span: DecodedSpan,
    depth: int,
    children: dict[str | None, list[DecodedSpan]],
    window: tuple[int, int],
    attributes: bool,
    lines: list[str],
) -> None:
    status = (
        ""
        if span.status == "UNSET"
        else f"  [{span.status}{': ' + span.status_message if span.status_message else ''}]"
    )
    remote = "  (parent " + span.parent_span_id + ")" if depth == 0 and span.parent_span_id else ""
    label = "  " * depth + span.name
    lines.append(f"  {_bar(span, *window)} {span.duration_ms:9.2f} ms  {label}  {span.kind}{status}{remote}")
    pad = " " * (_BAR_WIDTH + 18) + "  " * depth
    if attributes:
        lines.extend(f"{pad}  {key}={value!r}" for key, value in span.attributes.items())
    lines.extend(f"{pad}  -> link {link.trace_id}/{link.span_id}" for link in span.links)
    for child in children.get(span.span_id, []):
        _walk(child, depth + 1, children, window, attributes, lines)


def render_tree(spans: Iterable[DecodedSpan], *, attributes: bool = True) -> str:
    """One block per trace: each span indented under its parent, with a timing bar and duration."""
    by_trace: dict[str, list[DecodedSpan]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    blocks: list[str] = []
    for trace_id, members in by_trace.items():
        ids = {span.span_id for span in members}
        children: dict[str | None, list[DecodedSpan]] = defaultdict(list)
        for span in members:
            children[span.parent_span_id if span.parent_span_id in ids else None].append(span)
        for group in children.values():
            group.sort(key=lambda s: s.start_time_unix_nano)
        start = min(s.start_time_unix_nano for s in members)
        window = (start, max(s.end_time_unix_nano for s in members) - start)
        lines = [f"trace {trace_id}"]
        for root in children.get(None, []):
            _walk(root, 0, children, window, attributes, lines)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
