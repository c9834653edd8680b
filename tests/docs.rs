//! The documentation covers the interface: every flag of every command (walked from clap's
//! own definition) in docs/user-guide.md, and every `kompose.*` label and `x-kubeferry` key
//! that the settings reader accepts (read from its source) in docs/extension.md.

include!("support/cli_crate.in");

use clap::CommandFactory;
use cli::Cli;

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

/// Every (command path, flag spelling) pair, and every value of enum-valued arguments.
fn flags() -> Vec<(String, String)> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        for arg in cmd.get_arguments() {
            // Hidden: Kompose's spellings, listed and checked in docs/kompose-users.md.
            if arg.is_hide_set() {
                continue;
            }
            if let Some(l) = arg.get_long() {
                out.push((path.into(), format!("`--{l}")));
            }
            if let Some(s) = arg.get_short() {
                out.push((path.into(), format!("`-{s}`")));
            }
            if arg.get_long().is_none() && arg.get_short().is_none() {
                out.push((path.into(), format!("<{}>", arg.get_id())));
            }
            if !arg.is_hide_possible_values_set() {
                for v in arg.get_possible_values() {
                    if !v.is_hide_set() {
                        out.push((path.into(), v.get_name().to_string()));
                    }
                }
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "kubeferry", &mut out);
    out
}

#[test]
fn every_flag_is_in_the_user_guide() {
    let guide = doc("user-guide.md");
    let flags = flags();
    assert!(
        flags.len() > 30,
        "the walk found only {} flags",
        flags.len()
    );
    let missing: Vec<String> = flags
        .iter()
        .filter(|(_, f)| !guide.contains(f.as_str()))
        .map(|(p, f)| format!("{p}: {f}"))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/user-guide.md does not document: {missing:#?}"
    );
}

#[test]
fn every_subcommand_has_a_section() {
    let guide = doc("user-guide.md");
    for sub in Cli::command().get_subcommands() {
        let heading = format!("`kubeferry {}`", sub.get_name());
        assert!(guide.contains(&heading), "no section for {heading}");
    }
}

/// The keys the settings reader accepts, from its source: every `kompose.*` literal, every
/// literal in a `match` arm pattern (keys and accepted values), and every mapping key read
/// with `get("…")`/`g("…")`.
fn setting_keys() -> Vec<String> {
    let src = include_str!("../src/compose/settings.rs");
    let src = src.split("#[cfg(test)]").next().unwrap();
    let mut keys = Vec::new();
    for line in src.lines() {
        let t = line.trim();
        let lits = literals(line);
        if t.starts_with('"') && t.contains("=>") {
            let pattern = t.split("=>").next().unwrap();
            keys.extend(literals(pattern));
        }
        for l in &lits {
            if l.starts_with("kompose.") && !l.contains('{') {
                keys.push(l.clone());
            }
        }
        for call in ["get(\"", "g(\""] {
            for (i, _) in line.match_indices(call) {
                let rest = &line[i + call.len()..];
                if let Some(end) = rest.find('"') {
                    keys.push(rest[..end].to_string());
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn literals(s: &str) -> Vec<String> {
    s.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, l)| l.to_string())
        .collect()
}

#[test]
fn every_label_and_extension_key_is_in_the_reference() {
    let reference = doc("extension.md");
    let keys = setting_keys();
    for expected in [
        "kompose.service.type",
        "kompose.hpa.cpu",
        "replicas",
        "tls_secret",
        "http_get_path",
        "access_mode",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "the source scan missed {expected}"
        );
    }
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| {
            !reference.contains(&format!("`{k}`")) && !reference.contains(&format!(".{k}`"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/extension.md does not document: {missing:#?}"
    );
}

#[test]
fn guides_link_to_each_other() {
    let guide = doc("user-guide.md");
    for target in [
        "conversion.md",
        "extension.md",
        "gpus.md",
        "hardening.md",
        "staged-migration.md",
        "kompose-users.md",
        "decisions.md",
    ] {
        assert!(
            guide.contains(&format!("]({target})")),
            "user guide lacks a link to {target}"
        );
    }
}

/// `docs/diagnostics.md` lists every code with its line (generated from the registry).
#[test]
fn diagnostics_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
    let want = kubeferry::diag::codes::markdown();
    if std::env::var_os("KUBEFERRY_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is stale: run KUBEFERRY_BLESS=1 cargo test --test docs"
    );
}
