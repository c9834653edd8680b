//! YAML text from any `Serialize` value (objects, JSON values): the only YAML writer, below
//! every stage (emit's manifests, plan's override file, the lock file), with its scalar rules
//! here and its structure in `direct`. Strings that YAML 1.1 readers (kubectl's
//! sigs.k8s.io/yaml, PyYAML) would take for something else (`on`, `yes`, `True`, `0755`,
//! `1e3`, `12:30`) are quoted; multi-line strings become literal blocks.

mod direct;

use serde::Serialize;
use serde_json::Value;

/// One document, ending in a newline.
pub fn to_string<T: Serialize + ?Sized>(v: &T) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

/// One document, ending in a newline, appended to `out`. The structure is written by
/// `direct` straight from `Serialize`; what it does not stream (keys that are not
/// strings, tuple variants) goes through serde_json's value tree first, which always streams.
pub fn write<T: Serialize + ?Sized>(out: &mut String, v: &T) {
    if !direct::write(out, v) {
        let tree = serde_json::to_value(v).unwrap_or(Value::Null);
        let streamed = direct::write(out, &tree);
        debug_assert!(streamed, "a JSON value always streams");
    }
}

pub(super) fn indent(out: &mut String, n: usize) {
    // A slice of spaces, not a space at a time: every line of the output is indented.
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

pub(super) fn key(out: &mut String, k: &str) {
    if plain_ok(k) {
        out.push_str(k);
    } else {
        quoted(out, k);
    }
}

pub(super) fn string(out: &mut String, s: &str, ind: usize) {
    if plain_ok(s) {
        out.push_str(s);
    } else if block_ok(s) {
        let chomp = if s.ends_with("\n\n") {
            "+"
        } else if s.ends_with('\n') {
            ""
        } else {
            "-"
        };
        out.push('|');
        out.push_str(chomp);
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, ind);
                out.push_str(line);
            }
        }
    } else {
        quoted(out, s);
    }
}

/// A double-quoted scalar. Every character a YAML reader would not keep as written is
/// escaped: the JSON escapes for ASCII, and `\u` for C1 controls (NEL is a line break to
/// YAML 1.1 readers, which fold it into a space), U+2028, U+2029, the BOM and the
/// non-characters.
fn quoted(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Characters that cannot stand as themselves in a plain or block scalar: controls (C0, DEL,
/// C1), the characters YAML 1.1 reads as line breaks, the BOM, and what YAML cannot print.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.ends_with(' ')
        && s.chars().all(|c| c == '\n' || c == '\t' || !unsafe_char(c))
        && !s.contains("\r")
        && s.lines().all(|l| !l.ends_with(' ') && !l.ends_with('\t'))
}

/// Plain scalars that YAML 1.1 or 1.2 readers take for booleans, nulls, special floats or
/// merge keys (compared ignoring ASCII case).
/// The words YAML 1.1 or 1.2 reads as something other than a string, in any case.
fn reserved(b: &[u8]) -> bool {
    if b.len() > 5 {
        return false;
    }
    let mut low = [0u8; 5];
    for (l, c) in low.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    matches!(
        &low[..b.len()],
        b"true"
            | b"false"
            | b"yes"
            | b"no"
            | b"on"
            | b"off"
            | b"y"
            | b"n"
            | b"null"
            | b"~"
            | b".inf"
            | b"-.inf"
            | b"+.inf"
            | b".nan"
            | b"<<"
            | b"="
    )
}
/// Bytes a plain scalar's body needs a closer look at: the ASCII control characters (tab
/// included), `:` and ` ` (by what follows them), and every byte of a non-ASCII character.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i >= 0x7f || i == b':' as usize || i == b' ' as usize;
        i += 1;
    }
    t
};

/// Bytes of a plain word: ASCII letters and digits, `-`, `.`, `_` and `/`.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c == b'/';
        i += 1;
    }
    t
};

/// Whether `s` can be written plain and reads back as the same string in YAML 1.1 and 1.2.
///
/// Runs for every key and value written (a tenth of the work of a large conversion once
/// went here), so the body is one pass over the bytes with a table: every character YAML
/// gives a meaning to is ASCII.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    // Most keys and values: a letter, then letters, digits and `-._/` only, longer than every
    // reserved word. Nothing else needs looking at.
    if b.len() > 5 && b[0].is_ascii_alphabetic() && b.iter().all(|&c| WORD[c as usize]) {
        return true;
    }
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b'~'
            | b' '
            | b'\t'
    ) {
        // `-x` is a fine plain scalar; a lone `-`, `- x` or `-1` is not.
        let dash_ok = first == b'-' && b.len() > 1 && b[1] != b' ' && !looks_numeric(b);
        if !dash_ok {
            return false;
        }
    }
    if last == b' ' || last == b':' {
        return false;
    }
    let mut non_ascii = false;
    for (i, &c) in b.iter().enumerate() {
        if !SPECIAL[c as usize] {
            continue;
        }
        match c {
            b':' if b.get(i + 1) == Some(&b' ') => return false,
            b' ' if b.get(i + 1) == Some(&b'#') => return false,
            b':' | b' ' => {}
            0x80.. => non_ascii = true,
            // Tab, the other ASCII control characters and DEL.
            _ => return false,
        }
    }
    if non_ascii && s.chars().any(unsafe_char) {
        return false;
    }
    !reserved(b) && !looks_numeric(b)
}

