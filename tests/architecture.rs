//! The import rules of docs/architecture.md, checked on the source: no module imports a later
//! stage (helpers < compose < lock < lower < harden < plan < emit < convert < report < cli),
//! and no stage has an import cycle between its files.
//!
//! A scan of `src/`, not the compiler's view: comments and strings are blanked, then every
//! `use` tree and every `crate::`, `super::` and `self::` path (and a path that starts with a
//! name the file imports or a child module it declares) is resolved to the file that defines
//! it, through `use` re-exports (`lower::Object` is `lower/object.rs`'s). A module and its
//! own files (a folder's `mod.rs` and the files it declares) may use each other: the root
//! declares and calls them, they read the types it holds. Test modules count like any code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and its place in the order; a module may import only
/// modules of its own rank or lower. `main.rs` and `cli` are the binary.
const RANKS: &[(&str, u8, &str)] = &[
    ("diag", 0, "helpers"),
    ("hash", 0, "helpers"),
    ("output", 0, "helpers"),
    ("parallel", 0, "helpers"),
    ("quantity", 0, "helpers"),
    ("target", 0, "helpers"),
    ("text", 0, "helpers"),
    ("yaml", 0, "helpers"),
    ("compose", 1, "compose"),
    ("lock", 2, "lock"),
    ("lower", 3, "lower"),
    ("harden", 4, "harden"),
    ("plan", 5, "plan"),
    ("emit", 6, "emit"),
    ("convert", 7, "convert"),
    ("report", 8, "report"),
    ("cli", 9, "cli"),
    ("main", 9, "cli"),
    // lib.rs: the crate root re-exports the public API of every stage.
    ("", 10, "lib"),
];

const ORDER: &str = "helpers (diag, hash, output, parallel, quantity, target, text, yaml) < compose < lock < lower < harden < plan < emit < convert < report < cli";

#[test]
fn stages_import_only_earlier_stages_and_have_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    read_dir(&src, &src, &mut files);
    assert!(files.len() > 100, "src/ has {} files", files.len());
    let problems = check(&files);
    assert!(
        problems.is_empty(),
        "{} import rule(s) broken (docs/architecture.md, \"What each stage may import\"; {ORDER}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_finds_an_import_of_a_later_stage() {
    let files = synthetic(&[
        ("lib.rs", "pub mod lower;\npub mod emit;\n"),
        ("lower/mod.rs", "mod pod;\n"),
        // Through a re-export, in a use tree, after a comment that names no path.
        (
            "lower/pod.rs",
            "// crate::emit is not an import\nuse crate::{diag, emit::{Format, yaml}};\n",
        ),
        (
            "emit/mod.rs",
            "mod write;\npub use write::Format;\npub mod yaml;\n",
        ),
        ("emit/write.rs", "pub enum Format {}\n"),
        ("emit/yaml.rs", "use crate::lower::Object;\n"),
    ]);
    let problems = check(&files);
    assert_eq!(
        problems,
        [
            "src/lower/pod.rs imports `crate::emit::write::Format` (src/emit/write.rs): lower may not import emit, a later stage",
            "src/lower/pod.rs imports `crate::emit::yaml` (src/emit/yaml.rs): lower may not import emit, a later stage",
        ]
    );
}

#[test]
fn the_checker_finds_an_import_cycle_inside_a_stage() {
    let files = synthetic(&[
        ("lib.rs", "pub mod lower;\n"),
        (
            "lower/mod.rs",
            "mod pod;\nmod volumes;\nmod binds;\npub struct Ctx;\n",
        ),
        (
            "lower/pod.rs",
            "use super::{Ctx, volumes};\nfn f() { volumes::mounts(); }\n",
        ),
        (
            "lower/volumes.rs",
            "pub fn mounts() { super::binds::lower(); }\n",
        ),
        (
            "lower/binds.rs",
            "pub fn lower() { let s = \"super::volumes::x\"; crate::lower::pod::f(); }\n",
        ),
    ]);
    assert_eq!(
        check(&files),
        [
            "import cycle in lower: src/lower/binds.rs -> src/lower/pod.rs (`crate::lower::pod::f`) -> src/lower/volumes.rs (`crate::lower::volumes`) -> src/lower/binds.rs (`crate::lower::binds::lower`); move what they share into a file of its own"
        ]
    );
}

