//! The Compose Specification's JSON schema applied to the node tree, for what Docker Compose
//! refuses that the typed model would otherwise pass over: keys the schema does not know (with
//! `x-` extensions where it allows them), required keys that are missing, and values under a
//! schema minimum.
//!
//! Takes a [`Node`] and returns [`Violation`]s (all of them, in document order); the loader turns
//! them into diagnostics. The schema is compose-go's `schema/compose-spec.json` (Apache-2.0,
//! commit e70e961 of compose-spec/compose-go): the one Docker Compose 2.40.3 embeds plus the
//! keys added since (`pre_start`, `build.no_cache_filter`), which kubeferry reads.

use super::node::{Node, Pos, Value};
use crate::hash::{FastMap, FastState};
use indexmap::IndexMap;
use serde::Deserialize;

/// The schema text, embedded at build time.
const SPEC: &str = include_str!("compose-spec.json");

/// The schema's JSON, parsed to be compiled ([`Compiled::new`]) and dropped at once: kept
/// for the whole run it added ~1.6 MB to the peak of a conversion (docs/performance.md).
fn spec() -> Raw {
    serde_json::from_str(SPEC).expect("the embedded Compose schema is a JSON schema")
}

/// One node of the schema's JSON, with the keywords the checks use. Read into this rather
/// than a JSON tree: a 3-service conversion spent most of its time building that tree's maps
/// (docs/performance.md). Other keywords (`description`, `enum`, …) are skipped.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Raw {
    #[serde(rename = "$ref")]
    reference: Option<String>,
    #[serde(rename = "type")]
    types: Option<OneOrMany>,
    #[serde(rename = "oneOf")]
    one_of: Option<Vec<Raw>>,
    #[serde(rename = "anyOf")]
    any_of: Option<Vec<Raw>>,
    properties: Option<IndexMap<String, Raw, FastState>>,
    #[serde(rename = "patternProperties")]
    pattern_properties: Option<IndexMap<String, Raw, FastState>>,
    #[serde(rename = "additionalProperties")]
    additional: Option<Additional>,
    required: Option<Vec<String>>,
    items: Option<Box<Raw>>,
    minimum: Option<f64>,
    #[serde(rename = "$defs")]
    defs: Option<IndexMap<String, Raw, FastState>>,
}

/// `type`: one name or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `additionalProperties`: allowed or not, or the schema of the other keys.
#[derive(Deserialize)]
#[serde(untagged)]
enum Additional {
    Allowed(bool),
    Schema(Box<Raw>),
}

/// What one check found wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// A key the schema does not allow here; `suggestion` is a known key within a small edit
    /// distance.
    Unknown {
        key: String,
        suggestion: Option<String>,
    },
    /// A name (a key of a mapping of names, such as `ulimits`) outside the schema's pattern.
    BadName { key: String, pattern: String },
    /// A key the schema requires here.
    Missing { key: String },
    /// A number under the schema's minimum.
    Below { minimum: f64 },
    /// A value of a kind the schema does not allow here (`found`: object, array, null,
    /// boolean, integer, number, string).
    WrongType {
        found: &'static str,
        expected: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub problem: Problem,
    /// The offending key (unknown), the mapping (missing) or the value (below).
    pub at: Pos,
    /// The key path, dotted with `[i]` indexes (`services.web.enviroment`).
    pub path: String,
}

/// Which checks a pass makes: a single file is checked for keys and values, the merged tree
/// for required keys (an override file may leave a required key to the file it overrides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    File,
    Merged,
}

/// Check a document (or the merged tree) against the schema, compiled for this one check.
#[cfg(test)]
pub fn check(doc: &Node, pass: Pass) -> Vec<Violation> {
    Compiled::new().check(doc, pass)
}

/// One schema node with its keywords read once and its `$ref`s resolved to indexes: the walk
/// visits every node of every file, and looking keywords up by name in the JSON tree there
/// took a sixth of a large conversion (docs/performance.md).
#[derive(Default)]
struct Schema {
    /// `type` (empty: any).
    types: Vec<String>,
    /// `oneOf`, then `anyOf`, where present: the alternatives of each.
    alternatives: Vec<Vec<usize>>,
    /// `properties`, in the schema's order (for suggestions), and indexed.
    props: Option<Props>,
    /// `patternProperties`, in the schema's order.
    patterns: Option<Vec<(String, usize)>>,
    /// `additionalProperties: false`.
    closed: bool,
    /// `additionalProperties` as a schema.
    extra: Option<usize>,
    required: Option<Vec<String>>,
    items: Option<usize>,
    minimum: Option<f64>,
}

