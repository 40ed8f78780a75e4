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
  `containers[train]`, `env[CHECKPOINT_SAVE_SECONDS]`). An empty path means the anchor
  node itself. A key that contains `/` or `~` is written JSON-Pointer style, `~1` for `/`
  and `~0` for `~` (`annotations/pipelint.dev~1checkpoint-seconds`).
* The marked line is where the last segment starts: the key's line for a key, and the
  item's first line (the `- name: ...` line) for a `[name]` selection.
* A last segment `?<text>` selects a line *inside* the node selected so far: the one
  source line within that node's extent that contains `<text>` (it must be exactly one),
  e.g. `container/command/?'kfp==2.13.0'` for the pip line of a KFP executor's bootstrap
  script. That line may be inside a double-quoted multi-line scalar (the KFP compiler
  writes Python sources and shell scripts that way). There a comment is impossible:
  everything up to the closing quote is the scalar's text. The marker is then appended
  after the line's escaped line break (`\`), which makes it part of the string, and the
  check below makes sure that the one and only change to the data is exactly that text
  (`"  # expect: <ids> "`) inserted into that one scalar. On the scalar's last line, after
  its closing quote, the marker is an ordinary comment and changes nothing.

Line numbers come from PyYAML's composer (node start marks), not from scanning text, so a
key-looking line inside a folded double-quoted Python source can never be picked, except
on purpose with `?<text>`.
"""

import re
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

import yaml

Expectation = Tuple[str, str, str]
Resolver = Callable[[List[yaml.Node], str], yaml.Node]

_SEGMENT = re.compile(r"^(?P<key>[^\[\]/?][^\[\]/]*)(?:\[(?P<item>[^\[\]]+)\])?$")
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


def _unescape(key: str) -> str:
    """A path segment's key, with JSON-Pointer escapes (`~1` = `/`, `~0` = `~`) undone."""
    return key.replace("~1", "/").replace("~0", "~")


def _last_node_line(node: yaml.Node) -> int:
    """0-based line of the last character that belongs to `node`."""
    if isinstance(node, yaml.ScalarNode):
        return _last_line(node)
    if node.end_mark.line > node.start_mark.line and node.end_mark.column == 0:
        return node.end_mark.line - 1
    return node.end_mark.line


def _target_line(
    anchor_node: yaml.Node, path: str, where: str, lines: Sequence[str]
) -> Tuple[int, bool]:
    """0-based line of what `path` selects below `anchor_node`, and whether it was chosen
    by a `?<text>` segment (a line inside a node rather than where a node starts)."""
    node = anchor_node
    line = anchor_node.start_mark.line
    segments = [seg for seg in path.split("/") if seg] if "?" not in path else None
    if segments is None:
        head, _, needle = path.partition("?")
        if not needle:
            raise MarkerError(f"{where}: empty `?` selector")
        if head and not head.endswith("/"):
            raise MarkerError(f"{where}: `?<text>` must be a whole, last segment")
        segments = [seg for seg in head.split("/") if seg] + ["?" + needle]
    for segment in segments:
        if segment.startswith("?"):
            needle = segment[1:]
            first, last = node.start_mark.line, _last_node_line(node)
            hits = [n for n in range(first, last + 1) if needle in lines[n]]
            if len(hits) != 1:
                raise MarkerError(
                    f"{where}: {needle!r} is on {len(hits)} lines of"
                    f" {first + 1}-{last + 1}, not exactly one"
                )
            return hits[0], True
        m = _SEGMENT.match(segment)
        if not m:
            raise MarkerError(f"{where}: bad path segment {segment!r}")
        key = _unescape(m["key"])
        found = mapping_get(node, key)
        if found is None:
            raise MarkerError(f"{where}: no key {key!r}")
        key_node, node = found
        line = key_node.start_mark.line
        if m["item"] is not None:
            node = list_item_named(node, m["item"])
            if node is None:
                raise MarkerError(f"{where}: no item named {m['item']!r} in {key!r}")
            # A block mapping item starts at its first key, on the `- ` line.
            line = node.start_mark.line
    return line, False


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