#[test]
fn a_folder_root_and_its_files_and_test_modules_are_no_cycle() {
    let files = synthetic(&[
        ("lib.rs", "pub mod yaml;\npub mod emit;\n"),
        (
            "yaml.rs",
            "mod direct;\npub fn write() { direct::write(); }\nfn key() {}\n",
        ),
        (
            "yaml/direct.rs",
            "use crate::yaml;\npub fn write() { yaml::key(); }\n",
        ),
        ("emit/mod.rs", "mod a;\nmod b;\n"),
        ("emit/a.rs", "use super::b::g;\npub fn f() {}\n"),
        (
            "emit/b.rs",
            "pub fn g() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::a::f;\n}\n",
        ),
    ]);
    // The test module of b.rs reads a.rs: a cycle like any other.
    assert_eq!(
        check(&files),
        [
            "import cycle in emit: src/emit/a.rs -> src/emit/b.rs (`crate::emit::b::g`) -> src/emit/a.rs (`crate::emit::a::f`); move what they share into a file of its own"
        ]
    );
    let mut files = files;
    files.insert(
        "emit/b.rs".into(),
        "pub fn g() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n".into(),
    );
    assert_eq!(check(&files), Vec::<String>::new());
}

#[test]
fn a_module_missing_from_the_order_is_reported() {
    let files = synthetic(&[
        ("lib.rs", "pub mod compose;\nmod sidecar;\n"),
        ("compose/mod.rs", ""),
        ("sidecar.rs", ""),
    ]);
    assert_eq!(
        check(&files),
        [
            "src/sidecar.rs: `sidecar` has no place in the stage order; add it to RANKS in tests/architecture.rs and to docs/architecture.md"
        ]
    );
}

