//! The `.env` / `env_file` format.
//!
//! The default format follows compose-go's `dotenv` parser, including its statement
//! stream: after a closing quote the parser looks for the next statement right away, so
//! `A="x" B=y` on one line defines both. `format: raw` follows docker/cli's `kvfile`
//! (`docker run --env-file`): one `KEY=VALUE` per line, taken verbatim.

use std::collections::HashMap;
use std::fmt;

use super::interpolate::interpolate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for DotenvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

impl std::error::Error for DotenvError {}

/// One entry: key and value. `None` value = a bare `KEY` line with no `=` whose key `lookup` does not know
/// (the caller decides what that means); a bare KEY that lookup knows gets the looked-up value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Option<String>,
    pub line: u32,
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Parse a .env text. Values of unquoted and double-quoted entries are interpolated
/// looking up first `lookup`, then the entries parsed so far in this file (later
/// definitions of the same key replace earlier ones in the returned order-preserving list:
/// keep first position, last value and its line).
/// Single-quoted values are literal. `raw == true` (Compose `format: raw`): `KEY=VALUE` taken verbatim, no unquoting, no interpolation.
///
/// As in compose-go, `=value` yields an entry with an empty key; the caller validates names.
/// References to unset variables inside values expand to blank without being reported.
///
/// # Errors
///
/// A [`DotenvError`] for a malformed key, an unterminated quote or a failed
/// interpolation (e.g. `${VAR:?}` with `VAR` unset), at the offending line and column.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    raw: bool,
) -> Result<Vec<Entry>, DotenvError> {
    parse_layered(text, lookup, &|_| None, raw)
}

/// [`parse`] with a `fallback` looked up after this file's own entries: the values of the
/// earlier of several `--env-file`s, which a later file's definitions shadow for its own
/// references (compose-go reads all of them into one map).
///
/// # Errors
///
/// As [`parse`].
pub fn parse_layered(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    fallback: &dyn Fn(&str) -> Option<String>,
    raw: bool,
) -> Result<Vec<Entry>, DotenvError> {
    // Editors on Windows like to prepend a BOM; it is not part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Entries::default();
    let inherit = |k: &str| lookup(k).or_else(|| fallback(k));
    if raw {
        parse_raw(text, &inherit, &mut entries)?;
    } else {
        parse_dotenv(text, lookup, fallback, &mut entries)?;
    }
    Ok(entries.list)
}

/// Order-preserving map from key to entry.
#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Entries {
    fn value(&self, key: &str) -> Option<&str> {
        let i = *self.index.get(key)?;
        self.list.get(i)?.value.as_deref()
    }

    fn set(&mut self, key: &str, value: Option<String>, line: u32) {
        if let Some(entry) = self.index.get(key).and_then(|&i| self.list.get_mut(i)) {
            entry.value = value;
            entry.line = line;
        } else {
            self.index.insert(key.to_owned(), self.list.len());
            self.list.push(Entry {
                key: key.to_owned(),
                value,
                line,
            });
        }
    }

    /// A bare `KEY` line. Compose leaves an earlier definition alone when the lookup
    /// fails, so only a key seen for the first time is recorded as `None`.
    fn inherit(&mut self, key: &str, lookup: Lookup<'_>, line: u32) {
        if let Some(value) = lookup(key) {
            self.set(key, Some(value), line);
        } else if !self.index.contains_key(key) {
            self.set(key, None, line);
        }
    }
}