def _check_safe(
    documents: Sequence[yaml.Node], line: int, text_line: str, where: str, inside: bool
) -> Optional[yaml.ScalarNode]:
    """Refuse lines where an appended comment would change the data or break the YAML.

    Safe means: the line's last token is a single-line plain or single-quoted scalar
    (a key with nothing after its colon ends in the key scalar itself). Anything that is
    inside, or starts, a multi-line scalar (double-quoted Python source, `|` blocks) or a
    flow collection is rejected.

    With `inside` (a `?<text>` selection) two more cases are accepted, and only these: the
    last line of a multi-line scalar that the line ends with (the marker is a comment after
    the closing quote), and a middle line of a double-quoted scalar that ends in an escaped
    line break; then the scalar is returned, because the marker becomes part of its text.
    """
    if "#" in text_line and not inside:
        raise MarkerError(f"{where}: line {line + 1} already has a '#': {text_line!r}")
    if "# expect:" in text_line:
        raise MarkerError(f"{where}: line {line + 1} already has a marker: {text_line!r}")
    stripped = text_line.rstrip()
    last = None
    for doc in documents:
        for s in _scalars(doc):
            end = _last_line(s)
            if not s.start_mark.line <= line <= end:
                continue
            if s.start_mark.line != end:
                if not inside:
                    raise MarkerError(
                        f"{where}: line {line + 1} is inside a multi-line scalar"
                        f" (lines {s.start_mark.line + 1}-{end + 1})"
                    )
                if line == end and s.style == '"' and s.end_mark.column == len(stripped):
                    return None  # after the closing quote: an ordinary comment
                backslashes = len(stripped) - len(stripped.rstrip("\\"))
                if line < end and s.style == '"' and backslashes % 2 == 1:
                    return s  # the marker goes into the string, after `\`
                raise MarkerError(
                    f"{where}: line {line + 1} is inside a multi-line {s.style or 'plain'}"
                    f" scalar and does not end in an escaped line break"
                )
            if s.style not in (None, "'"):
                raise MarkerError(f"{where}: line {line + 1} ends in a {s.style}-style scalar")
            if last is None or s.end_mark.column > last.end_mark.column:
                last = s
    if "#" in text_line:
        raise MarkerError(f"{where}: line {line + 1} already has a '#': {text_line!r}")
    if last is None or last.end_mark.column != len(stripped) - (
        1 if stripped.endswith(":") else 0
    ):
        raise MarkerError(f"{where}: line {line + 1} does not end in a scalar: {text_line!r}")
    return None


def _same_data(a: yaml.Node, b: yaml.Node, changed: dict, where: str) -> None:
    """Node trees `a` (original) and `b` (annotated) hold the same data, except that each
    scalar in `changed` (keyed by its start position in `a`) has its marker text inserted
    exactly once."""
    if type(a) is not type(b) or a.tag != b.tag:
        raise MarkerError(f"{where}: annotation changed a node at line {a.start_mark.line + 1}")
    if isinstance(a, yaml.ScalarNode):
        inserted = changed.get((a.start_mark.line, a.start_mark.column))
        if inserted is None:
            ok = a.value == b.value
        else:
            ok = (
                b.value.count(inserted) == a.value.count(inserted) + 1
                and b.value.replace(inserted, "", 1) == a.value
            )
        if not ok:
            raise MarkerError(
                f"{where}: annotation changed the scalar at line {a.start_mark.line + 1}"
            )
    elif isinstance(a, yaml.SequenceNode):
        if len(a.value) != len(b.value):
            raise MarkerError(f"{where}: annotation changed a sequence")
        for x, y in zip(a.value, b.value):
            _same_data(x, y, changed, where)
    else:
        if len(a.value) != len(b.value):
            raise MarkerError(f"{where}: annotation changed a mapping")
        for (ka, va), (kb, vb) in zip(a.value, b.value):
            _same_data(ka, kb, changed, where)
            _same_data(va, vb, changed, where)


def resolve_lines(
    text: str, expectations: Sequence[Expectation], resolve_anchor: Resolver
) -> List[Tuple[int, bool]]:
    """For each EXPECT entry, its 0-based line and whether `?<text>` chose it. Used for
    markers here, and for the line numbers of the evaluation labels."""
    documents = list(yaml.compose_all(text))
    lines = text.split("\n")
    out = []
    for anchor, path, rule, *_ in expectations:
        where = f"({anchor!r}, {path!r}, {rule!r})"
        out.append(_target_line(resolve_anchor(documents, anchor), path, where, lines))
    return out


def annotate(text: str, expectations: Sequence[Expectation], resolve_anchor: Resolver) -> str:
    """Return `text` with `  # expect: ...` appended to the lines EXPECT points at."""
    documents = list(yaml.compose_all(text))
    lines = text.split("\n")
    wanted = {}  # line -> rule ids, in EXPECT order
    inside_scalar = {}  # line -> the double-quoted scalar the marker goes into
    for (anchor, path, rule), (line, inside) in zip(
        expectations, resolve_lines(text, expectations, resolve_anchor)
    ):
        where = f"EXPECT ({anchor!r}, {path!r}, {rule!r})"
        scalar = _check_safe(documents, line, lines[line], where, inside)
        if scalar is not None:
            inside_scalar[line] = scalar
        rules = wanted.setdefault(line, [])
        if rule in rules:
            raise MarkerError(f"{where}: line {line + 1} is already marked for {rule}")
        rules.append(rule)

    changed = {}
    for line, rules in wanted.items():
        marker = f"# expect: {', '.join(rules)}"
        lines[line] = f"{lines[line]}  {marker}"
        if line in inside_scalar:
            s = inside_scalar[line]
            # `\` + ` ` is an escaped space; the marker follows; the line break that
            # is no longer escaped folds into one space.
            key = (s.start_mark.line, s.start_mark.column)
            if key in changed:
                raise MarkerError(f"line {line + 1}: two markers inside one scalar")
            changed[key] = f"  {marker} "
    annotated = "\n".join(lines)

    # The markers are comments: the data must not change by a single value (except, for a
    # marker inside a double-quoted scalar, by exactly the marker's own text).
    new_documents = list(yaml.compose_all(annotated))
    if len(new_documents) != len(documents):
        raise MarkerError("annotation changed the number of documents")
    for a, b in zip(documents, new_documents):
        _same_data(a, b, changed, "annotate")
    if not changed and list(yaml.safe_load_all(annotated)) != list(yaml.safe_load_all(text)):
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
