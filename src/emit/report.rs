//! The hardening report to text: markdown for people, JSON for tools.

use crate::harden::{Entry, Report};

/// The report as JSON.
pub fn report_json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default() + "\n"
}

/// The report as markdown: a section per workload.
pub fn report_markdown(r: &Report) -> String {
    let mut s = format!("# kubeferry hardening report\n\nLevel: `{}`\n", r.level);
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    let table = |s: &mut String, entries: &[Entry]| {
        s.push_str("| rule | what and why |\n| --- | --- |\n");
        for e in entries {
            s.push_str(&format!("| `{}` | {} |\n", e.rule, cell(&e.what)));
        }
    };
    for w in &r.workloads {
        s.push_str(&format!(
            "\n## {} `{}` (service `{}`, level `{}`)\n",
            w.kind, w.name, w.service, w.level
        ));
        if !w.disabled.is_empty() {
            s.push_str(&format!(
                "\nRules switched off: `{}`\n",
                w.disabled.join("`, `")
            ));
        }
        s.push_str("\nAdded:\n\n");
        if w.added.is_empty() {
            s.push_str("nothing\n");
        } else {
            table(&mut s, &w.added);
        }
        s.push_str("\nNot hardened:\n\n");
        if w.not_hardened.is_empty() {
            s.push_str("nothing\n");
        } else {
            table(&mut s, &w.not_hardened);
        }
    }
    if !r.project.is_empty() {
        s.push_str("\n## Project\n\n");
        table(&mut s, &r.project);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harden::WorkloadReport;

    fn sample() -> Report {
        Report {
            level: "restricted",
            workloads: vec![WorkloadReport {
                kind: "Deployment",
                name: "web".into(),
                service: "web".into(),
                level: "restricted",
                disabled: vec!["network-policy".into()],
                added: vec![Entry {
                    rule: "probes",
                    what: "a | b".into(),
                }],
                not_hardened: Vec::new(),
            }],
            project: Vec::new(),
        }
    }

    #[test]
    fn json_reads_back() {
        let v: serde_json::Value = serde_json::from_str(&report_json(&sample())).unwrap();
        assert_eq!(v["workloads"][0]["added"][0]["rule"], "probes");
        assert_eq!(v["workloads"][0]["disabled"][0], "network-policy");
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let md = report_markdown(&sample());
        assert!(md.contains("| `probes` | a \\| b |"), "{md}");
        assert!(md.contains("Rules switched off: `network-policy`"));
        assert!(md.contains("Not hardened:\n\nnothing\n"));
    }
}
