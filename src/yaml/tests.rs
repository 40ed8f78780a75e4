//! The YAML layer on its own: spans, documents, comments, duplicates, aliases, limits.

use super::*;

fn parse_ok(src: &str) -> YamlFile {
    let file = parse(src, &ParseLimits::default());
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    file
}

#[test]
fn keys_and_values_keep_their_spans() {
    let src = "spec:\n  image: \"python:3.11\"\n  args: [a, 'b c']\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    let (key, value) = root.get("spec").unwrap().entry("image").unwrap();
    assert_eq!(&src[key.span().range()], "image");
    assert_eq!(&src[value.span().range()], "\"python:3.11\"");
    assert_eq!(value.str(), Some("python:3.11"));
    let args: Vec<&str> = root
        .path(&["spec", "args"])
        .unwrap()
        .items()
        .filter_map(|n| n.str())
        .collect();
    assert_eq!(args, ["a", "b c"]);
    let lines = LineIndex::new(src);
    assert_eq!(lines.line_col(value.span().start).line, 2);
    assert_eq!(lines.line_col(value.span().start).column, 10);
}

#[test]
fn multi_document_files_recover_after_an_error() {
    let src = "a: 1\n---\nb: [1, 2\n---\nc: 3\n";
    let file = parse(src, &ParseLimits::default());
    assert_eq!(file.documents.len(), 2);
    assert_eq!(file.documents[0].index, 0);
    assert_eq!(file.documents[1].index, 2);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].document, 1);
    assert_eq!(
        LineIndex::new(src).line_col(file.errors[0].span.start).line,
        3
    );
    let c = file.documents[1].root(src).unwrap().get("c").unwrap();
    assert_eq!(c.as_int_lenient(), Some(3));
}

#[test]
fn a_bom_may_start_every_document() {
    // YAML 1.2: a BOM before a later document's `---`, whatever line break precedes it.
    for src in [
        "a: 1\n\u{FEFF}--- \nb: 2\n",
        "a: 1\r\u{FEFF}---\rb: 2\r",
        "\u{FEFF}a: 1\r\n\u{FEFF}---\r\nb: 2",
    ] {
        let file = parse_ok(src);
        assert_eq!(file.documents.len(), 2, "{src:?}");
        let b = file.documents[1].root(src).unwrap().get("b").unwrap();
        assert_eq!(&src[b.span().range()], "2", "{src:?}");
    }
    // Inside a document it is still an error; a BOM in a value is left alone.
    let src = "a: 1\n\u{FEFF}b: 2\n";
    assert_eq!(parse(src, &ParseLimits::default()).errors.len(), 1);
    let src = "a: \"x\u{FEFF}---\"\n";
    let file = parse_ok(src);
    let a = file.documents[0].root(src).unwrap().get("a").unwrap();
    assert_eq!(a.str(), Some("x\u{FEFF}---"));
}

#[test]
fn comments_are_kept_with_positions() {
    let src = "# header\nimage: x  # pipelint: ignore[unpinned-image] pinned upstream\n";
    let file = parse_ok(src);
    let texts: Vec<&str> = file.comments.iter().map(|c| c.text(src)).collect();
    assert_eq!(
        texts,
        [
            " header",
            " pipelint: ignore[unpinned-image] pinned upstream"
        ]
    );
    assert_eq!(
        LineIndex::new(src)
            .line_col(file.comments[1].span.start)
            .line,
        2
    );
}

#[test]
fn duplicate_keys_are_reported_and_the_last_wins() {
    let src = "image: a\nname: n\nimage: b\nlimits: {cpu: 1, cpu: 2}\n";
    let file = parse_ok(src);
    let keys: Vec<&str> = file.duplicate_keys.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["cpu", "image"]);
    let root = file.documents[0].root(src).unwrap();
    assert_eq!(root.get("image").unwrap().str(), Some("b"));
    let image_dup = &file.duplicate_keys[1];
    assert_eq!(&src[image_dup.first.range()], "image");
    assert_eq!(image_dup.second.start, src.rfind("image").unwrap() as u32);
}

