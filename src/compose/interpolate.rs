//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}` and friends.
//!
//! Mirrors compose-go's `template` package. Its regex-based scanner has a few
//! observable quirks that are reproduced here on purpose:
//!
//! * a braced expression with an operator never spans lines (the regex `.` stops at
//!   `\n`), so `${A:-x` followed by a newline is invalid;
//! * when the braces inside the argument do not balance within the line, the last `}`
//!   on that line closes the expression (`${A:-{x}` yields `{x` when `A` is unset);
//! * only the argument of the branch that is taken gets interpolated, so variables in an
//!   unused default are never looked up or reported.

use std::fmt;

/// The variables a file is interpolated with.
pub(super) type Env = std::collections::BTreeMap<String, String>;

/// Why interpolation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolateError {
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR missing (or empty for `:?`).
    Required { var: String, message: String },
    /// A `${...}` that is not a valid template, e.g. `${VAR/x/y}`, `${}`, `${#V}`, unterminated `${VAR`.
    Invalid { template: String },
}

impl fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required { var, message } if message.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            Self::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            Self::Invalid { template } => {
                write!(f, "invalid interpolation format for \"{template}\"")
            }
        }
    }
}

impl std::error::Error for InterpolateError {}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Nesting limit for `${A:-${B:-...}}`. Go's growable stacks never overflow; ours can,
/// so absurd nesting is rejected as invalid instead of aborting the process.
const MAX_DEPTH: usize = 128;

/// Interpolate one string. `lookup` returns the variable's value (None = unset).
/// Names of variables that were referenced while unset and had no default are pushed to `unset`
/// (so the caller can warn "The X variable is not set. Defaulting to a blank string.").
///
/// A name is pushed once per reference, like Compose warns once per reference; callers
/// that want one warning per variable deduplicate.
///
/// # Errors
///
/// [`InterpolateError::Required`] for a failed `?`/`:?` check, [`InterpolateError::Invalid`]
/// for a malformed `${...}`; the first one met (left to right) is returned.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, InterpolateError> {
    expand(text, lookup, unset, 0)
}

/// Fast check: does the text contain a `$` at all (callers skip work otherwise).
#[must_use]
pub fn needs_interpolation(text: &str) -> bool {
    text.contains('$')
}