/// Byte offset → 1-based line and column (in characters).
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, starts }
    }

    fn line_col(&self, pos: usize) -> (u32, u32) {
        // `starts[0] == 0`, so at least one start is <= pos.
        let line = self.starts.partition_point(|&s| s <= pos).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = self.text.get(start..pos).map_or(0, |s| s.chars().count()) + 1;
        (to_u32(line), to_u32(col))
    }

    fn line(&self, pos: usize) -> u32 {
        self.line_col(pos).0
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> DotenvError {
        let (line, col) = self.line_col(pos);
        DotenvError {
            line,
            col,
            message: message.into(),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whitespace that may surround keys and values without ending the line (compose-go's
/// `isSpace`: no `\n`, but `\r`, so CRLF files work).
fn is_inline_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

fn inline_space_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_inline_space).len()
}

/// The text up to the end of its line, for error messages.
fn first_line(s: &str) -> &str {
    let line = s.split('\n').next().unwrap_or(s);
    line.strip_suffix('\r').unwrap_or(line)
}

fn parse_dotenv(
    text: &str,
    lookup: Lookup<'_>,
    fallback: Lookup<'_>,
    entries: &mut Entries,
) -> Result<(), DotenvError> {
    let lines = Lines::new(text);
    let mut pos = 0;
    while let Some(start) = statement_start(text, pos) {
        let key_start = skip_export(text, start);
        let rest = text.get(key_start..).unwrap_or("");

        // Inline spaces pass here so that `A B=1` gets the clearer error below.
        let mut sep = None;
        for (i, c) in rest.char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    sep = Some((i, c));
                    break;
                }
                c if is_inline_space(c) || is_key_char(c) => {}
                c => {
                    return Err(lines.error(
                        key_start + i,
                        format!(
                            "unexpected character {:?} in variable name {:?}",
                            c.to_string(),
                            first_line(rest)
                        ),
                    ));
                }
            }
        }
        // A bare key on a last line without `\n` is inherited like any other bare key.
        let (key_len, after_sep, inherited) = match sep {
            Some((i, c)) => (i, key_start + i + 1, c == '\n'),
            None => (rest.len(), text.len(), true),
        };
        let key = rest.get(..key_len).unwrap_or("").trim_end();
        if let Some(i) = key.find(char::is_whitespace) {
            return Err(lines.error(key_start + i, "key cannot contain a space"));
        }
        let line = lines.line(key_start);

        if inherited {
            // An empty key only comes from `export` alone on its line; compose-go looks
            // up "" and sets nothing.
            if !key.is_empty() {
                entries.inherit(key, &|k| lookup(k).or_else(|| fallback(k)), line);
            }
            pos = after_sep;
            continue;
        }

        let value_start = after_sep + inline_space_len(text.get(after_sep..).unwrap_or(""));
        let (value, next) = read_value(text, value_start, (lookup, fallback), entries, &lines)?;
        entries.set(key, Some(value), line);
        pos = next;
    }
    Ok(())
}

/// Start of the next statement at or after `pos`, skipping whitespace and `#` comment
/// lines; `None` at end of input.
fn statement_start(text: &str, mut pos: usize) -> Option<usize> {
    loop {
        let rest = text.get(pos..)?;
        let body = rest.trim_start();
        pos += rest.len() - body.len();
        if body.is_empty() {
            return None;
        }
        if !body.starts_with('#') {
            return Some(pos);
        }
        pos += body.find('\n')?;
    }
}

/// Skip an `export` prefix. Like compose-go's `^export\s+`, the keyword needs trailing
/// whitespace (which may be a newline), so `exportFOO=1` and `export=1` are keys.
fn skip_export(text: &str, start: usize) -> usize {
    let rest = text.get(start..).unwrap_or("");
    match rest.strip_prefix("export") {
        Some(after) if after.starts_with(['\t', '\n', '\u{c}', '\r', ' ']) => {
            start + "export".len() + inline_space_len(after)
        }
        _ => start,
    }
}

/// Read the value starting at `start` (leading spaces already skipped). Returns it and
/// where the next statement search begins.
fn read_value(
    text: &str,
    start: usize,
    (lookup, fallback): (Lookup<'_>, Lookup<'_>),
    entries: &Entries,
    lines: &Lines<'_>,
) -> Result<(String, usize), DotenvError> {
    let rest = text.get(start..).unwrap_or("");
    let expand = |value: &str| {
        let known = |name: &str| {
            lookup(name)
                .or_else(|| entries.value(name).map(str::to_owned))
                .or_else(|| fallback(name))
        };
        interpolate(value, &known, &mut Vec::new()).map_err(|e| lines.error(start, e.to_string()))
    };

    let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], start + i + 1),
            None => (rest, text.len()),
        };
        // Only a space introduces a comment: `a#b` and `a\t#b` keep their `#`.
        let value = line.find(" #").map_or(line, |i| &line[..i]).trim_end();
        return Ok((expand(value)?, next));
    };

    // Backslash only protects the quote character here (and is dropped before it);
    // other escapes are left for `unescape` so `\\` stays two characters until then.
    let mut buf = String::new();
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        if c == quote && !escaped {
            let value = if quote == '"' {
                expand(&unescape(&buf))?
            } else {
                buf
            };
            return Ok((value, start + i + 1));
        }
        if escaped {
            escaped = false;
            if c != quote {
                buf.push('\\');
            }
            buf.push(c);
        } else if c == '\\' {
            escaped = true;
        } else {
            buf.push(c);
        }
    }
    Err(lines.error(
        start,
        format!("unterminated quoted value {}", first_line(rest)),
    ))
}

