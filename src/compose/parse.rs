//! YAML text to [`Node`] trees. The only place that reads YAML (libyaml's event stream, see
//! [`super::yaml_events`]).
//!
//! Takes one file's bytes; returns one tree per YAML document, with anchors and aliases
//! expanded, `<<` merge keys applied, plain scalars resolved by the YAML 1.2 core schema (as
//! Docker Compose's go-yaml does), mapping keys turned into strings, and the Compose tags
//! `!reset`/`!override` kept on the nodes. Input limits guard against alias bombs, deep nesting
//! and huge files.

use super::node::{Map, Node, Pos, Tag, Value};
use super::yaml_events::{Event, Events, Mark, Style, YamlError};
use crate::diag::dotted;
use crate::diag::{Diagnostic, Location};
use crate::hash::FastMap;

/// Input limits. The defaults admit every real Compose file seen (the largest real files are a
/// few hundred kilobytes with a few thousand alias uses) while stopping pathological ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes that alias expansion may copy in one file (the billion-laughs guard).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_depth: 256,
            max_alias_nodes: 4_000_000,
        }
    }
}

/// Parse one file. `name` is how errors name it; `file` is its index for [`Pos`].
pub fn parse(
    bytes: &[u8],
    name: &str,
    file: u32,
    limits: &Limits,
) -> Result<Vec<Node>, Diagnostic> {
    let err = |line: u32, col: u32, msg: String| {
        Diagnostic::error("C001", Location::new(name, line, col, ""), msg)
    };
    if bytes.len() > limits.max_file_bytes {
        return Err(Diagnostic::error(
            "C002",
            Location::file(name),
            format!(
                "file is {} bytes, over the limit of {} bytes (raise it with --max-file-size)",
                bytes.len(),
                limits.max_file_bytes
            ),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(&bytes[..e.valid_up_to()]);
            let msg = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
                "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
            } else {
                "file is not valid UTF-8"
            };
            return Err(err(line, col, msg.into()));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(i) = text.find('\0') {
        let (line, col) = line_col(&text.as_bytes()[..i]);
        return Err(err(line, col, "file contains a NUL byte".into()));
    }
    let mut b = Builder {
        limits,
        anchors: FastMap::default(),
        stack: Vec::new(),
        docs: Vec::new(),
        alias_nodes: 0,
        name,
    };
    events(text, |item| {
        let (ev, mark) = match item {
            Ok(x) => x,
            Err(e) => {
                let mut d = err(
                    e.mark.line,
                    e.mark.col,
                    format!("invalid YAML: {}", e.message),
                );
                d.location.path = b.key_path();
                return Err(d);
            }
        };
        let at = Pos {
            file,
            line: mark.line,
            col: mark.col,
        };
        b.event(ev, at)
    })?;
    Ok(b.docs)
}

/// From this size on, libyaml reads the file on a second thread and hands its events over in
/// batches while this thread builds the tree: reading and building overlap. Below it, the
/// thread would cost more than it saves.
const PIPELINE_MIN_BYTES: usize = 64 * 1024;
const BATCH: usize = 1024;

type Item = Result<(Event, Mark), YamlError>;

/// Calls `each` with every event of `text`, in order, until it fails.
fn events(
    text: &str,
    mut each: impl FnMut(Item) -> Result<(), Diagnostic>,
) -> Result<(), Diagnostic> {
    if text.len() < PIPELINE_MIN_BYTES {
        return Events::new(text.as_bytes()).try_for_each(each);
    }
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(4);
        s.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for item in Events::new(text.as_bytes()) {
                batch.push(item);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // The builder stopped at an error: nothing more is needed.
                    if tx.send(full).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(batch);
        });
        // Returning early drops the receiver, which stops the reader at its next batch.
        rx.into_iter().flatten().try_for_each(&mut each)
    })
}

fn line_col(prefix: &[u8]) -> (u32, u32) {
    let line = prefix.iter().filter(|&&c| c == b'\n').count() as u32 + 1;
    let col = prefix.iter().rev().take_while(|&&c| c != b'\n').count() as u32 + 1;
    (line, col)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        at: Pos,
        anchor: Option<String>,
        tag: Tag,
    },
    Map {
        entries: Map,
        /// Merge sources from `<<`, applied when the mapping ends.
        merges: Vec<Node>,
        pending_key: Option<(String, Pos)>,
        at: Pos,
        anchor: Option<String>,
        tag: Tag,
    },
}

