//! Diagnostics for a terminal: the headline, where it is, the source line and a caret under
//! the problem. Pure text: the caller supplies the source lines and says whether to colour
//! (the command line decides, from whether standard error is a terminal and `NO_COLOR`).

use crate::diag::{Diagnostic, Severity};
use std::collections::BTreeMap;

/// ANSI styles, or nothing when colour is off.
struct Style {
    on: bool,
}

impl Style {
    /// Append `text` (given in pieces), painted with `code` when colour is on.
    fn paint(&self, out: &mut String, code: &str, text: &[&str]) {
        if self.on {
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
        }
        text.iter().for_each(|t| out.push_str(t));
        if self.on {
            out.push_str("\x1b[0m");
        }
    }
}

/// Render one diagnostic. `source` is the text of the file it points into, when readable.
pub fn render(d: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let line = source
        .filter(|_| d.location.line > 0)
        .and_then(|s| s.lines().nth(d.location.line as usize - 1));
    let mut out = String::new();
    render_at(&mut out, d, line, color);
    out
}

/// Append one diagnostic with its source line (the line `d.location.line` names), if any.
/// Written piece by piece into `out`: thousands of warnings are rendered at a time.
fn render_at(out: &mut String, d: &Diagnostic, line: Option<&str>, color: bool) {
    use crate::text::push_decimal;
    let st = Style { on: color };
    let (word, code) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    st.paint(out, code, &[word, "[", d.code, "]"]);
    st.paint(out, "1", &[": ", &d.message]);
    let loc = &d.location;
    if loc.file.is_empty() && loc.path.is_empty() {
        out.push('\n');
        push_also(out, d);
        return;
    }
    out.push_str("\n  ");
    st.paint(out, "1;34", &["-->"]);
    out.push(' ');
    out.push_str(&loc.file);
    if loc.line > 0 {
        out.push(':');
        push_decimal(out, u64::from(loc.line));
        out.push(':');
        push_decimal(out, u64::from(loc.column));
    }
    if !loc.path.is_empty() {
        if loc.file.is_empty() && loc.line == 0 {
            out.push_str(&loc.path);
        } else {
            out.push_str(" (");
            out.push_str(&loc.path);
            out.push(')');
        }
    }
    out.push('\n');
    if let Some(line) = line.filter(|_| loc.line > 0) {
        let mut num = String::new();
        push_decimal(&mut num, u64::from(loc.line));
        let pad = " ".repeat(num.len());
        let col = (loc.column.max(1) - 1) as usize;
        // Keep tabs so the caret lines up under tab-indented text.
        let lead: String = line
            .chars()
            .take(col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let word: String = line
            .chars()
            .skip(col)
            .take_while(|c| !c.is_whitespace())
            .collect();
        let width = word.trim_end_matches([':', ',']).chars().count().max(1);
        let bar = |out: &mut String| st.paint(out, "1;34", &["|"]);
        out.push(' ');
        out.push_str(&pad);
        out.push(' ');
        bar(out);
        out.push_str("\n ");
        st.paint(out, "1;34", &[&num]);
        out.push(' ');
        bar(out);
        out.push(' ');
        out.push_str(line);
        out.push_str("\n ");
        out.push_str(&pad);
        out.push(' ');
        bar(out);
        out.push(' ');
        out.push_str(&lead);
        st.paint(out, code, &[&"^".repeat(width)]);
        out.push('\n');
    }
    push_also(out, d);
}

/// The further places of a finding, in a few words (`= also at a, b, c and 9 more`).
fn push_also(out: &mut String, d: &Diagnostic) {
    if let Some(also) = d.also_summary() {
        out.push_str("  = ");
        out.push_str(&also);
        out.push('\n');
    }
}

/// Render many diagnostics, warnings before errors, reading each file once via `read` and
/// splitting it into lines once (thousands of warnings into one large file stay linear).
pub fn render_all(
    diags: &[Diagnostic],
    read: &dyn Fn(&str) -> Option<String>,
    color: bool,
) -> String {
    let mut texts: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for d in diags {
        let file = d.location.file.as_str();
        if d.location.line > 0 && !file.is_empty() && file != "-" && !texts.contains_key(file) {
            texts.insert(file, read(file));
        }
    }
    let lines: BTreeMap<&str, Vec<&str>> = texts
        .iter()
        .filter_map(|(f, t)| Some((*f, t.as_deref()?.lines().collect())))
        .collect();
    let mut ordered: Vec<&Diagnostic> = diags.iter().collect();
    ordered.sort_by_key(|d| d.severity == Severity::Error);
    let mut out = String::new();
    for d in ordered {
        let line = lines
            .get(d.location.file.as_str())
            .filter(|_| d.location.line > 0)
            .and_then(|l| l.get(d.location.line as usize - 1).copied());
        render_at(&mut out, d, line, color);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;

    fn warning() -> Diagnostic {
        Diagnostic::warning(
            "L002",
            Location::new("compose.yaml", 2, 3, "services.my_svc"),
            "service `my_svc` is named `my-svc` in Kubernetes",
        )
    }

    #[test]
    fn caret_under_the_key() {
        let src = "services:\n  my_svc:\n    image: x\n";
        assert_eq!(
            render(&warning(), Some(src), false),
            "warning[L002]: service `my_svc` is named `my-svc` in Kubernetes\n  --> compose.yaml:2:3 (services.my_svc)\n   |\n 2 |   my_svc:\n   |   ^^^^^^\n"
        );
    }

    #[test]
    fn without_source_only_the_location() {
        assert_eq!(
            render(&warning(), None, false),
            "warning[L002]: service `my_svc` is named `my-svc` in Kubernetes\n  --> compose.yaml:2:3 (services.my_svc)\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render(&warning(), Some("a\n  my_svc:\n"), false);
        let coloured = render(&warning(), Some("a\n  my_svc:\n"), true);
        assert!(!plain.contains('\x1b'));
        assert!(coloured.contains("\x1b[1;33mwarning[L002]\x1b[0m"));
    }

    #[test]
    fn warnings_first_and_each_file_read_once() {
        let reads = std::cell::Cell::new(0);
        let err = Diagnostic::error("C001", Location::new("compose.yaml", 1, 1, ""), "bad");
        let read = |_: &str| {
            reads.set(reads.get() + 1);
            Some("services:\n  my_svc:\n".to_string())
        };
        let out = render_all(&[err, warning()], &read, false);
        assert!(out.starts_with("warning[L002]"), "{out}");
        assert!(
            out.contains("error[C001]: bad\n  --> compose.yaml:1:1\n"),
            "{out}"
        );
        assert_eq!(reads.get(), 1);
    }
}