struct Props {
    order: Vec<String>,
    index: FastMap<String, usize>,
}

/// The schema compiled: parsed from its JSON once, then kept for every check of a load (a
/// loader checks each file and then the merged tree; compiling took most of a small file's
/// conversion). Owns its names: the JSON tree is dropped once compiled.
#[derive(Default)]
pub struct Compiled {
    nodes: Vec<Schema>,
    /// Whether a node or one below it requires a key: the merged tree's pass, which checks
    /// only required keys, skips the rest.
    requires: Vec<bool>,
}

impl Compiled {
    /// Parse and compile the embedded schema.
    pub fn new() -> Self {
        let root = spec();
        let mut schema = Compiled::default();
        schema.compile(&mut FastMap::default(), &root, &root);
        schema.mark_required();
        schema
    }

    /// Check a document (or the merged tree).
    pub fn check(&self, doc: &Node, pass: Pass) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut path = String::new();
        // The root schema is compiled first.
        self.walk(doc, 0, pass, &mut path, &mut out);
        out
    }

    /// Compile `s` and what it refers to; `seen` holds the nodes compiled so far by the address
    /// of their JSON node (definitions are shared, and may refer to themselves).
    fn compile(&mut self, seen: &mut FastMap<usize, usize>, root: &Raw, s: &Raw) -> usize {
        let s = resolve(root, s);
        let key = std::ptr::from_ref(s) as usize;
        if let Some(&i) = seen.get(&key) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Schema::default());
        seen.insert(key, i);
        let mut node = Schema {
            types: match &s.types {
                Some(OneOrMany::One(t)) => vec![t.clone()],
                Some(OneOrMany::Many(t)) => t.clone(),
                None => Vec::new(),
            },
            closed: matches!(s.additional, Some(Additional::Allowed(false))),
            minimum: s.minimum,
            required: s.required.clone(),
            ..Schema::default()
        };
        for alts in [&s.one_of, &s.any_of].into_iter().flatten() {
            let alts = alts.iter().map(|a| self.compile(seen, root, a)).collect();
            node.alternatives.push(alts);
        }
        if let Some(p) = &s.properties {
            let mut props = Props {
                order: Vec::with_capacity(p.len()),
                index: FastMap::default(),
            };
            for (k, v) in p {
                let sub = self.compile(seen, root, v);
                props.order.push(k.clone());
                props.index.insert(k.clone(), sub);
            }
            node.props = Some(props);
        }
        if let Some(p) = &s.pattern_properties {
            let patterns = p
                .iter()
                .map(|(k, v)| (k.clone(), self.compile(seen, root, v)))
                .collect();
            node.patterns = Some(patterns);
        }
        node.extra = match &s.additional {
            Some(Additional::Schema(a)) => Some(self.compile(seen, root, a)),
            _ => None,
        };
        node.items = s.items.as_ref().map(|a| self.compile(seen, root, a));
        self.nodes[i] = node;
        i
    }

    /// Fill `requires`: definitions refer to each other (and to themselves), so it is
    /// propagated until nothing changes.
    fn mark_required(&mut self) {
        self.requires = self.nodes.iter().map(|n| n.required.is_some()).collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (i, n) in self.nodes.iter().enumerate() {
                if self.requires[i] {
                    continue;
                }
                let below = n
                    .alternatives
                    .iter()
                    .flatten()
                    .copied()
                    .chain(n.props.iter().flat_map(|p| p.index.values().copied()))
                    .chain(n.patterns.iter().flatten().map(|(_, s)| *s))
                    .chain(n.extra)
                    .chain(n.items);
                if below.into_iter().any(|c| self.requires[c]) {
                    self.requires[i] = true;
                    changed = true;
                }
            }
        }
    }

    fn walk(&self, n: &Node, si: usize, pass: Pass, path: &mut String, out: &mut Vec<Violation>) {
        if pass == Pass::Merged && !self.requires[si] {
            return;
        }
        let s = &self.nodes[si];
        if n.tag == super::node::Tag::Reset {
            // `!reset` removes the key while merging: its value is no value to check.
            return;
        }
        if n.is_null() && is_service_path(path) {
            // compose-go reads a null service (`web:`, extended or overridden) as an empty one.
            return;
        }
        if !fits(n, &s.types) {
            // Types are a property of each file, as Compose validates them (after interpolation).
            if pass == Pass::File {
                out.push(wrong_type(
                    n,
                    s.types.iter().map(String::as_str).collect(),
                    path,
                ));
            }
            return;
        }
        for alts in &s.alternatives {
            match alts.iter().find(|&&a| fits(n, &self.nodes[a].types)) {
                Some(&alt) => self.walk(n, alt, pass, path, out),
                None if pass == Pass::File => {
                    let expected = alts
                        .iter()
                        .flat_map(|&a| self.nodes[a].types.iter().map(String::as_str))
                        .collect();
                    out.push(wrong_type(n, expected, path));
                }
                None => {}
            }
        }
        match &n.value {
            Value::Map(m) => self.object(n, m, s, pass, path, out),
            Value::Seq(items) => {
                if let Some(item) = s.items {
                    for (i, v) in items.iter().enumerate() {
                        let len = path.len();
                        path.push('[');
                        crate::text::push_decimal(path, i as u64);
                        path.push(']');
                        self.walk(v, item, pass, path, out);
                        path.truncate(len);
                    }
                }
            }
            Value::Int(_) | Value::Float(_) if pass == Pass::File => {
                let v = match n.value {
                    Value::Int(i) => i as f64,
                    Value::Float(f) => f,
                    _ => return,
                };
                if let Some(minimum) = s.minimum
                    && v < minimum
                {
                    out.push(Violation {
                        problem: Problem::Below { minimum },
                        at: n.at,
                        path: path.clone(),
                    });
                }
            }
            _ => {}
        }
    }

    fn object(
        &self,
        n: &Node,
        m: &super::node::Map,
        s: &Schema,
        pass: Pass,
        path: &mut String,
        out: &mut Vec<Violation>,
    ) {
        if pass == Pass::Merged
            && let Some(required) = &s.required
        {
            for key in required {
                if !m.contains_key(key.as_str()) {
                    out.push(Violation {
                        problem: Problem::Missing { key: key.clone() },
                        at: n.key_at,
                        path: path.clone(),
                    });
                }
            }
        }
        for (k, v) in m {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let sub = s
                .props
                .as_ref()
                .and_then(|p| p.index.get(k.as_str()).copied())
                .or_else(|| {
                    s.patterns.as_ref().and_then(|p| {
                        p.iter()
                            .find(|(pattern, _)| matches_pattern(pattern, k))
                            .map(|(_, s)| *s)
                    })
                });
            match sub.or(s.extra) {
                Some(sub) => self.walk(v, sub, pass, path, out),
                // A name in a mapping of names; service names have their own check (C015).
                None if s.closed
                    && pass == Pass::File
                    && s.props.is_none()
                    && &path[..len] != "services" =>
                {
                    out.push(Violation {
                        problem: Problem::BadName {
                            key: k.clone(),
                            pattern: s
                                .patterns
                                .as_ref()
                                .and_then(|p| p.iter().map(|(p, _)| p).find(|p| *p != "^x-"))
                                .cloned()
                                .unwrap_or_default(),
                        },
                        at: v.key_at,
                        path: path.clone(),
                    });
                }
                None if s.props.is_none() => {}
                None if s.closed && pass == Pass::File => out.push(Violation {
                    problem: Problem::Unknown {
                        key: k.clone(),
                        suggestion: s
                            .props
                            .as_ref()
                            .and_then(|p| suggest(k, p.order.iter().map(String::as_str))),
                    },
                    at: v.key_at,
                    path: path.clone(),
                }),
                None => {}
            }
            path.truncate(len);
        }
    }
}