struct Builder<'a> {
    limits: &'a Limits,
    anchors: FastMap<String, Node>,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    alias_nodes: usize,
    name: &'a str,
}

impl Builder<'_> {
    fn error(&self, at: Pos, msg: String) -> Diagnostic {
        let path = self.key_path();
        Diagnostic::error("C001", Location::new(self.name, at.line, at.col, path), msg)
    }

    /// The key path of the node being read (`services.web.ports[0]`), for errors.
    /// Very deep paths keep their first and last steps.
    fn key_path(&self) -> String {
        let steps: Vec<String> = self
            .stack
            .iter()
            .filter_map(|f| match f {
                Frame::Seq { items, .. } => Some(format!("[{}]", items.len())),
                Frame::Map {
                    pending_key: Some((k, _)),
                    ..
                } => Some(format!(".{k}")),
                Frame::Map { .. } => None,
            })
            .collect();
        let p = if steps.len() > 12 {
            let hidden = steps.len() - 9;
            format!(
                "{}…({hidden} more)…{}",
                steps[..6].concat(),
                steps[steps.len() - 3..].concat()
            )
        } else {
            steps.concat()
        };
        p.strip_prefix('.').map(str::to_string).unwrap_or(p)
    }

    /// [`Self::attach`], with the key path filled into its errors.
    fn push(&mut self, node: Node, from_alias: bool) -> Result<(), Diagnostic> {
        self.attach(node, from_alias).map_err(|mut d| {
            // `attach` names only the key it failed on; the path of its mapping goes first.
            let parent = self.key_path();
            let own = std::mem::take(&mut d.location.path);
            d.location.path = match (parent.is_empty(), own.is_empty()) {
                (_, true) => parent,
                (true, false) => own,
                (false, false) => dotted(&parent, &own),
            };
            d
        })
    }

    fn event(&mut self, ev: Event, at: Pos) -> Result<(), Diagnostic> {
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {
                Ok(())
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(self.error(at, "alias to an unknown anchor".into()));
                };
                self.alias_nodes += node.count_nodes();
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(self.error(
                        at,
                        format!(
                            "aliases expand to more than {} nodes (an alias bomb?); raise the limit with --max-alias-nodes",
                            self.limits.max_alias_nodes
                        ),
                    ));
                }
                let mut node = node.clone();
                node.at = at;
                node.key_at = at;
                self.push(node, true)
            }
            Event::Scalar {
                value,
                style,
                anchor,
                tag,
            } => {
                let (value, ctag) = scalar(&value, style, tag.as_deref());
                let mut node = Node::new(value, at);
                node.tag = ctag;
                if let Some(a) = anchor {
                    self.anchors.insert(a, node.clone());
                }
                self.push(node, false)
            }
            Event::SequenceStart { anchor, tag } => {
                self.check_depth(at)?;
                let tag = compose_tag(tag.as_deref());
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    at,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::MappingStart { anchor, tag } => {
                self.check_depth(at)?;
                let tag = compose_tag(tag.as_deref());
                self.stack.push(Frame::Map {
                    entries: Map::default(),
                    merges: Vec::new(),
                    pending_key: None,
                    at,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    at,
                    anchor,
                    tag,
                }) => {
                    let mut node = Node::seq(items, at);
                    node.tag = tag;
                    if let Some(a) = anchor {
                        self.anchors.insert(a, node.clone());
                    }
                    self.push(node, false)
                }
                _ => Err(self.error(at, "unbalanced sequence".into())),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    mut entries,
                    merges,
                    at,
                    anchor,
                    tag,
                    ..
                }) => {
                    // YAML merge keys: explicit keys win; among merged maps the first wins.
                    for src in merges {
                        if let Value::Map(m) = src.value {
                            for (k, v) in m {
                                entries.entry(k).or_insert(v);
                            }
                        }
                    }
                    let mut node = Node::map(entries, at);
                    node.tag = tag;
                    if let Some(a) = anchor {
                        self.anchors.insert(a, node.clone());
                    }
                    self.push(node, false)
                }
                _ => Err(self.error(at, "unbalanced mapping".into())),
            },
        }
    }

    fn check_depth(&self, at: Pos) -> Result<(), Diagnostic> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error(
                at,
                format!(
                    "nesting deeper than {} levels; raise the limit with --max-depth",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    /// Attach a finished node to its parent (or finish a document).
    fn attach(&mut self, node: Node, _from_alias: bool) -> Result<(), Diagnostic> {
        let name = self.name;
        match self.stack.last_mut() {
            None => {
                self.docs.push(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                merges,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let at = node.at;
                    // Docker Compose reads keys as strings only: `123:` or `true:` is refused.
                    if let Some(kind) = match node.value {
                        Value::Int(_) | Value::Float(_) => Some("a number"),
                        Value::Bool(_) => Some("a boolean"),
                        Value::Null => Some("null"),
                        _ => None,
                    } {
                        return Err(Diagnostic::error(
                            "C019",
                            Location::new(name, at.line, at.col, ""),
                            format!(
                                "mapping key `{}` is {kind}, not a string (quote it: `\"{}\"`)",
                                node.scalar_string().unwrap_or_else(|| "null".into()),
                                node.scalar_string().unwrap_or_else(|| "null".into())
                            ),
                        ));
                    }
                    let Some(key) = key_string(node) else {
                        return Err(Diagnostic::error(
                            "C001",
                            Location::new(name, at.line, at.col, ""),
                            "a mapping key must be a scalar",
                        ));
                    };
                    *pending_key = Some((key, at));
                    Ok(())
                }
                Some((key, key_at)) => {
                    if key == "<<" {
                        match &node.value {
                            Value::Map(_) => merges.push(node),
                            Value::Seq(items) => {
                                for item in items {
                                    if !matches!(item.value, Value::Map(_)) {
                                        return Err(merge_error(name, item.at));
                                    }
                                    merges.push(item.clone());
                                }
                            }
                            _ => return Err(merge_error(name, node.at)),
                        }
                        return Ok(());
                    }
                    match entries.entry(key) {
                        indexmap::map::Entry::Occupied(prev) => Err(Diagnostic::error(
                            "C003",
                            Location::new(name, key_at.line, key_at.col, prev.key().as_str()),
                            format!(
                                "mapping key `{}` already defined at line {}",
                                prev.key(),
                                prev.get().key_at.line
                            ),
                        )),
                        indexmap::map::Entry::Vacant(slot) => {
                            let mut node = node;
                            node.key_at = key_at;
                            slot.insert(node);
                            Ok(())
                        }
                    }
                }
            },
        }
    }
}

fn merge_error(name: &str, at: Pos) -> Diagnostic {
    Diagnostic::error(
        "C001",
        Location::new(name, at.line, at.col, ""),
        "a `<<` merge key takes a mapping or a list of mappings",
    )
}

/// A key node's text, moved out of it (keys are most of a file's strings).
fn key_string(node: Node) -> Option<String> {
    match node.value {
        Value::Str(s) => Some(s),
        Value::Null => Some("null".into()),
        Value::Seq(_) | Value::Map(_) => None,
        _ => node.scalar_string(),
    }
}

fn compose_tag(tag: Option<&str>) -> Tag {
    match tag {
        Some("!reset") => Tag::Reset,
        Some("!override") => Tag::Override,
        _ => Tag::None,
    }
}

/// Resolve a scalar: quoted and block scalars are strings; plain ones follow the YAML 1.2 core
/// schema as go-yaml v3 applies it; core tags (`!!str`, `!!int`, ...) force a type.
fn scalar(text: &str, style: Style, tag: Option<&str>) -> (Value, Tag) {
    let ctag = compose_tag(tag);
    if let Some(suffix) = tag.and_then(|t| t.strip_prefix("tag:yaml.org,2002:")) {
        let v = match suffix {
            "str" => Value::Str(text.to_string()),
            "null" => Value::Null,
            _ => plain(text),
        };
        return (v, ctag);
    }
    match style {
        Style::Plain => (plain(text), ctag),
        _ => (Value::Str(text.to_string()), ctag),
    }
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::Str(text.to_string());
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}

/// Integers as go-yaml v3 reads them: decimal, `0x`, `0o`, `0b`, and a leading-zero octal.
fn parse_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

fn is_float(text: &str) -> bool {
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Node {
        let mut docs = parse(src.as_bytes(), "t.yaml", 0, &Limits::default()).unwrap();
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let n = one(
            "a: 1\nb: '1'\nc: yes\nd: true\ne: 1.5\nf: ~\ng: 0755\nh: 0x10\ni: 1e3\nj: 1.2.3\n",
        );
        let m = n.as_map().unwrap();
        assert_eq!(m["a"].value, Value::Int(1));
        assert_eq!(m["b"].value, Value::Str("1".into()));
        assert_eq!(m["c"].value, Value::Str("yes".into()));
        assert_eq!(m["d"].value, Value::Bool(true));
        assert_eq!(m["e"].value, Value::Float(1.5));
        assert_eq!(m["f"].value, Value::Null);
        assert_eq!(m["g"].value, Value::Int(0o755));
        assert_eq!(m["h"].value, Value::Int(16));
        assert_eq!(m["i"].value, Value::Float(1000.0));
        assert_eq!(m["j"].value, Value::Str("1.2.3".into()));
    }

    #[test]
    fn merge_keys_let_explicit_keys_win() {
        let n = one("x: &a {p: 1, q: 2}\ny: &b {q: 3, r: 4}\nz:\n  <<: [*a, *b]\n  p: 9\n");
        let z = n.get("z").unwrap().as_map().unwrap();
        assert_eq!(z["p"].value, Value::Int(9));
        assert_eq!(z["q"].value, Value::Int(2));
        assert_eq!(z["r"].value, Value::Int(4));
    }

    #[test]
    fn tags_and_positions_are_kept() {
        let n = one("services:\n  web:\n    ports: !reset []\n    env: !override {A: 1}\n");
        let web = n.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("ports").unwrap().tag, Tag::Reset);
        assert_eq!(web.get("env").unwrap().tag, Tag::Override);
        assert_eq!(web.get("ports").unwrap().key_at.line, 3);
        assert_eq!(web.get("ports").unwrap().key_at.col, 5);
    }

    #[test]
    fn a_tag_before_a_comma_in_a_flow_collection_is_an_empty_node() {
        // libyaml reads `!tag,` as an empty tagged node; libyaml-safer 0.3.0 panicked there
        // (vendor/libyaml-safer/PATCHES.md).
        let n = one("a: [!reset, x]\nb: {k: !override, l: 1}\n");
        let a = n.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a.len(), 2);
        assert!(a[0].is_null());
        assert_eq!(a[1].value, Value::Str("x".into()));
        assert!(n.get("b").unwrap().get("k").unwrap().is_null());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = parse(b"a: 1\na: 2\n", "t.yaml", 0, &Limits::default()).unwrap_err();
        assert!(e.message.contains("already defined at line 1"), "{e}");
        assert_eq!(e.location.line, 2);
    }

    #[test]
    fn alias_bombs_stop() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            s.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = parse(s.as_bytes(), "t.yaml", 0, &Limits::default()).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
    }

    #[test]
    fn bad_bytes_are_located() {
        let e = parse(b"a: 1\nb: \xff\n", "t.yaml", 0, &Limits::default()).unwrap_err();
        assert_eq!((e.location.line, e.location.column), (2, 4));
        let e = parse(b"a: 1\nb: x\0\n", "t.yaml", 0, &Limits::default()).unwrap_err();
        assert!(e.message.contains("NUL"));
    }

    #[test]
    fn large_files_parse_on_two_threads_to_the_same_tree() {
        // Over PIPELINE_MIN_BYTES: the reader runs on its own thread.
        let mut big = String::from("x-base: &base\n  image: app:1\nservices:\n");
        let mut i = 0;
        while big.len() < 2 * PIPELINE_MIN_BYTES {
            big.push_str(&format!(
                "  svc{i}:\n    <<: *base\n    ports: [\"{i}:80\"]\n"
            ));
            i += 1;
        }
        let tree = parse(big.as_bytes(), "t.yaml", 0, &Limits::default()).unwrap();
        let services = tree[0].get("services").and_then(Node::as_map).unwrap();
        assert_eq!(services.len(), i);
        let last = &services[&format!("svc{}", i - 1)];
        assert_eq!(last.get("image").and_then(Node::as_str), Some("app:1"));
        // An error late in a large file names its line, and the reader stops.
        let lines = big.lines().count();
        let bad = format!("{big}  broken: [unclosed\n");
        let e = parse(bad.as_bytes(), "t.yaml", 0, &Limits::default()).unwrap_err();
        assert!(e.location.line as usize > lines, "{e}");
        // A duplicate key (the builder's error) stops the reader too.
        let dup = big.replacen("  svc1:", "  svc0:", 1);
        let e = parse(dup.as_bytes(), "t.yaml", 0, &Limits::default()).unwrap_err();
        assert!(e.message.contains("svc0"), "{e}");
    }
}