fn expand(
    text: &str,
    lookup: Lookup<'_>,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<String, InterpolateError> {
    if depth > MAX_DEPTH {
        return Err(InterpolateError::Invalid {
            template: text.to_owned(),
        });
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let from_dollar = &rest[dollar..];
        let after = &from_dollar[1..];
        match after.as_bytes().first() {
            Some(b'$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some(b'{') => {
                let (value, consumed) = braced(from_dollar, lookup, unset, depth)?;
                out.push_str(&value);
                // `consumed` ends just after an ASCII `}`, so this is a char boundary.
                rest = from_dollar.get(consumed..).unwrap_or("");
            }
            _ => match name_len(after) {
                0 => {
                    // `$1`, `$ `, `$-`, trailing `$`: not a reference, kept as written.
                    out.push('$');
                    rest = after;
                }
                len => {
                    out.push_str(&resolve(&after[..len], lookup, unset));
                    rest = &after[len..];
                }
            },
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Length in bytes of the variable name (`[_a-zA-Z][_a-zA-Z0-9]*`) at the start of `s`,
/// 0 when `s` does not start with one.
fn name_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => bytes
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count(),
        _ => 0,
    }
}

/// Value of a plain `$NAME` / `${NAME}` reference; unset means blank plus a report.
fn resolve(name: &str, lookup: Lookup<'_>, unset: &mut Vec<String>) -> String {
    lookup(name).unwrap_or_else(|| {
        unset.push(name.to_owned());
        String::new()
    })
}

#[derive(Clone, Copy)]
enum Op {
    /// `-` / `:-`
    Default,
    /// `+` / `:+`
    Alternative,
    /// `?` / `:?`
    Required,
}

/// Handle a `${...}` at the start of `s` (which begins with `${`). Returns the
/// replacement and how many bytes of `s` it replaces.
fn braced(
    s: &str,
    lookup: Lookup<'_>,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<(String, usize), InterpolateError> {
    let body = &s[2..];
    let len = name_len(body);
    if len == 0 {
        return Err(invalid(s));
    }
    let name = &body[..len];
    // `colon` = the operator also treats an empty value as missing.
    let (op, colon, op_len) = match body.as_bytes().get(len..).unwrap_or_default() {
        [b'}', ..] => return Ok((resolve(name, lookup, unset), 2 + len + 1)),
        [b':', op, ..] => match op_of(*op) {
            Some(op) => (op, true, 2),
            None => return Err(invalid(s)),
        },
        [op, ..] => match op_of(*op) {
            Some(op) => (op, false, 1),
            None => return Err(invalid(s)),
        },
        [] => return Err(invalid(s)),
    };
    let arg_start = 2 + len + op_len;
    let close = closing_brace(s, arg_start).ok_or_else(|| invalid(s))?;
    let arg = &s[arg_start..close];

    let value = lookup(name);
    let present = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    let replacement = match op {
        Op::Default | Op::Required if present => value.unwrap_or_default(),
        Op::Default => expand(arg, lookup, unset, depth + 1)?,
        Op::Alternative if present => expand(arg, lookup, unset, depth + 1)?,
        // Unset or (for `:+`) empty: the variable's own (blank) value, without a warning.
        Op::Alternative => value.unwrap_or_default(),
        Op::Required => {
            return Err(InterpolateError::Required {
                var: name.to_owned(),
                message: expand(arg, lookup, unset, depth + 1)?,
            });
        }
    };
    Ok((replacement, close + 1))
}

fn op_of(b: u8) -> Option<Op> {
    match b {
        b'-' => Some(Op::Default),
        b'+' => Some(Op::Alternative),
        b'?' => Some(Op::Required),
        _ => None,
    }
}

/// Index of the `}` closing the `${` at the start of `s`, searching from `from`.
///
/// Braces are counted so `${A:-{"k":1}}` keeps its JSON default. compose-go's regex
/// limits the expression to one line and, if counting does not balance there, ends it at
/// the last `}` of the line; `None` when the line has no `}` at all.
fn closing_brace(s: &str, from: usize) -> Option<usize> {
    let mut open = 1usize;
    let mut last = None;
    for (i, b) in s.bytes().enumerate().skip(from) {
        match b {
            b'\n' => break,
            b'{' => open += 1,
            b'}' => {
                open -= 1;
                if open == 0 {
                    return Some(i);
                }
                last = Some(i);
            }
            _ => {}
        }
    }
    last
}

/// Error for the malformed `${...}` at the start of `s`: the text up to its balancing
/// brace (any line), or the rest of the string when it never closes.
fn invalid(s: &str) -> InterpolateError {
    let mut open = 0usize;
    let mut end = s.len();
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => open += 1,
            b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    end = i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    InterpolateError::Invalid {
        template: s.get(..end).unwrap_or(s).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// FOO=first, BAR="" (set but empty), JSON={"json":2}; everything else unset.
    fn env(name: &str) -> Option<String> {
        match name {
            "FOO" => Some("first".into()),
            "BAR" => Some(String::new()),
            "JSON" => Some(r#"{"json":2}"#.into()),
            _ => None,
        }
    }

    fn run(text: &str) -> Result<String, InterpolateError> {
        interpolate(text, &env, &mut Vec::new())
    }

    fn ok(text: &str) -> String {
        run(text).unwrap_or_else(|e| panic!("{text:?} failed: {e}"))
    }

    fn unset_of(text: &str) -> Vec<String> {
        let mut unset = Vec::new();
        interpolate(text, &env, &mut unset).unwrap();
        unset
    }

    fn invalid_template(text: &str) -> String {
        match run(text) {
            Err(InterpolateError::Invalid { template }) => template,
            other => panic!("{text:?}: expected Invalid, got {other:?}"),
        }
    }

    fn required(text: &str) -> (String, String) {
        match run(text) {
            Err(InterpolateError::Required { var, message }) => (var, message),
            other => panic!("{text:?}: expected Required, got {other:?}"),
        }
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(ok("foo"), "foo");
        assert_eq!(ok(""), "");
        assert_eq!(ok("héllo wörld ✓"), "héllo wörld ✓");
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(ok("$${foo}"), "${foo}");
        assert_eq!(ok("$$FOO"), "$FOO");
        assert_eq!(ok("a$$b"), "a$b");
        assert_eq!(ok("$$$$"), "$$");
        // `$$` pairs from the left; the odd one out is literal.
        assert_eq!(ok("$$$"), "$$");
        assert_eq!(ok("$$$FOO"), "$first");
        assert!(unset_of("$${MISSING} $$MISSING").is_empty());
    }

    #[test]
    fn dollar_not_followed_by_a_name_stays_literal() {
        for text in [
            "a $ string",
            "^REGEX$",
            "$}",
            "$",
            "$1",
            "$-",
            "$ ",
            "$é",
            "$:x",
        ] {
            assert_eq!(ok(text), text);
        }
        assert_eq!(ok("cost: $5 for $FOO"), "cost: $5 for first");
    }

    #[test]
    fn named_and_braced_references() {
        assert_eq!(ok("This $FOO var"), "This first var");
        assert_eq!(ok("This ${FOO} var"), "This first var");
        assert_eq!(ok("${FOO}${FOO}"), "firstfirst");
        assert_eq!(ok("$FOO$FOO"), "firstfirst");
        assert_eq!(ok("${JSON}"), r#"{"json":2}"#);
    }

    #[test]
    fn name_ends_at_first_non_name_character() {
        // docker/compose#8601: `-` after an unbraced name is plain text.
        assert_eq!(ok("$FOO-bar"), "first-bar");
        assert_eq!(ok("$FOO.bar"), "first.bar");
        assert_eq!(ok("$FOOx"), "");
        assert_eq!(ok("é$FOO/é"), "éfirst/é");
    }

    #[test]
    fn names_are_case_sensitive_but_accept_any_case() {
        let lookup = |n: &str| (n == "lower_Mixed9").then(|| "v".to_string());
        let mut unset = Vec::new();
        let out = interpolate(
            "$lower_Mixed9 ${lower_Mixed9} $LOWER_MIXED9",
            &lookup,
            &mut unset,
        );
        assert_eq!(out.unwrap(), "v v ");
        assert_eq!(unset, ["LOWER_MIXED9"]);
        assert_eq!(ok("${_}"), "");
    }

    #[test]
    fn unset_without_default_is_blank_and_reported() {
        assert_eq!(ok("This ${missing} var"), "This  var");
        assert_eq!(ok("This $missing var"), "This  var");
        assert_eq!(unset_of("${missing} $missing"), ["missing", "missing"]);
        // Set but empty is not "unset".
        assert_eq!(ok("This ${BAR} var"), "This  var");
        assert!(unset_of("${BAR}$BAR").is_empty());
    }

    #[test]
    fn soft_and_hard_defaults() {
        assert_eq!(ok("ok ${missing:-def}"), "ok def");
        assert_eq!(ok("ok ${missing-def}"), "ok def");
        assert_eq!(ok("ok ${BAR:-def}"), "ok def");
        assert_eq!(ok("ok ${BAR-def}"), "ok ");
        assert_eq!(ok("ok ${FOO:-def}"), "ok first");
        assert_eq!(ok("ok ${FOO-def}"), "ok first");
        assert_eq!(ok("${missing-}"), "");
        assert_eq!(ok("${missing:-}"), "");
        assert!(unset_of("${missing:-x}${missing-y}").is_empty());
    }

    #[test]
    fn alternative_values() {
        assert_eq!(ok("ok ${UNSET_VAR:+presence_value}"), "ok ");
        assert_eq!(ok("ok ${UNSET_VAR+presence_value}"), "ok ");
        assert_eq!(ok("ok ${FOO:+presence_value}"), "ok presence_value");
        assert_eq!(ok("ok ${FOO+presence_value}"), "ok presence_value");
        assert_eq!(ok("ok ${BAR+presence_value}"), "ok presence_value");
        assert_eq!(ok("ok ${BAR:+presence_value}"), "ok ");
        // An unset variable under `+` is not a "not set" warning.
        assert!(unset_of("${UNSET_VAR:+x}${UNSET_VAR+y}").is_empty());
    }

    #[test]
    fn required_variables() {
        assert_eq!(ok("ok ${FOO:?err}"), "ok first");
        assert_eq!(ok("ok ${FOO?err}"), "ok first");
        assert_eq!(ok("ok ${BAR?err}"), "ok ");
        assert_eq!(
            required("not ok ${UNSET_VAR:?Mandatory Variable Unset}"),
            ("UNSET_VAR".into(), "Mandatory Variable Unset".into())
        );
        assert_eq!(
            required("not ok ${BAR:?Mandatory Variable Empty}"),
            ("BAR".into(), "Mandatory Variable Empty".into())
        );
        assert_eq!(
            required("${UNSET_VAR:?}"),
            ("UNSET_VAR".into(), String::new())
        );
        assert_eq!(
            required("${UNSET_VAR?Mandatory Variable Unset}"),
            ("UNSET_VAR".into(), "Mandatory Variable Unset".into())
        );
        assert_eq!(
            required("${UNSET_VAR?}"),
            ("UNSET_VAR".into(), String::new())
        );
    }

    #[test]
    fn required_message_is_interpolated_only_on_failure() {
        assert_eq!(
            required("${UNSET_VAR:?Mandatory Variable ${FOO}}"),
            ("UNSET_VAR".into(), "Mandatory Variable first".into())
        );
        assert_eq!(
            required("${UNSET_VAR?Mandatory Variable $FOO}"),
            ("UNSET_VAR".into(), "Mandatory Variable first".into())
        );
        // Set variable: the message (with an unset reference) is never evaluated.
        assert!(unset_of("${FOO?${NOPE}}").is_empty());
        // An invalid message only matters when the error path is taken.
        assert_eq!(ok("${FOO?${NOPE/x}}"), "first");
        assert_eq!(invalid_template("${NOPE?${X/y}}"), "${X/y}");
    }

    #[test]
    fn error_display() {
        let err = run("${UNSET_VAR:?Mandatory Variable Unset}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"
        );
        let err = run("${UNSET_VAR?}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "required variable UNSET_VAR is missing a value"
        );
        let err = run("x ${VAR/x/y} z").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid interpolation format for \"${VAR/x/y}\""
        );
    }

    #[test]
    fn earliest_operator_wins() {
        assert_eq!(
            required("${UNSET_VAR?bar-baz}"),
            ("UNSET_VAR".into(), "bar-baz".into())
        );
        assert_eq!(ok("${UNSET_VAR-myerror?msg}"), "myerror?msg");
        assert_eq!(ok("${FOO?bar-baz}"), "first");
        assert_eq!(
            ok("${BAR:-default_value_for_empty_var}"),
            "default_value_for_empty_var"
        );
        assert_eq!(ok("${UNSET_VAR-va:-lu:?e}"), "va:-lu:?e");
        assert_eq!(ok("${UNSET_VAR-va+lu?e}"), "va+lu?e");
        assert_eq!(ok("${FOO:+va:?lu:-e}"), "va:?lu:-e");
        assert_eq!(ok("${FOO+va:+lue}"), "va:+lue");
        assert_eq!(ok("${FOO+va?lu-e}"), "va?lu-e");
        assert_eq!(
            required("${UNSET_VAR:?val?ue}"),
            ("UNSET_VAR".into(), "val?ue".into())
        );
        assert_eq!(
            required("${UNSET_VAR?val:?ue}"),
            ("UNSET_VAR".into(), "val:?ue".into())
        );
        assert_eq!(ok("ok ${BAR:-/non:-alphanumeric}"), "ok /non:-alphanumeric");
    }

    #[test]
    fn operators_in_surrounding_text_do_not_interfere() {
        let cases = [
            ("-ok ${BAR:-defaultValue}", "-ok defaultValue"),
            ("+ok ${UNSET:-${BAR-defaultValue}}", "+ok "),
            ("-ok ${FOO:-defaultValue}", "-ok first"),
            (":-ok ${UNSET-defaultValue}", ":-ok defaultValue"),
            (":-ok ${BAR-defaultValue}", ":-ok "),
            (":?ok ${BAR-defaultValue}", ":?ok "),
            (":?ok ${BAR:-defaultValue}", ":?ok defaultValue"),
            (":+ok ${BAR:-defaultValue}", ":+ok defaultValue"),
            ("+ok ${BAR-defaultValue}", "+ok "),
            ("?ok ${BAR:-defaultValue}", "?ok defaultValue"),
            ("${BAR:-a}-${BAR:-b}?", "a-b?"),
        ];
        for (text, want) in cases {
            assert_eq!(ok(text), want, "{text}");
        }
    }

    #[test]
    fn defaults_are_interpolated_recursively() {
        let cases = [
            ("ok ${UNSET_VAR-$FOO}", "ok first"),
            ("ok ${UNSET_VAR-${FOO}}", "ok first"),
            ("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"),
            ("ok ${BAR:-$FOO}", "ok first"),
            ("ok ${BAR:-${FOO}}", "ok first"),
            ("ok ${BAR:-${FOO} ${FOO}}", "ok first first"),
            ("ok ${BAR+$FOO}", "ok first"),
            ("ok ${BAR+$FOO ${FOO:+second}}", "ok first second"),
            ("${A:-${B:-${C:-deep}}}", "deep"),
            ("${A:-${B:-x}}y", "xy"),
            ("${A:-$$B}", "$B"),
            ("ok ${SUBDOMAIN:-redis}.${FOO:?}", "ok redis.first"),
        ];
        for (text, want) in cases {
            assert_eq!(ok(text), want, "{text}");
        }
    }

    #[test]
    fn untaken_defaults_are_not_evaluated() {
        // `${A:+${A},}B` with A unset: nothing looked up inside, nothing reported.
        assert_eq!(ok("${A:+${A},}B"), "B");
        assert!(unset_of("${A:+${A},}B").is_empty());
        assert!(unset_of("${FOO:-${NOPE}}").is_empty());
        assert!(unset_of("${FOO-$NOPE}").is_empty());
        // The taken default does report.
        assert_eq!(unset_of("${A:-${B}}"), ["B"]);
        // Untaken defaults are not even validated.
        assert_eq!(ok("${FOO:-${bad/x}}"), "first");

        let seen = std::cell::RefCell::new(Vec::new());
        let lookup = |n: &str| {
            seen.borrow_mut().push(n.to_string());
            env(n)
        };
        interpolate("${FOO:-$X}${BAR+$Y}", &lookup, &mut Vec::new()).unwrap();
        assert_eq!(*seen.borrow(), ["FOO", "BAR", "Y"]);
    }

    #[test]
    fn braces_in_defaults_are_balanced() {
        assert_eq!(ok(r#"ok ${missing:-{"json":1}}"#), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${missing-{"json":1}}"#), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${JSON:-{"json":1}}"#), r#"ok {"json":2}"#);
        assert_eq!(ok(r#"ok ${JSON-{"json":1}}"#), r#"ok {"json":2}"#);
        assert_eq!(ok("${missing:-{}} tail}"), "{} tail}");
        assert_eq!(ok("${FOO:-{}} tail}"), "first tail}");
        assert_eq!(ok("${FOO:-x}}"), "first}");
    }

    #[test]
    fn unbalanced_braces_end_at_last_brace_on_the_line() {
        // compose-go's regex stretches to the last `}` of the line.
        assert_eq!(ok("${missing:-{x}"), "{x");
        assert_eq!(ok("${FOO:-{x}"), "first");
        assert_eq!(ok("${missing:-{x} y}\n}"), "{x} y\n}");
        assert_eq!(ok("${missing:-{a}\n${FOO}"), "{a\nfirst");
    }

    #[test]
    fn operator_expressions_do_not_span_lines() {
        assert_eq!(invalid_template("${missing:-x\n}"), "${missing:-x\n}");
        assert_eq!(invalid_template("${missing-\n}"), "${missing-\n}");
        // A plain reference is fine next to newlines.
        assert_eq!(ok("${FOO}\n${FOO:-x}\n$FOO"), "first\nfirst\nfirst");
        assert_eq!(ok("a\n${missing:-b}\nc"), "a\nb\nc");
    }

    #[test]
    fn invalid_templates() {
        let cases = [
            ("${", "${"),
            ("${}", "${}"),
            ("${ }", "${ }"),
            ("${ foo}", "${ foo}"),
            ("${foo }", "${foo }"),
            ("${foo!}", "${foo!}"),
            ("${VAR/x/y}", "${VAR/x/y}"),
            ("a ${VAR/x/y} b", "${VAR/x/y}"),
            ("${#V}", "${#V}"),
            ("${1}", "${1}"),
            ("${VAR", "${VAR"),
            ("${VAR:", "${VAR:"),
            ("${VAR:}", "${VAR:}"),
            ("${VAR:x}", "${VAR:x}"),
            ("${VAR-x", "${VAR-x"),
            ("pre ${VAR:-x rest", "${VAR:-x rest"),
            // The last `}` closes the outer expression, leaving `${X` as its default.
            ("${VAR:-${X}", "${X"),
            ("${A:-${}}", "${}"),
            ("${é}", "${é}"),
            ("$FOO ${FOO:-{", "${FOO:-{"),
        ];
        for (text, template) in cases {
            assert_eq!(invalid_template(text), template, "{text}");
        }
    }

    #[test]
    fn first_error_wins() {
        assert_eq!(required("${A?one} ${B/x}"), ("A".into(), "one".into()));
        assert_eq!(invalid_template("${B/x} ${A?one}"), "${B/x}");
    }

    #[test]
    fn lookup_closure_sees_caller_state() {
        let vars: HashMap<&str, &str> = [("HOST", "db"), ("PORT", "5432")].into();
        let lookup = |n: &str| vars.get(n).map(ToString::to_string);
        let mut unset = Vec::new();
        let out = interpolate(
            "postgres://$HOST:${PORT}/${DB:-app}?u=$USER",
            &lookup,
            &mut unset,
        );
        assert_eq!(out.unwrap(), "postgres://db:5432/app?u=");
        assert_eq!(unset, ["USER"]);
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowing() {
        let depth = 10_000;
        let text = format!("{}x{}", "${A:-".repeat(depth), "}".repeat(depth));
        assert!(matches!(run(&text), Err(InterpolateError::Invalid { .. })));
        // Realistic nesting still works.
        let text = format!("{}x{}", "${A:-".repeat(50), "}".repeat(50));
        assert_eq!(ok(&text), "x");
    }

    #[test]
    fn needs_interpolation_detects_dollar() {
        assert!(needs_interpolation("a$b"));
        assert!(needs_interpolation("$"));
        assert!(!needs_interpolation("plain"));
        assert!(!needs_interpolation(""));
    }

    #[test]
    fn never_panics_on_short_inputs() {
        const ALPHABET: [&str; 14] = [
            "$", "{", "}", ":", "-", "+", "?", "A", "é", "\n", "1", " ", "_", "#",
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
                let _ = run(text);
            }
            inputs = next;
        }
    }
}
