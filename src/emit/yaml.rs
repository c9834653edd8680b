//! YAML text from JSON values: the only YAML writer. Strings that YAML 1.1 readers (kubectl's
//! sigs.k8s.io/yaml, PyYAML) would take for something else (`on`, `yes`, `True`, `0755`,
//! `1e3`, `12:30`) are quoted; multi-line strings become literal blocks.

use serde_json::Value;

/// One document, ending in a newline.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v);
    out
}

/// One document, ending in a newline, appended to `out`.
pub fn write(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => map(out, m, 0),
        Value::Array(a) if !a.is_empty() => seq(out, a, 0),
        _ => {
            scalar(out, v, 0);
            out.push('\n');
        }
    }
}

pub(super) fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn map(out: &mut String, m: &serde_json::Map<String, Value>, ind: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            indent(out, ind);
        }
        first = false;
        key(out, k);
        out.push(':');
        child(out, v, ind);
    }
}

fn seq(out: &mut String, a: &[Value], ind: usize) {
    let mut first = true;
    for v in a {
        if !first {
            indent(out, ind);
        }
        first = false;
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => map(out, m, ind + 2),
            Value::Array(a) if !a.is_empty() => seq(out, a, ind + 2),
            _ => {
                scalar(out, v, ind + 2);
                out.push('\n');
            }
        }
    }
}

/// The value after `key:`.
fn child(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            indent(out, ind + 2);
            map(out, m, ind + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            indent(out, ind + 2);
            seq(out, a, ind + 2);
        }
        _ => {
            out.push(' ');
            scalar(out, v, ind + 2);
            out.push('\n');
        }
    }
}

pub(super) fn key(out: &mut String, k: &str) {
    if plain_ok(k) {
        out.push_str(k);
    } else {
        quoted(out, k);
    }
}

fn scalar(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s, ind),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
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

fn quoted(out: &mut String, s: &str) {
    // A JSON string is a valid YAML double-quoted scalar.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.ends_with(' ')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
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
/// Whether `s` can be written plain and reads back as the same string in YAML 1.1 and 1.2.
///
/// Runs for every key and value written, so it looks at bytes: every character YAML gives a
/// meaning to is ASCII.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
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
        let dash_ok = first == b'-' && b.len() > 1 && b[1] != b' ' && !looks_numeric(s);
        if !dash_ok {
            return false;
        }
    }
    if last == b' ' || last == b':' {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied();
        match c {
            b':' if next == Some(b' ') => return false,
            b' ' if next == Some(b'#') => return false,
            // Tab and the other ASCII control characters.
            0..=0x1f | 0x7f => return false,
            _ => {}
        }
    }
    if !s.is_ascii() && s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    !reserved(b) && !looks_numeric(s)
}

/// Anything a YAML 1.1 or 1.2 reader might take for a number (ints in any base, floats,
/// sexagesimal `12:30`, `1_000`).
fn looks_numeric(s: &str) -> bool {
    let body = s.trim_start_matches(['+', '-']);
    let Some(c) = body.chars().next() else {
        return false;
    };
    if !(c.is_ascii_digit() || c == '.') {
        return false;
    }
    body.chars().all(|c| {
        c.is_ascii_hexdigit() || matches!(c, '.' | '_' | ':' | 'x' | 'X' | 'o' | 'O' | '+' | '-')
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
    fn output_reads_back() {
        let v = json!({"a": ["on", "1.0", "x y", "multi\n  indented\nlines"], "b": {"c": null, "d": true, "e": 3}});
        let back: Value = serde_yaml::from_str(&to_string(&v)).unwrap();
        assert_eq!(back, v);
    }
}