/// Anything a YAML 1.1 or 1.2 reader might take for a number (ints in any base, floats,
/// sexagesimal `12:30`, `1_000`).
fn looks_numeric(b: &[u8]) -> bool {
    let start = b.iter().position(|&c| c != b'+' && c != b'-');
    let Some(body) = start.map(|i| &b[i..]) else {
        return false;
    };
    if !(body[0].is_ascii_digit() || body[0] == b'.') {
        return false;
    }
    body.iter().all(|&c| {
        c.is_ascii_hexdigit()
            || matches!(
                c,
                b'.' | b'_' | b':' | b'x' | b'X' | b'o' | b'O' | b'+' | b'-'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_strings_are_quoted() {
        let v = json!({"a": "on", "b": "True", "c": "0755", "d": "1e3", "e": "12:30", "f": "plain text", "g": "-x", "h": "", "i": "a: b"});
        let y = to_string(&v);
        assert_eq!(
            y,
            "a: \"on\"\nb: \"True\"\nc: \"0755\"\nd: \"1e3\"\ne: \"12:30\"\nf: plain text\ng: -x\nh: \"\"\ni: \"a: b\"\n"
        );
    }

    #[test]
    fn nesting_and_blocks() {
        let v = json!({"m": {"k": [1, {"x": "w", "z": []}]}, "s": "line1\nline2\n", "e": {}});
        let y = to_string(&v);
        assert_eq!(
            y,
            "m:\n  k:\n    - 1\n    - x: w\n      z: []\ns: |\n  line1\n  line2\ne: {}\n"
        );
    }

    #[test]
    fn indent_writes_n_spaces() {
        for n in [0, 1, 63, 64, 65, 130] {
            let mut out = String::from("x");
            indent(&mut out, n);
            assert_eq!(out, format!("x{}", " ".repeat(n)));
        }
    }

    /// The definition `plain_ok` implements, written for clarity rather than speed.
    fn plain_by_definition(s: &str) -> bool {
        let numeric = |s: &str| {
            let body = s.trim_start_matches(['+', '-']);
            body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
                && body
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || ".:_xXoO+-".contains(c))
        };
        let Some(first) = s.chars().next() else {
            return false;
        };
        let indicator = "-?:,[]{}#&*!|>'\"%@`~ \t".contains(first);
        let dash_ok = first == '-' && s.len() > 1 && !s[1..].starts_with(' ') && !numeric(s);
        (!indicator || dash_ok)
            && !s.ends_with([' ', ':'])
            && !s.contains(": ")
            && !s.contains(" #")
            && !s.chars().any(unsafe_char)
            && !reserved(s.as_bytes())
            && !numeric(s)
    }

    proptest::proptest! {
        #[test]
        fn plain_ok_agrees_with_its_definition(
            s in "[a-zA-Z0-9 :#.+_xXo/\\-\t\n'\"{}\\[\\],&*!|>%@`~?\u{e9}\u{feff}\u{85}\u{2028}\u{9f}\u{1F600}\u{7f}]{0,10}"
        ) {
            proptest::prop_assert_eq!(plain_ok(&s), plain_by_definition(&s), "{:?}", s);
        }

        #[test]
        fn any_string_reads_back(
            s in "[a-zA-Z0-9 :#.+_xXo/\\-\t\n'\"{}\\[\\],&*!|>%@`~?\u{e9}\u{feff}\u{85}\u{2028}\u{9f}\u{1F600}]{0,10}"
        ) {
            let v = serde_json::json!({ "k": s });
            let back: Value = serde_norway::from_str(&to_string(&v)).unwrap();
            proptest::prop_assert_eq!(back, v);
        }
    }

    #[test]
    fn output_reads_back() {
        let v = json!({"a": ["on", "1.0", "x y", "multi\n  indented\nlines"], "b": {"c": null, "d": true, "e": 3}});
        let back: Value = serde_norway::from_str(&to_string(&v)).unwrap();
        assert_eq!(back, v);
    }
}