/// `#/$defs/name` to the definition it names.
fn resolve<'a>(root: &'a Raw, s: &'a Raw) -> &'a Raw {
    let mut s = s;
    while let Some(r) = &s.reference {
        let Some(name) = r.strip_prefix("#/$defs/") else {
            break;
        };
        match root.defs.as_ref().and_then(|d| d.get(name)) {
            Some(d) => s = d,
            None => break,
        }
    }
    s
}

/// `services.<name>`, exactly.
fn is_service_path(path: &str) -> bool {
    path.strip_prefix("services.")
        .is_some_and(|name| !name.contains(['.', '[']))
}

/// The JSON schema name of a node's kind.
fn kind(n: &Node) -> &'static str {
    match &n.value {
        Value::Map(_) => "object",
        Value::Seq(_) => "array",
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::Str(_) => "string",
    }
}

/// A wrong-type violation of `n`, which fits none of `expected`.
fn wrong_type(n: &Node, expected: Vec<&str>, path: &str) -> Violation {
    let mut expected: Vec<String> = expected.into_iter().map(str::to_string).collect();
    expected.sort();
    expected.dedup();
    // "a mapping or null", as the loader's own messages say it.
    if let Some(i) = expected.iter().position(|t| t == "null") {
        let null = expected.remove(i);
        expected.push(null);
    }
    Violation {
        problem: Problem::WrongType {
            found: kind(n),
            expected,
        },
        at: n.at,
        path: path.to_string(),
    }
}