/// Expand the escapes compose-go supports in double-quoted values:
/// `\a \b \f \n \r \t \v \\ \"`, `\$` (to `$$`, so interpolation leaves a literal `$`)
/// and XSI octal `\0NNN`. Anything else, including `\'`, `\x..` and `\u..`, is kept.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let simple = match after.as_bytes().first() {
            Some(b'a') => Some("\u{7}"),
            Some(b'b') => Some("\u{8}"),
            Some(b'f') => Some("\u{c}"),
            Some(b'n') => Some("\n"),
            Some(b'r') => Some("\r"),
            Some(b't') => Some("\t"),
            Some(b'v') => Some("\u{b}"),
            Some(b'\\') => Some("\\"),
            Some(b'"') => Some("\""),
            Some(b'$') => Some("$$"),
            _ => None,
        };
        if let Some(replacement) = simple {
            out.push_str(replacement);
            rest = &after[1..];
        } else if let Some(octal) = after.strip_prefix('0') {
            let digits = octal.bytes().take(3).take_while(u8::is_ascii_digit).count();
            push_octal(&mut out, &octal[..digits]);
            rest = &octal[digits..];
        } else {
            out.push('\\');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `\0` followed by `digits` (0–3 ASCII digits). Exactly three octal digits worth at most
/// 255 give that code point; otherwise compose-go keeps the sequence minus its `0`
/// (so `\0` alone becomes `\`).
fn push_octal(out: &mut String, digits: &str) {
    // `from_str_radix` fails above 0o377, which Go rejects too.
    if let (3, Ok(byte)) = (digits.len(), u8::from_str_radix(digits, 8)) {
        out.push(char::from(byte));
    } else {
        out.push('\\');
        out.push_str(digits);
    }
}

/// docker/cli `kvfile`: no quoting, no interpolation, no inline comments; whitespace
/// after the key's `=` is part of the value.
fn parse_raw(text: &str, lookup: Lookup<'_>, entries: &mut Entries) -> Result<(), DotenvError> {
    for (n, raw_line) in text.split('\n').enumerate() {
        let line_no = to_u32(n + 1);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let error = |byte: usize, message: String| DotenvError {
            line: line_no,
            col: to_u32(line.get(..indent + byte).map_or(0, |s| s.chars().count()) + 1),
            message,
        };
        let (key, value) = match body.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (body, None),
        };
        if key.is_empty() {
            return Err(error(0, format!("no variable name on line '{body}'")));
        }
        if let Some(i) = key.find([' ', '\t']) {
            return Err(error(i, format!("variable '{key}' contains whitespaces")));
        }
        match value {
            Some(value) => entries.set(key, Some(value.to_owned()), line_no),
            None => entries.inherit(key, lookup, line_no),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn parse_ok(text: &str) -> Vec<Entry> {
        parse(text, &none, false).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// Entries as (key, value) pairs, bare unknown keys as `None`.
    fn pairs(text: &str) -> Vec<(String, Option<String>)> {
        pairs_of(parse_ok(text))
    }

    fn pairs_of(entries: Vec<Entry>) -> Vec<(String, Option<String>)> {
        entries.into_iter().map(|e| (e.key, e.value)).collect()
    }

    fn kv(items: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    /// The value `text` gives `key`.
    fn value(text: &str, key: &str) -> String {
        let entries = parse_ok(text);
        let entry = entries.iter().find(|e| e.key == key);
        match entry.and_then(|e| e.value.clone()) {
            Some(v) => v,
            None => panic!("{text:?}: no value for {key:?} in {entries:?}"),
        }
    }

    fn error(text: &str) -> DotenvError {
        match parse(text, &none, false) {
            Err(e) => e,
            Ok(entries) => panic!("{text:?}: expected an error, got {entries:?}"),
        }
    }

    fn raw(text: &str) -> Vec<(String, Option<String>)> {
        pairs_of(parse(text, &none, true).unwrap_or_else(|e| panic!("{text:?}: {e}")))
    }

    fn raw_error(text: &str) -> DotenvError {
        match parse(text, &none, true) {
            Err(e) => e,
            Ok(entries) => panic!("{text:?}: expected an error, got {entries:?}"),
        }
    }

    #[test]
    fn keys_allow_letters_digits_and_punctuation() {
        let text =
            "\na=b\na[1]=c\na.propertyKey=d\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("a", "b"),
                ("a[1]", "c"),
                ("a.propertyKey", "d"),
                ("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
            ])
        );
        assert_eq!(
            pairs("VAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=underscores\nVAR-WITH-DASHES=dashes\n"),
            kv(&[
                ("VAR.WITH.DOTS", "dots"),
                ("VAR_WITH_UNDERSCORES", "underscores"),
                ("VAR-WITH-DASHES", "dashes"),
            ])
        );
        // Digits may lead; compose only drops such keys in some higher-level readers.
        assert_eq!(pairs("456 = ABC"), kv(&[("456", "ABC")]));
    }

    #[test]
    fn bad_key_characters_are_errors_with_position() {
        let e = error("%!(EXTRA string)=foo");
        assert_eq!((e.line, e.col), (1, 1));
        assert_eq!(
            e.message,
            r#"unexpected character "%" in variable name "%!(EXTRA string)=foo""#
        );
        let e = error("OK=1\n  lol$wut\nNEXT=2");
        assert_eq!((e.line, e.col), (2, 6));
        assert!(e.message.contains(r#""$""#), "{}", e.message);
        assert_eq!((error("é\"x=1").line, error("é\"x=1").col), (1, 2));
        assert_eq!(error("FOO#=1").col, 4);
    }

    #[test]
    fn keys_with_spaces_are_errors() {
        let text = "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix";
        let e = error(text);
        assert_eq!((e.line, e.col), (7, 8));
        assert_eq!(e.message, "key cannot contain a space");
        assert_eq!(error("FOO BAR=1").col, 4);
        assert_eq!(error("A\tB=1").col, 2);
        assert_eq!(
            e.to_string(),
            "line 7, column 8: key cannot contain a space"
        );
    }

    #[test]
    fn plain_file() {
        let text = "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n\
                    OPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", "3"),
                ("OPTION_D", "4"),
                ("OPTION_E", "5"),
                ("OPTION_F", ""),
                ("OPTION_G", ""),
                ("OPTION_H", "my string"),
            ])
        );
        assert_eq!(
            pairs("ONE=1\nTWO='2'\nTHREE = \"3\""),
            kv(&[("ONE", "1"), ("TWO", "2"), ("THREE", "3")])
        );
    }

    #[test]
    fn entry_lines_are_recorded() {
        let entries = parse_ok("# c\n\nA=1\n  B=\"x\ny\"\nC=3\r\nD\n");
        let lines: Vec<_> = entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(lines, [("A", 3), ("B", 4), ("C", 6), ("D", 7)]);
    }

    #[test]
    fn quoted_values() {
        let text = "OPTION_A='1'\nOPTION_B='2'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\n\
                    OPTION_F=\"2\"\nOPTION_G=\"\"\nOPTION_H=\"\\n\"\n\
                    OPTION_I = \"echo 'asd'\" # Inline comment\n\
                    OPTION_J = 'first line\nsecond line\nthird line\nand so on'\n\
                    OPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", ""),
                ("OPTION_D", "\\n"),
                ("OPTION_E", "1"),
                ("OPTION_F", "2"),
                ("OPTION_G", ""),
                ("OPTION_H", "\n"),
                ("OPTION_I", "echo 'asd'"),
                ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                ("OPTION_K", "Let's go!"),
                ("OPTION_Z", "last value"),
            ])
        );
    }

    #[test]
    fn unquoted_values() {
        let text = "OPTION_A = \"some quoted phrase\"\n\
                    OPTION_B=first one with an unquoted phrase\n\
                    OPTION_C = then another one with an unquoted phrase\n\
                    OPTION_D = then another one with an unquoted phrase special è char\n\
                    OPTION_E = \"then another one quoted phrase\"\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("OPTION_A", "some quoted phrase"),
                ("OPTION_B", "first one with an unquoted phrase"),
                ("OPTION_C", "then another one with an unquoted phrase"),
                (
                    "OPTION_D",
                    "then another one with an unquoted phrase special è char"
                ),
                ("OPTION_E", "then another one quoted phrase"),
            ])
        );
    }

    #[test]
    fn single_line_forms() {
        let cases = [
            ("FOO=bar", "FOO", "bar"),
            ("FOO =bar", "FOO", "bar"),
            ("FOO= bar", "FOO", "bar"),
            ("FOO=\"bar\"", "FOO", "bar"),
            ("FOO='bar'", "FOO", "bar"),
            (r#"FOO="escaped\"bar""#, "FOO", r#"escaped"bar"#),
            (r#"FOO="\"quoted\"""#, "FOO", r#""quoted""#),
            (r#"FOO="'d'""#, "FOO", "'d'"),
            ("OPTION_A: 1", "OPTION_A", "1"),
            ("OPTION_A:1", "OPTION_A", "1"),
            ("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
            ("OPTION_A=1:B", "OPTION_A", "1:B"),
            ("FOO.BAR=foobar", "FOO.BAR", "foobar"),
            ("FOO=foobar=", "FOO", "foobar="),
            ("FOO=bar ", "FOO", "bar"),
            ("FOO=bar\t\r", "FOO", "bar"),
            (" KEY =value", "KEY", "value"),
            ("   KEY=value", "KEY", "value"),
            ("\tKEY=value", "KEY", "value"),
            ("KEY=a\"b'c", "KEY", "a\"b'c"),
            ("KEY=", "KEY", ""),
            ("KEY=\nOTHER=1", "KEY", ""),
            ("=\"value\"", "", "value"),
        ];
        for (text, key, want) in cases {
            assert_eq!(value(text, key), want, "{text}");
        }
    }

    #[test]
    fn export_prefix() {
        let cases = [
            ("export OPTION_A=2", "OPTION_A", "2"),
            ("export OPTION_B='\\n'", "OPTION_B", "\\n"),
            ("export exportFoo=2", "exportFoo", "2"),
            ("exportFOO=2", "exportFOO", "2"),
            ("export_FOO =2", "export_FOO", "2"),
            ("export.FOO= 2", "export.FOO", "2"),
            ("export\tOPTION_A=2", "OPTION_A", "2"),
            ("  export OPTION_A=2", "OPTION_A", "2"),
            ("\texport OPTION_A=2", "OPTION_A", "2"),
            ("export OPTION_A=\"export A\"", "OPTION_A", "export A"),
            ("export=1", "export", "1"),
            (
                "export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n",
                "OPTION_A",
                "postgres://localhost:5432/database?sslmode=disable",
            ),
        ];
        for (text, key, want) in cases {
            assert_eq!(value(text, key), want, "{text}");
        }
        // `export` alone on a line declares nothing; at end of input it is a bare key.
        assert_eq!(pairs("export\nA=1"), kv(&[("A", "1")]));
        assert_eq!(pairs("export"), [("export".to_string(), None)]);
        assert_eq!(pairs("export FOO"), [("FOO".to_string(), None)]);
    }

    #[test]
    fn inline_comments() {
        let cases = [
            ("FOO=bar # this is foo", "bar"),
            ("FOO=bar #this is foo", "bar"),
            ("FOO=bar #", "bar"),
            ("FOO=123#not-an-inline-comment", "123#not-an-inline-comment"),
            // Only a space starts a comment, and leading spaces are gone before that check.
            ("FOO=bar\t#x", "bar\t#x"),
            ("FOO= #x", "#x"),
            ("FOO=#x", "#x"),
            (r#"FOO="bar#baz""#, "bar#baz"),
            (r##"FOO="bar#baz"#"##, "bar#baz"),
            (r#"FOO="bar#baz" # comment"#, "bar#baz"),
            ("FOO='bar#baz' # comment", "bar#baz"),
            (r#"FOO="bar#baz#bang" # comment"#, "bar#baz#bang"),
            (r#"FOO="ba#r""#, "ba#r"),
            ("FOO='ba#r'", "ba#r"),
        ];
        for (text, want) in cases {
            assert_eq!(value(text, "FOO"), want, "{text}");
        }
    }

    #[test]
    fn ignored_lines() {
        for text in [
            "",
            "\n",
            "\r\n",
            "\t\t ",
            "# Comment",
            "\t # comment",
            "#a\n\n  #b\r\n",
        ] {
            assert!(pairs(text).is_empty(), "{text:?}");
        }
        assert_eq!(
            pairs("# first\nA=1\n   # A=2\n#B=3\nC=4 # not A=5"),
            kv(&[("A", "1"), ("C", "4")])
        );
    }

    #[test]
    fn double_quote_escapes() {
        let cases = [
            (r#"FOO="bar\nbaz""#, "bar\nbaz"),
            (r#"FOO="a\tb""#, "a\tb"),
            (
                r#"FOO="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#,
                "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ",
            ),
            (r#"FOO="bar\n\ b\az""#, "bar\n\\ b\u{7}z"),
            (r#"FOO="bar\\\n\ b\az""#, "bar\\\n\\ b\u{7}z"),
            (r#"FOO="bar\\r\ b\az""#, "bar\\r\\ b\u{7}z"),
            (r#"FOO="bar\nbaz\\""#, "bar\nbaz\\"),
            (r#"FOO="\0123""#, "S"),
            (r#"FOO="\x07""#, r"\x07"),
            (r#"FOO="\u12e4""#, r"\u12e4"),
            (r#"FOO="\U00101234""#, r"\U00101234"),
            // `\'` is not a double-quote escape in compose-go.
            (r#"FOO="it\'s""#, r"it\'s"),
            (r#"FOO="\c""#, r"\c"),
            (r#"FOO="trailing\"""#, "trailing\""),
        ];
        for (text, want) in cases {
            assert_eq!(value(text, "FOO"), want, "{text}");
        }
    }

    #[test]
    fn octal_escapes_follow_go_unquoting() {
        let cases = [
            (r#"K="\0101\0102""#, "AB"),
            (r#"K="\01234""#, "S4"),
            (r#"K="\0377""#, "\u{ff}"),
            (r#"K="\0351t\0351""#, "été"),
            (r#"K="\0000x""#, "\u{0}x"),
            // Not three octal digits ≤ 255: the `0` is dropped, the rest kept.
            (r#"K="a\0b""#, r"a\b"),
            (r#"K="\012""#, r"\12"),
            (r#"K="\0400""#, r"\400"),
            (r#"K="\0089""#, r"\089"),
        ];
        for (text, want) in cases {
            assert_eq!(value(text, "K"), want, "{text}");
        }
        // An octal escape can produce a `$` that interpolation then sees.
        assert_eq!(value("A=x\nK=\"\\0044A\"", "K"), "x");
    }

    #[test]
    fn single_quotes_are_literal() {
        let cases = [
            ("FOO='a\\nb'", "a\\nb"),
            ("FOO='$HOME ${X:?boom}'", "$HOME ${X:?boom}"),
            ("FOO='a\\\\b'", "a\\\\b"),
            ("FOO='\"x\"'", "\"x\""),
            ("FOO='it\\'s'", "it's"),
            ("FOO='$$'", "$$"),
        ];
        for (text, want) in cases {
            assert_eq!(value(text, "FOO"), want, "{text}");
        }
    }

    #[test]
    fn multi_line_double_quotes() {
        let text = "TEST_URLS=\"stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443\"";
        assert_eq!(
            pairs(text),
            kv(&[(
                "TEST_URLS",
                "stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443"
            )])
        );
        assert_eq!(value("K=\"a\n  b\n\"\nN=1", "K"), "a\n  b\n");
    }

    #[test]
    fn unterminated_quotes() {
        let cases = [
            r#"KEY=""#,
            r#"KEY="value"#,
            r#"KEY="value\""#,
            r#"KEY="value'"#,
            "KEY='",
            "KEY='value",
            r"KEY='value\'",
            r#"KEY='value""#,
        ];
        for text in cases {
            let e = error(text);
            assert!(
                e.message.starts_with("unterminated quoted value "),
                "{text}: {e}"
            );
            assert_eq!((e.line, e.col), (1, 5), "{text}");
        }
        let e = error("A=1\n  B = \"open\nmore\n");
        assert_eq!((e.line, e.col), (2, 7));
        assert_eq!(e.message, "unterminated quoted value \"open");
    }

    #[test]
    fn text_after_closing_quote_starts_a_new_statement() {
        assert_eq!(pairs("A=\"x\" B=y"), kv(&[("A", "x"), ("B", "y")]));
        assert_eq!(
            pairs("A='x'B=y\nC=z"),
            kv(&[("A", "x"), ("B", "y"), ("C", "z")])
        );
        assert_eq!(
            pairs("A=\"x\" junk\nC=z"),
            [
                ("A".to_string(), Some("x".to_string())),
                ("junk".to_string(), None),
                ("C".to_string(), Some("z".to_string())),
            ]
        );
        assert!(error("A=\"x\" !").message.contains("unexpected character"));
    }

    #[test]
    fn crlf_line_endings() {
        let text =
            "# c\r\nA=1\r\nB = two words \r\nC=\"q\"\r\nD='s' # c\r\nexport E=5\r\nF\r\n\r\nG=\r\n";
        let lookup = |k: &str| (k == "F").then(|| "inherited".to_string());
        let entries = parse(text, &lookup, false).unwrap();
        assert_eq!(
            pairs_of(entries),
            kv(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "q"),
                ("D", "s"),
                ("E", "5"),
                ("F", "inherited"),
                ("G", ""),
            ])
        );
        // Inside quotes the bytes are kept as written, as compose-go does.
        assert_eq!(value("K=\"a\r\nb\"\r\n", "K"), "a\r\nb");
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let text = "\u{feff}OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\n";
        assert_eq!(
            pairs(text),
            kv(&[("OPTION_A", "1"), ("OPTION_B", "2"), ("OPTION_C", "3")])
        );
        assert_eq!(raw("\u{feff}A=1"), kv(&[("A", "1")]));
        // Only a leading BOM is special.
        assert!(
            error("A=1\n\u{feff}B=2")
                .message
                .contains("unexpected character")
        );
    }

    #[test]
    fn substitutions_use_earlier_entries() {
        let text = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n\
                    OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
        let want = kv(&[
            ("OPTION_A", "1"),
            ("OPTION_B", "1"),
            ("OPTION_C", "1"),
            ("OPTION_D", "1_1"),
            ("OPTION_E", ""),
        ]);
        assert_eq!(pairs(text), want);

        // The lookup wins for interpolation, but the file's own definition is kept.
        let lookup = |k: &str| (k == "OPTION_A").then(|| "5".to_string());
        let want = kv(&[
            ("OPTION_A", "1"),
            ("OPTION_B", "5"),
            ("OPTION_C", "5"),
            ("OPTION_D", "5_5"),
            ("OPTION_E", ""),
        ]);
        assert_eq!(pairs_of(parse(text, &lookup, false).unwrap()), want);
    }

    #[test]
    fn substitutions_with_defaults() {
        let text = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n\
                    OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
        let lookup = |k: &str| (k == "OPTION_A").then(|| "5".to_string());
        assert_eq!(
            pairs_of(parse(text, &lookup, false).unwrap()),
            kv(&[
                ("OPTION_A", "5"),
                ("OPTION_B", "5"),
                ("OPTION_C", "5"),
                ("OPTION_D", "5_5"),
                ("OPTION_E", ""),
            ])
        );
        assert_eq!(
            pairs(text),
            kv(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "1"),
                ("OPTION_C", "1"),
                ("OPTION_D", "1_1"),
                ("OPTION_E", ""),
            ])
        );
    }

    #[test]
    fn expansion_forms() {
        let cases = [
            ("FOO=test\nBAR=$FOO", "BAR", "test"),
            ("FOO=test\nBAR=${FOO}bar", "BAR", "testbar"),
            ("BAR=$FOO", "BAR", ""),
            ("FOO=test\nBAR=\"quote $FOO\"", "BAR", "quote test"),
            ("BAR='quote $FOO'", "BAR", "quote $FOO"),
            (r#"FOO="foo\$BAR""#, "FOO", "foo$BAR"),
            (r#"FOO="foo\${BAR}""#, "FOO", "foo${BAR}"),
            (
                "FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"",
                "BAR",
                "foo${FOO} test",
            ),
            ("FOO=a$$b", "FOO", "a$b"),
            ("FOO=\"a$$b\"", "FOO", "a$b"),
            ("FOO=\"\\\\$X\"\nX=late", "FOO", "\\"),
            ("FOO=${X:-d e f} # c", "FOO", "d e f"),
            ("FOO=${X:-#}", "FOO", "#"),
            ("FOO=cost $5", "FOO", "cost $5"),
            // Unquoted `\$` is not an escape.
            ("A=1\nFOO=\\$A", "FOO", "\\1"),
        ];
        for (text, key, want) in cases {
            assert_eq!(value(text, key), want, "{text}");
        }
    }

    #[test]
    fn expansion_sees_only_earlier_lines() {
        assert_eq!(value("A=$B\nB=1", "A"), "");
        assert_eq!(value("A=1\nA=${A}2\nA=${A}3", "A"), "123");
    }

    #[test]
    fn lookup_used_for_expansion() {
        let lookup = |k: &str| (k == "ME").then(|| "YES".to_string());
        let entries = parse("TEST=$ME", &lookup, false).unwrap();
        assert_eq!(pairs_of(entries), kv(&[("TEST", "YES")]));
    }

    #[test]
    fn interpolation_errors_carry_the_line() {
        let e = error("A=1\nB = ${MISSING:?need it}\n");
        assert_eq!((e.line, e.col), (2, 5));
        assert_eq!(
            e.message,
            "required variable MISSING is missing a value: need it"
        );
        let e = error("A=\"${X/y}\"");
        assert_eq!((e.line, e.col), (1, 3));
        assert_eq!(e.message, "invalid interpolation format for \"${X/y}\"");
        assert_eq!(error("A=${EMPTY:?}\nEMPTY=").line, 1);
        // Defined earlier in the file satisfies the requirement.
        assert_eq!(value("A=x\nB=${A:?}", "B"), "x");
    }

    #[test]
    fn bare_keys_are_inherited() {
        let lookup = |k: &str| {
            (k == "VAR_TO_BE_LOADED_FROM_OS_ENV").then(|| "SOME_RANDOM_VALUE".to_string())
        };
        let text = "foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n";
        assert_eq!(
            pairs_of(parse(text, &lookup, false).unwrap()),
            kv(&[
                ("foo", "bar"),
                ("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"),
                ("bar", "baz"),
            ])
        );
        let single = parse("VAR_TO_BE_LOADED_FROM_OS_ENV", &lookup, false).unwrap();
        assert_eq!(
            pairs_of(single),
            kv(&[("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE")])
        );
        assert_eq!(
            pairs("VARIABLE_NOT_FOUND\n"),
            [("VARIABLE_NOT_FOUND".to_string(), None)]
        );
        assert_eq!(pairs("  SPACED  \n"), [("SPACED".to_string(), None)]);

        // Lookups were asked for the bare key.
        let asked = std::cell::RefCell::new(Vec::new());
        let recording = |k: &str| {
            asked.borrow_mut().push(k.to_string());
            None
        };
        parse("VARIABLE_NOT_FOUND\n", &recording, false).unwrap();
        assert_eq!(*asked.borrow(), ["VARIABLE_NOT_FOUND"]);
    }

    #[test]
    fn bare_key_keeps_an_earlier_definition() {
        assert_eq!(pairs("FOO=1\nFOO\n"), kv(&[("FOO", "1")]));
        let lookup = |k: &str| (k == "FOO").then(|| "env".to_string());
        let entries = parse("FOO=1\nFOO\n", &lookup, false).unwrap();
        assert_eq!(
            entries,
            [Entry {
                key: "FOO".into(),
                value: Some("env".into()),
                line: 2
            }]
        );
        // A later definition fills in a bare unknown key, keeping its position.
        assert_eq!(pairs("X\nY=1\nX=2"), kv(&[("X", "2"), ("Y", "1")]));
    }

    #[test]
    fn redefinitions_keep_first_position_last_value() {
        let entries = parse_ok("A=1\nB=2\nA=3\nC=4\nB=5\n");
        assert_eq!(
            entries,
            [
                Entry {
                    key: "A".into(),
                    value: Some("3".into()),
                    line: 3
                },
                Entry {
                    key: "B".into(),
                    value: Some("5".into()),
                    line: 5
                },
                Entry {
                    key: "C".into(),
                    value: Some("4".into()),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn raw_format_is_verbatim() {
        let text = "A=\"quoted\"\nB='single'\nC=$HOME ${X:?boom}\nD= spaced \nE=a # not a comment\n\
                    \n  # comment\n\tF=x=y\nG=\nH=\\n";
        assert_eq!(
            raw(text),
            kv(&[
                ("A", "\"quoted\""),
                ("B", "'single'"),
                ("C", "$HOME ${X:?boom}"),
                ("D", " spaced "),
                ("E", "a # not a comment"),
                ("F", "x=y"),
                ("G", ""),
                ("H", "\\n"),
            ])
        );
        // Keys may hold anything but whitespace.
        assert_eq!(raw("\"K\"=v\nK:1=v"), kv(&[("\"K\"", "v"), ("K:1", "v")]));
    }

    #[test]
    fn raw_format_lines_and_bare_keys() {
        assert_eq!(raw("A=1\r\nB=2 \r\n"), kv(&[("A", "1"), ("B", "2 ")]));
        let lookup = |k: &str| (k == "HOME").then(|| "/root".to_string());
        let entries = parse("HOME\nNOPE\nA=1\nA=2", &lookup, true).unwrap();
        assert_eq!(
            entries,
            [
                Entry {
                    key: "HOME".into(),
                    value: Some("/root".into()),
                    line: 1
                },
                Entry {
                    key: "NOPE".into(),
                    value: None,
                    line: 2
                },
                Entry {
                    key: "A".into(),
                    value: Some("2".into()),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn raw_format_errors() {
        let e = raw_error("A=1\n  =value");
        assert_eq!((e.line, e.col), (2, 3));
        assert_eq!(e.message, "no variable name on line '=value'");
        let e = raw_error("MY VAR=1");
        assert_eq!((e.line, e.col), (1, 3));
        assert_eq!(e.message, "variable 'MY VAR' contains whitespaces");
        let e = raw_error("\n\nBARE \n");
        assert_eq!((e.line, e.col), (3, 5));
    }

    #[test]
    fn error_display() {
        let e = DotenvError {
            line: 3,
            col: 7,
            message: "boom".into(),
        };
        assert_eq!(e.to_string(), "line 3, column 7: boom");
    }

    #[test]
    fn never_panics_on_short_inputs() {
        const ALPHABET: [&str; 15] = [
            "A", "=", ":", "\"", "'", "\\", "$", "{", "}", "#", " ", "\n", "\r", "é", "0",
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for prefix in &inputs {
                for c in ALPHABET {
                    next.push(format!("{prefix}{c}"));
                }
            }
            for text in &next {
                let _ = parse(text, &none, false);
                let _ = parse(text, &none, true);
            }
            inputs = next;
        }
    }
}