#[test]
fn repeated_keys_are_found_alike_in_small_and_large_mappings() {
    // Up to eight entries are compared directly, more go through a hash map: both report
    // every repeat against the first occurrence, in order, and compare decoded text.
    for filler in [2usize, 12] {
        let mut src = String::from("m:\n  a: 1\n  \"b\": 2\n");
        for i in 0..filler {
            src.push_str(&format!("  k{i}: x\n"));
        }
        src.push_str("  \"\\x61\": 3\n  b: 4\n  a: 5\n  [a]: 6\n  [a]: 7\n");
        let file = parse_ok(&src);
        let found: Vec<(&str, &str, u32)> = file
            .duplicate_keys
            .iter()
            .map(|d| (d.key.as_str(), &src[d.first.range()], d.second.start))
            .collect();
        let second = |text: &str| src.find(text).unwrap() as u32;
        assert_eq!(
            found,
            [
                ("a", "a", second("\"\\x61\"")),
                ("b", "\"b\"", second("b: 4")),
                ("a", "a", second("a: 5")),
            ],
            "{filler} filler keys"
        );
    }
}

#[test]
fn lookups_compare_decoded_keys() {
    // A key written differently from its text (escapes, quotes) is found by its text; a
    // key of another length is not, and a quoted `<<` is an ordinary key.
    let src = "\"na\\x6De\": a\n'image': b\nimag: c\nbase: &b {cpu: 1}\nm:\n  '<<': *b\n  x: 1\nn:\n  <<: *b\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    assert_eq!(root.get("name").and_then(|n| n.str()), Some("a"));
    assert_eq!(root.get("image").and_then(|n| n.str()), Some("b"));
    assert_eq!(root.get("imag").and_then(|n| n.str()), Some("c"));
    assert!(root.get("ima").is_none());
    assert!(root.get("").is_none());
    assert!(root.path(&["m", "cpu"]).is_none());
    assert_eq!(root.path(&["n", "cpu"]).map(|n| n.raw()), Some("1"));
}

#[test]
fn aliases_and_merge_keys_resolve() {
    let src =
        "base: &base {cpu: \"1\", memory: 1Gi}\nlimits:\n  <<: *base\n  cpu: \"2\"\ncopy: *base\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    let limits = root.get("limits").unwrap();
    assert_eq!(limits.get("cpu").unwrap().str(), Some("2"));
    assert_eq!(limits.get("memory").unwrap().str(), Some("1Gi"));
    assert_eq!(root.path(&["copy", "memory"]).unwrap().str(), Some("1Gi"));
}

#[test]
fn lookups_take_the_last_key_then_the_last_merge_key() {
    // One pass from the last entry: a repeated key is its last value; a key missed falls to
    // the last plain `<<`, whose list of sources is read in order; `<<` itself and keys of
    // its length are ordinary keys to look up.
    let src = "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nm:\n  <<: *a\n  <<: [*b, *a]\n  ab: 3\n  k: 4\n  k: 5\n  \"q\\x71\": 6\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    let m = root.get("m").unwrap();
    assert_eq!(m.get("k").map(|n| n.raw()), Some("5"));
    assert_eq!(m.get("ab").map(|n| n.raw()), Some("3"));
    assert_eq!(m.get("qq").map(|n| n.raw()), Some("6"));
    assert_eq!(m.get("x").map(|n| n.raw()), Some("2"));
    assert_eq!(m.get("y").map(|n| n.raw()), Some("1"));
    assert_eq!(m.get("z").map(|n| n.raw()), Some("2"));
    assert_eq!(m.get("<<").map(|n| n.raw()), Some("[*b, *a]"));
    assert!(m.get("w").is_none());
    assert!(m.get("a").is_none());
}

#[test]
fn depth_is_the_same_with_and_without_aliases() {
    // A document without aliases is measured in one pass over its arena; one with an alias
    // by walking the tree. Both count values, not keys, and stop just past the limit.
    for src in [
        "a: {b: [c, {d: 1}]}\n? [k, [k]]\n: x\n",
        "z: &z x\na: {b: [c, {d: *z}]}\n? [k, [k]]\n: x\n",
    ] {
        let file = parse_ok(src);
        let root = file.documents[0].root(src).unwrap();
        assert_eq!(file.documents[0].has_alias(), src.contains('*'));
        assert_eq!(root.depth_up_to(10), 5, "{src}");
        assert_eq!(root.depth_up_to(5), 5, "{src}");
        assert_eq!(root.depth_up_to(3), 4, "{src}");
        assert_eq!(root.get("a").unwrap().depth_up_to(10), 4, "{src}");
    }
}