/// Whether a schema of these types (one alternative of a `oneOf`) can describe a node of this
/// kind.
fn fits(n: &Node, types: &[String]) -> bool {
    let kind = kind(n);
    types.is_empty()
        || types
            .iter()
            .any(|t| t == kind || (t == "number" && kind == "integer"))
}

/// The schema's `patternProperties` patterns, matched by hand (there are five).
fn matches_pattern(pattern: &str, key: &str) -> bool {
    match pattern {
        "^x-" => key.starts_with("x-"),
        ".+" | "^.+$" => !key.is_empty(),
        "^[a-z]+$" => !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase()),
        "^[a-zA-Z0-9._-]+$" => {
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        // A pattern added to the schema later: accept rather than refuse what may be valid.
        _ => true,
    }
}

/// The known key closest to `key`, when it is close enough to be a likely typo: at most one
/// edit for short keys, two from six characters on.
pub fn suggest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = if key.chars().count() >= 6 { 2 } else { 1 };
    known
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.to_string())
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> Node {
        let limits = super::super::Limits::default();
        super::super::parse::parse(yaml.as_bytes(), "t.yaml", 0, &limits)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn unknown_keys_everywhere_with_suggestions() {
        let d = doc(
            "service: {}\nservices:\n  web:\n    image: x\n    enviroment: {A: b}\n    x-ok: 1\n    deploy:\n      resourcs: {}\nx-top: 1\n",
        );
        let v = check(&d, Pass::File);
        let got: Vec<(String, Option<String>, u32)> = v
            .iter()
            .map(|v| match &v.problem {
                Problem::Unknown { suggestion, .. } => {
                    (v.path.clone(), suggestion.clone(), v.at.line)
                }
                p => panic!("{p:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                ("service".into(), Some("services".into()), 1),
                (
                    "services.web.enviroment".into(),
                    Some("environment".into()),
                    5
                ),
                (
                    "services.web.deploy.resourcs".into(),
                    Some("resources".into()),
                    8
                ),
            ]
        );
    }

    #[test]
    fn required_keys_only_on_the_merged_tree() {
        let d = doc("services:\n  web:\n    provider: {options: {a: b}}\n");
        assert!(check(&d, Pass::File).is_empty());
        let v = check(&d, Pass::Merged);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].problem, Problem::Missing { key: "type".into() });
        assert_eq!(v[0].path, "services.web.provider");
    }

    #[test]
    fn minimum_and_short_forms() {
        let d = doc(
            "services:\n  web:\n    image: x\n    ports: [\"80:80\"]\n    volumes:\n      - ./a:/a\n      - type: tmpfs\n        target: /t\n        tmpfs: {size: -1}\n",
        );
        let v = check(&d, Pass::File);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "services.web.volumes[1].tmpfs.size");
        assert_eq!(v[0].problem, Problem::Below { minimum: 0.0 });
    }

    #[test]
    fn suggestions_need_a_close_key() {
        let known = ["environment", "image", "ports"];
        assert_eq!(
            suggest("enviroment", known.iter().copied()).as_deref(),
            Some("environment")
        );
        assert_eq!(
            suggest("imgae", known.iter().copied()).as_deref(),
            Some("image")
        );
        assert_eq!(suggest("volumes", known.iter().copied()), None);
    }
}