fn synthetic(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn read_dir(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_dir(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// One source file: its module path and what it imports.
struct File {
    module: Vec<String>,
    code: String,
    /// `mod x;` declarations: child modules in their own files.
    children: BTreeSet<String>,
    /// Inline modules (`mod tests { … }`): where each starts and ends, and its name.
    inline: Vec<(usize, usize, String)>,
    /// Names its top-level `use` declarations bind, and the absolute paths they stand for.
    binds: BTreeMap<String, Vec<String>>,
}

/// Every broken rule, one line each, naming the files.
fn check(sources: &BTreeMap<String, String>) -> Vec<String> {
    let mut files: BTreeMap<String, File> = BTreeMap::new();
    for (rel, text) in sources {
        let code = blank(text);
        files.insert(
            rel.clone(),
            File {
                module: module_of(rel),
                children: child_modules(&code),
                inline: inline_modules(&code),
                code,
                binds: BTreeMap::new(),
            },
        );
    }
    let rels: Vec<String> = files.keys().cloned().collect();
    for rel in &rels {
        let f = &files[rel];
        let mut binds = BTreeMap::new();
        for (at, tree) in use_trees(&f.code) {
            if f.inline
                .iter()
                .any(|(start, end, _)| (*start..*end).contains(&at))
            {
                continue;
            }
            for (path, name) in expand(&tree) {
                if let Some(abs) = absolute(f, &f.module, &path)
                    && name != "*"
                {
                    binds.insert(name, abs);
                }
            }
        }
        files.get_mut(rel).unwrap().binds = binds;
    }
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter(|(rel, _)| rel.as_str() != "main.rs")
        .map(|(rel, f)| (f.module.clone(), rel.clone()))
        .collect();

    let mut problems = Vec::new();
    // The imports of each file: target file -> the first path that names it.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (rel, f) in &files {
        let Some(rank) = rank_of(&f.module) else {
            problems.push(format!(
                "src/{rel}: `{}` has no place in the stage order; add it to RANKS in tests/architecture.rs and to docs/architecture.md",
                f.module[0]
            ));
            continue;
        };
        for (base, path) in paths(f) {
            let Some(abs) = absolute(f, &base, &path) else {
                continue;
            };
            let (target, shown) = resolve(&files, &by_module, abs);
            if target == *rel
                || is_within(&files[&target].module, &f.module)
                || is_within(&f.module, &files[&target].module)
            {
                continue;
            }
            let to = &files[&target].module;
            if let Some(to_rank) = rank_of(to)
                && to_rank.0 > rank.0
            {
                problems.push(format!(
                    "src/{rel} imports `crate::{shown}` (src/{target}): {} may not import {}, a later stage",
                    rank.1, to_rank.1
                ));
            }
            edges
                .entry(rel.clone())
                .or_default()
                .entry(target)
                .or_insert(shown);
        }
    }
    problems.sort();
    problems.dedup();
    // Cycles among the files of one rank (one stage, or the helpers).
    for group in RANKS.iter().map(|r| r.2).collect::<BTreeSet<_>>() {
        let nodes: BTreeSet<&String> = files
            .iter()
            .filter(|(_, f)| rank_of(&f.module).is_some_and(|r| r.1 == group))
            .map(|(rel, _)| rel)
            .collect();
        for (set, cycle) in cycles(&nodes, &edges) {
            let mut line = format!("import cycle in {group}: src/{}", cycle[0]);
            for w in cycle.windows(2) {
                line.push_str(&format!(
                    " -> src/{} (`crate::{}`)",
                    w[1], edges[&w[0]][&w[1]]
                ));
            }
            if set.len() + 1 > cycle.len() {
                let all: Vec<String> = set.iter().map(|f| format!("src/{f}")).collect();
                line.push_str(&format!(", one of the cycles among {}", all.join(", ")));
            }
            line.push_str("; move what they share into a file of its own");
            problems.push(line);
        }
    }
    problems
}

fn rank_of(module: &[String]) -> Option<(u8, &'static str)> {
    let top = module.first().map_or("", String::as_str);
    RANKS.iter().find(|r| r.0 == top).map(|r| (r.1, r.2))
}

/// `inner` is `outer` or inside it.
fn is_within(inner: &[String], outer: &[String]) -> bool {
    inner.len() >= outer.len() && inner[..outer.len()] == *outer
}

fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The source with comments, strings and character literals blanked (lines kept).
fn blank(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank_to = |out: &mut Vec<u8>, from: usize, to: usize| {
        out.extend(
            b[from..to]
                .iter()
                .map(|&c| if c == b'\n' { b'\n' } else { b' ' }),
        );
    };
    let ident = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p);
            blank_to(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank_to(&mut out, i, j);
            i = j;
        } else if !ident(i)
            && (rest.starts_with(b"r#") || rest.starts_with(b"r\"") || rest.starts_with(b"br"))
        {
            let start = i + if rest[0] == b'b' { 2 } else { 1 };
            let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
            if b.get(start + hashes) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let body = start + hashes + 1;
            let end = b[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |p| body + p + close.len());
            blank_to(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank_to(&mut out, i, end);
            i = end;
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\n', '\u{e9}'), not a lifetime ('a).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let n = s[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + n) == Some(&b'\'')).then_some(n + 2)
            };
            match len {
                Some(n) => {
                    blank_to(&mut out, i, i + n);
                    i += n;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Word-bounded occurrences of `word` in `code`.
fn find_words<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    code.match_indices(word).map(|(i, _)| i).filter(move |&i| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// `mod x;` declarations.
fn child_modules(code: &str) -> BTreeSet<String> {
    find_words(code, "mod")
        .filter_map(|i| {
            let rest = code[i + 3..].trim_start();
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            (!name.is_empty() && rest[name.len()..].trim_start().starts_with(';')).then_some(name)
        })
        .collect()
}

/// The inline modules (`mod tests { … }`): where each starts and ends, and its name.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for i in find_words(code, "mod") {
        let rest = code[i + 3..].trim_start();
        let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        if name.is_empty() || !rest[name.len()..].trim_start().starts_with('{') {
            continue;
        }
        let open = i + 3 + code[i + 3..].find('{').unwrap();
        let mut depth = 0;
        let mut close = code.len();
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((i, close, name));
    }
    out
}

/// Each `use` declaration: where it starts and its tree, without `use` and `;`.
fn use_trees(code: &str) -> Vec<(usize, String)> {
    find_words(code, "use")
        .filter_map(|i| {
            let end = code[i..].find(';')?;
            Some((i, code[i + 3..i + end].to_string()))
        })
        .collect()
}

/// A use tree's paths, each with the name it binds (`*` for a glob).
fn expand(tree: &str) -> Vec<(Vec<String>, String)> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in tree.chars() {
        if is_ident(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if matches!(c, '{' | '}' | ',' | '*') {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    let mut out = Vec::new();
    let mut pos = 0;
    tree_at(&tokens, &mut pos, Vec::new(), &mut out);
    out
}

fn tree_at(
    t: &[String],
    pos: &mut usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
) {
    while *pos < t.len() {
        match t[*pos].as_str() {
            "{" => {
                *pos += 1;
                while *pos < t.len() && t[*pos] != "}" {
                    tree_at(t, pos, prefix.clone(), out);
                    if t.get(*pos).is_some_and(|s| s == ",") {
                        *pos += 1;
                    }
                }
                *pos += 1;
                return;
            }
            "*" => {
                *pos += 1;
                out.push((prefix, "*".into()));
                return;
            }
            "," | "}" => break,
            "as" => {
                let name = t.get(*pos + 1).cloned().unwrap_or_default();
                *pos += 2;
                out.push((prefix, name));
                return;
            }
            w => {
                prefix.push(w.to_string());
                *pos += 1;
            }
        }
    }
    if prefix.last().is_some_and(|s| s == "self") {
        prefix.pop();
    }
    if let Some(name) = prefix.last().cloned() {
        out.push((prefix, name));
    }
}

/// Every path of a file that may name a module of the crate: its use trees, and
/// `crate::`/`super::`/`self::` paths and paths that start with a name it binds or a child
/// module, each with the module its `super`/`self` are relative to.
fn paths(f: &File) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let base = |at: usize| {
        let mut m = f.module.clone();
        let around = f
            .inline
            .iter()
            .filter(|(start, end, _)| (*start..*end).contains(&at));
        m.extend(around.map(|(_, _, name)| name.clone()));
        m
    };
    for (at, tree) in use_trees(&f.code) {
        for (path, _) in expand(&tree) {
            out.push((base(at), path));
        }
    }
    let code = &f.code;
    let mut i = 0;
    while let Some(p) = code[i..].find("::") {
        let at = i + p;
        i = at + 2;
        // The path's first segment: the word before the first `::` of a chain.
        let start = code[..at].trim_end_matches(is_ident).len();
        if start == at || code[..start].ends_with("::") {
            continue;
        }
        let mut path = vec![code[start..at].to_string()];
        let mut j = at;
        while code[j..].starts_with("::") {
            let w: String = code[j + 2..].chars().take_while(|&c| is_ident(c)).collect();
            if w.is_empty() {
                break;
            }
            j += 2 + w.len();
            path.push(w);
        }
        let first = path[0].as_str();
        if matches!(first, "crate" | "super" | "self" | "kubeferry")
            || f.binds.contains_key(first)
            || f.children.contains(first)
        {
            out.push((base(start), path));
        }
    }
    out
}

/// A path as an absolute module path, or `None` when it is not the crate's.
fn absolute(f: &File, base: &[String], path: &[String]) -> Option<Vec<String>> {
    let binary = matches!(f.module.first().map(String::as_str), Some("main" | "cli"));
    let mut rest = path;
    let mut abs: Vec<String> = match path.first()?.as_str() {
        "crate" => {
            rest = &path[1..];
            Vec::new()
        }
        "kubeferry" if binary => {
            rest = &path[1..];
            Vec::new()
        }
        "self" => {
            rest = &path[1..];
            base.to_vec()
        }
        "super" => {
            let mut m = base.to_vec();
            while rest.first().is_some_and(|s| s == "super") {
                m.pop();
                rest = &rest[1..];
            }
            m
        }
        // The binary's root declares `cli`, a top-level module.
        first if f.children.contains(first) && f.module == ["main"] => Vec::new(),
        first if f.children.contains(first) => f.module.clone(),
        first if f.binds.contains_key(first) => {
            let mut m = f.binds[first].clone();
            m.extend(path[1..].iter().cloned());
            return Some(m);
        }
        _ => return None,
    };
    abs.extend(rest.iter().cloned());
    Some(abs)
}

/// The file that defines an absolute path, following `use` re-exports, and the path there.
fn resolve(
    files: &BTreeMap<String, File>,
    by_module: &BTreeMap<Vec<String>, String>,
    mut abs: Vec<String>,
) -> (String, String) {
    for _ in 0..16 {
        let n = (0..=abs.len())
            .rev()
            .find(|&n| by_module.contains_key(&abs[..n]))
            .unwrap_or(0);
        let file = &by_module[&abs[..n]];
        let next = abs.get(n).and_then(|name| files[file].binds.get(name));
        match next {
            Some(target) if *target != abs[..=n] => {
                let mut t = target.clone();
                t.extend(abs[n + 1..].iter().cloned());
                abs = t;
            }
            _ => return (file.clone(), abs.join("::")),
        }
    }
    (by_module[&Vec::new()].clone(), abs.join("::"))
}

/// Each strongly connected set of `nodes` larger than one file, with one cycle through it
/// (its first file repeated at the end).
fn cycles(
    nodes: &BTreeSet<&String>,
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let next = |v: &String| -> Vec<String> {
        edges
            .get(v)
            .map(|m| m.keys().filter(|w| nodes.contains(w)).cloned().collect())
            .unwrap_or_default()
    };
    let reach = |from: &String| {
        let mut seen = BTreeSet::from([from.clone()]);
        let mut todo = vec![from.clone()];
        while let Some(v) = todo.pop() {
            for w in next(&v) {
                if seen.insert(w.clone()) {
                    todo.push(w);
                }
            }
        }
        seen
    };
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for &v in nodes {
        if done.contains(v) {
            continue;
        }
        // The files v reaches that reach v: its strongly connected set.
        let set: BTreeSet<String> = reach(v)
            .into_iter()
            .filter(|w| reach(w).contains(v))
            .collect();
        done.extend(set.iter().cloned());
        if set.len() < 2 {
            continue;
        }
        // The shortest way back to v, breadth first.
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([v.clone()]);
        'search: while let Some(u) = queue.pop_front() {
            for w in next(&u) {
                if !set.contains(&w) || prev.contains_key(&w) {
                    continue;
                }
                prev.insert(w.clone(), u.clone());
                if w == *v {
                    break 'search;
                }
                queue.push_back(w);
            }
        }
        let mut cycle = vec![v.clone()];
        let mut at = prev[v].clone();
        while at != *v {
            cycle.push(at.clone());
            at = prev[&at].clone();
        }
        cycle.push(v.clone());
        cycle.reverse();
        out.push((set, cycle));
    }
    out
}