#[test]
fn depth_recorded_by_the_builder_counts_values_not_keys() {
    // Without aliases or collection keys the builder's record answers; a collection key is
    // not counted (it is no value), so such a document is measured from its values.
    for (src, depth) in [
        ("a: [[[[x]]]]\nb: 1\n", 6),
        ("- {a: {b: c}}\n- d\n", 4),
        ("x\n", 1),
        ("? [[[[k]]]]\n: x\n", 2),
        ("a: {b: 1}\n? {k: [[v]]}\n: x\n", 3),
    ] {
        let file = parse_ok(src);
        let root = file.documents[0].root(src).unwrap();
        assert!(!file.documents[0].has_alias(), "{src}");
        assert_eq!(root.depth_up_to(10), depth, "{src}");
        assert_eq!(root.depth_up_to(depth - 1), depth, "{src}");
    }
}

#[test]
fn null_is_a_plain_scalar_without_a_string_tag() {
    let src = "a: ~\nb: null\nc:\nd: 'null'\ne: !!str null\nf: NULL\ng: nil\nh: [x]\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    let null = |key: &str| root.get(key).unwrap().is_null();
    let text = |key: &str| root.get(key).unwrap().scalar_text();
    for key in ["a", "b", "c", "f"] {
        assert!(null(key), "{key}");
        assert_eq!(text(key), None, "{key}");
    }
    assert!(!null("d"));
    assert_eq!(text("d"), Some("null"));
    assert!(!null("e"));
    assert_eq!(text("e"), Some("null"));
    assert!(!null("g"));
    assert_eq!(text("g"), Some("nil"));
    assert!(!null("h"));
    assert_eq!(text("h"), None);
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        src.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
    }
    let file = parse(&src, &ParseLimits::default());
    // Over a limit, not a syntax error: reported as `input-too-complex`.
    assert!(file.errors.is_empty());
    assert_eq!(file.too_complex.len(), 1);
    assert!(
        file.too_complex[0].message.contains("alias"),
        "{}",
        file.too_complex[0].message
    );
    assert!(file.documents.is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for src in ["[".repeat(100_000), "- ".repeat(20_000) + "x"] {
        let file = parse(&src, &ParseLimits::default());
        assert!(file.is_incomplete());
        assert!(file.documents.is_empty());
    }
}

#[test]
fn kubernetes_types_of_plain_scalars() {
    let src = "a: yes\nb: \"yes\"\nc: 0644\nd: '10'\ne: ~\n";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    assert_eq!(root.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("b").unwrap().as_bool(), None);
    assert_eq!(root.get("c").unwrap().as_int_lenient(), Some(420));
    assert_eq!(root.get("d").unwrap().as_int_lenient(), Some(10));
    assert!(root.get("e").unwrap().is_null());
}

#[test]
fn json_goes_through_the_same_layer() {
    let src = "{\"pipelineInfo\": {\"name\": \"p\"},\n \"root\": {\"dag\": {}}}";
    let file = parse_ok(src);
    let root = file.documents[0].root(src).unwrap();
    let name = root.path(&["pipelineInfo", "name"]).unwrap();
    assert_eq!(name.str(), Some("p"));
    assert_eq!(&src[name.span().range()], "\"p\"");
}

#[test]
fn a_line_of_embedded_python_maps_back_to_the_yaml() {
    // As the KFP compiler writes a component's source.
    let src = "command:\n- \"\\nimport random\\n\\ndef flip():\\n    return random.randint(0,\\\n  \\ 1)\\n\"\n";
    let file = parse_ok(src);
    let node = file.documents[0]
        .root(src)
        .unwrap()
        .get("command")
        .unwrap()
        .items()
        .next()
        .unwrap();
    let text = node.str().unwrap();
    assert_eq!(
        text,
        "\nimport random\n\ndef flip():\n    return random.randint(0, 1)\n"
    );
    let at = text.find("random.randint").unwrap();
    let span = node.source_span(at..at + "random.randint".len()).unwrap();
    assert_eq!(&src[span.range()], "random.randint");
    let one = text.find("1)").unwrap();
    let span = node.source_span(one..one + 2).unwrap();
    assert_eq!(&src[span.range()], "1)");
}

