"""Append `# expect: <rule-id>` markers to generated YAML fixtures.

The Rust test harness treats every line ending in `# expect: <ids>` as a place where
those rules' findings must start. Generated YAML comes from real SDKs (kfp, hera), so we
cannot write markers into it by hand: instead each pipeline source declares

    EXPECT = [(anchor, path, rule_id), ...]

and this module finds the line each entry points at and appends the marker there.

* `anchor` names the step. The caller supplies `resolve_anchor(documents, anchor)`,
  which returns the YAML node for it (a KFP executor, an Argo template).
* `path` walks down from that node, `/`-separated. A segment is either a mapping key
  (`container`, `resources`, `limits`, `image`) or a key followed by `[name]`, which
  selects the item of that list whose `name` is `name` (`sidecars[otel]`,
  `containers[train]`). An empty path means the anchor node itself.
* The marked line is where the last segment starts: the key's line for a key, and the
  item's first line (the `- name: ...` line) for a `[name]` selection.

Line numbers come from PyYAML's composer (node start marks), not from scanning text, so a
key-looking line inside a folded double-quoted Python source can never be picked.
"""

import re
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import yaml

Expectation = Tuple[str, str, str]
Resolver = Callable[[List[yaml.Node], str], yaml.Node]

_SEGMENT = re.compile(r"^(?P<key>[^\[\]/]+)(?:\[(?P<item>[^\[\]]+)\])?$")
# What the Rust harness accepts; used to re-read our own output as a cross-check.
_MARKER = re.compile(r"#\s*expect:\s*(?P<ids>[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*$")


class MarkerError(Exception):
    """An EXPECT entry that does not point at exactly one safe line."""


def mapping_get(node: yaml.Node, key: str) -> Optional[Tuple[yaml.Node, yaml.Node]]:
    """(key node, value node) of `key` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def list_item_named(node: yaml.Node, name: str) -> Optional[yaml.Node]:
    """The mapping item of a sequence node whose `name` scalar equals `name`."""
    if not isinstance(node, yaml.SequenceNode):
        return None
    for item in node.value:
        found = mapping_get(item, "name")
        if found and isinstance(found[1], yaml.ScalarNode) and found[1].value == name:
            return item
    return None


def _target_line(anchor_node: yaml.Node, path: str, where: str) -> int:
    """0-based line of the node that `path` selects below `anchor_node`."""
    node = anchor_node
    line = anchor_node.start_mark.line
    for segment in filter(None, path.split("/")):
        m = _SEGMENT.match(segment)
        if not m:
            raise MarkerError(f"{where}: bad path segment {segment!r}")
        found = mapping_get(node, m["key"])
        if found is None:
            raise MarkerError(f"{where}: no key {m['key']!r}")
        key_node, node = found
        line = key_node.start_mark.line
        if m["item"] is not None:
            node = list_item_named(node, m["item"])
            if node is None:
                raise MarkerError(f"{where}: no item named {m['item']!r} in {m['key']!r}")
            # A block mapping item starts at its first key, on the `- ` line.
            line = node.start_mark.line
    return line


def _scalars(node: yaml.Node) -> Iterable[yaml.ScalarNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            yield n
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))


def _last_line(s: yaml.ScalarNode) -> int:
    """0-based line of a scalar's last character.

    A block scalar's end mark sits at column 0 of the line after its last line of
    content (its line break belongs to it), which is not part of the scalar's text.
    """
    if s.end_mark.line > s.start_mark.line and s.end_mark.column == 0:
        return s.end_mark.line - 1
    return s.end_mark.line


def _check_safe(documents: Sequence[yaml.Node], line: int, text_line: str, where: str) -> None:
    """Refuse lines where an appended comment would change the data or break the YAML.

    Safe means: the line's last token is a single-line plain or single-quoted scalar
    (a key with nothing after its colon ends in the key scalar itself). Anything that is
    inside, or starts, a multi-line scalar (double-quoted Python source, `|` blocks) or a
    flow collection is rejected.
    """
    if "#" in text_line:
        raise MarkerError(f"{where}: line {line + 1} already has a '#': {text_line!r}")
    last = None
    for doc in documents:
        for s in _scalars(doc):
            end = _last_line(s)
            if not s.start_mark.line <= line <= end:
                continue
            if s.start_mark.line != end:
                raise MarkerError(
                    f"{where}: line {line + 1} is inside a multi-line scalar"
                    f" (lines {s.start_mark.line + 1}-{end + 1})"
                )
            if s.style not in (None, "'"):
                raise MarkerError(f"{where}: line {line + 1} ends in a {s.style}-style scalar")
            if last is None or s.end_mark.column > last.end_mark.column:
                last = s
    if last is None or last.end_mark.column != len(text_line.rstrip()) - (
        1 if text_line.rstrip().endswith(":") else 0
    ):
        raise MarkerError(f"{where}: line {line + 1} does not end in a scalar: {text_line!r}")


def annotate(text: str, expectations: Sequence[Expectation], resolve_anchor: Resolver) -> str:
    """Return `text` with `  # expect: ...` appended to the lines EXPECT points at."""
    documents = list(yaml.compose_all(text))
    lines = text.split("\n")
    wanted = {}  # line -> rule ids, in EXPECT order
    for anchor, path, rule in expectations:
        where = f"EXPECT ({anchor!r}, {path!r}, {rule!r})"
        line = _target_line(resolve_anchor(documents, anchor), path, where)
        _check_safe(documents, line, lines[line], where)
        rules = wanted.setdefault(line, [])
        if rule in rules:
            raise MarkerError(f"{where}: line {line + 1} is already marked for {rule}")
        rules.append(rule)

    for line, rules in wanted.items():
        lines[line] = f"{lines[line]}  # expect: {', '.join(rules)}"
    annotated = "\n".join(lines)

    # The markers are comments: the data must not change by a single value.
    if list(yaml.safe_load_all(annotated)) != list(yaml.safe_load_all(text)):
        raise MarkerError("annotated YAML parses to different data than the original")
    # And the harness must read back exactly what we meant to write.
    read_back = {
        (i, rule.strip())
        for i, text_line in enumerate(annotated.split("\n"))
        if (m := _MARKER.search(text_line))
        for rule in m["ids"].split(",")
    }
    if read_back != {(line, rule) for line, rules in wanted.items() for rule in rules}:
        raise MarkerError("markers read back differ from the ones written")
    return annotated


def marker_lines(text: str) -> List[str]:
    """`<line>: <text>` for each marked line, for the drivers' summary output."""
    return [f"{i}: {t.strip()}" for i, t in enumerate(text.split("\n"), 1) if _MARKER.search(t)]