/// Our decoder (which builds the offset maps) agrees with the parser on every quoted and
/// block scalar of the shared corpus: KFP embedded sources, Argo scripts, everything.
#[test]
fn offset_maps_agree_with_the_parser_on_the_corpus() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: ../shared/corpus is not present");
        return;
    }
    let mut checked = 0;
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(src) = std::fs::read_to_string(&path) else {
                continue;
            };
            let file = parse(&src, &ParseLimits::default());
            for doc in &file.documents {
                for node in doc.all_nodes(&src) {
                    let Some(style) = node.style() else { continue };
                    if style == ScalarStyle::Plain && !node.raw().contains('\n') {
                        continue;
                    }
                    let start = node.span().start as usize;
                    let line_start = super::line_start_before(&src, start);
                    let theirs = node.str().unwrap();
                    let leading = tree::leading_breaks(style, theirs);
                    let ours =
                        decode::decode_for_test(node.raw(), style, start - line_start, leading);
                    // Block scalars differ only in chomping of trailing line breaks.
                    let (ours, theirs) =
                        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                            (ours.trim_end_matches('\n'), theirs.trim_end_matches('\n'))
                        } else {
                            (ours.as_str(), theirs)
                        };
                    assert_eq!(ours, theirs, "{}: scalar at byte {start}", path.display());
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} scalars checked");
}

#[test]
fn a_document_knows_whether_an_alias_is_written_in_it() {
    // Fixes refuse to edit what an alias also reads; documents without one skip that walk.
    // `&` and `*` in scalars (shell `&&`, globs) are no anchor or alias.
    let file = parse_ok("a: &x 1\nb: *x\n---\nm: &base {k: 1}\nn:\n  <<: *base\n---\nrun: make && cp *.whl out\nc: '&y'\n");
    let has: Vec<bool> = file.documents.iter().map(|d| d.has_alias()).collect();
    assert_eq!(has, [true, true, false]);
}

#[test]
fn a_key_index_answers_as_entry_does() {
    // Large mappings (sorted) and a small one (searched directly), with repeated keys, keys
    // written differently from their text, a quoted `<<` (an ordinary key), a plain `<<`
    // (keys missed are inherited), a collection key and an empty key.
    let mut src = String::from("base: &b {inherited: 1, k03: 2}\nlarge:\n");
    for i in 0..24 {
        src.push_str(&format!("  k{i:02}: {i}\n"));
    }
    src.push_str("  k05: again\n  \"k\\x30\\x37\": escaped\n  '<<': quoted\n  ? [a]\n  : list\n  \"\": empty\n");
    src.push_str("merged:\n  <<: *b\n");
    for i in 0..20 {
        src.push_str(&format!("  m{i:02}: {i}\n"));
    }
    src.push_str("  k03: own\nsmall: {a: 1, b: 2, a: 3}\n");
    let file = parse_ok(&src);
    let root = file.documents[0].root(&src).unwrap();
    let probes = [
        "k00",
        "k05",
        "k07",
        "k23",
        "k24",
        "k0",
        "<<",
        "",
        "[a]",
        "inherited",
        "k03",
        "m19",
        "m20",
        "a",
        "b",
        "c",
        "zz",
    ];
    let spans = |e: Option<(NodeRef<'_>, NodeRef<'_>)>| e.map(|(k, v)| (k.span(), v.span()));
    for name in ["large", "merged", "small", "base"] {
        let mapping = root.get(name).unwrap();
        let index = KeyIndex::new(mapping);
        for key in probes {
            assert_eq!(
                spans(index.entry(key)),
                spans(mapping.entry(key)),
                "{name}: {key:?}"
            );
        }
    }
    let large = KeyIndex::new(root.get("large").unwrap());
    assert_eq!(large.get("k05").and_then(|v| v.str()), Some("again"));
    assert_eq!(large.get("k07").and_then(|v| v.str()), Some("escaped"));
    assert_eq!(large.get("<<").and_then(|v| v.str()), Some("quoted"));
    assert!(large.get("inherited").is_none());
    let merged = KeyIndex::new(root.get("merged").unwrap());
    assert_eq!(merged.get("inherited").and_then(|v| v.str()), Some("1"));
    assert_eq!(merged.get("k03").and_then(|v| v.str()), Some("own"));
    // Not a mapping: nothing to find.
    let scalar = KeyIndex::new(root.path(&["small", "a"]).unwrap());
    assert!(scalar.get("a").is_none());
}
