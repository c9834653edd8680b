//! The plan as Markdown, for people.

use super::Plan;
use std::fmt::Write;

fn ticks(items: &[String]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Render a plan as Markdown.
pub fn markdown(p: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Staged migration plan: {}\n", p.project);
    let stateful = p.classification.values().filter(|c| c.stateful).count();
    let _ = writeln!(
        o,
        "{} services: {} move in stage 1 (stateless), {} stay on the Compose host until stage 2 (stateful).\n",
        p.classification.len(),
        p.classification.len() - stateful,
        stateful
    );
    let _ = writeln!(o, "## Classification\n");
    let _ = writeln!(o, "| Service | Class | Why |");
    let _ = writeln!(o, "|---|---|---|");
    for (name, c) in &p.classification {
        let class = if c.stateful { "stateful" } else { "stateless" };
        let _ = writeln!(o, "| `{name}` | {class} | {} |", c.reasons.join("; "));
    }
    let _ = writeln!(o, "\n## Stage 1: the stateless services\n");
    if p.stage1.is_empty() {
        let _ = writeln!(o, "No stateless service: stage 1 is empty.");
    } else {
        let _ = writeln!(o, "| Service | Reaches on the Compose host |");
        let _ = writeln!(o, "|---|---|");
        for m in &p.stage1 {
            let _ = writeln!(o, "| `{}` | {} |", m.service, ticks(&m.reaches));
        }
    }
    if !p.bridges.is_empty() {
        let host = p
            .compose_host
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_else(|| "HOST (--compose-host)".into());
        let _ = writeln!(
            o,
            "\nBridges: each of these keeps its name in the cluster and points at {host}.\n"
        );
        let _ = writeln!(
            o,
            "| Bridge | Clients dial | Compose host serves | Used by |"
        );
        let _ = writeln!(o, "|---|---|---|---|");
        for b in &p.bridges {
            let dial: Vec<String> = b
                .ports
                .iter()
                .map(|x| format!("{}:{}/{}", b.name, x.port, x.protocol))
                .collect();
            let serve: Vec<String> = b
                .ports
                .iter()
                .map(|x| {
                    let how = if x.published_by_compose {
                        "published"
                    } else {
                        "override"
                    };
                    format!("{} ({how})", x.host_port)
                })
                .collect();
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                b.service,
                dial.join(", "),
                serve.join(", "),
                ticks(&b.used_by)
            );
        }
    }
    if !p.reverse_bridges.is_empty() {
        let _ = writeln!(
            o,
            "\nReverse bridges: each of these moves but is reached from the Compose host; stage 1 exposes it on a LoadBalancer Service at the `--cluster-host` address.\n"
        );
        let _ = writeln!(
            o,
            "| Moved service | Dialed as | LoadBalancer Service | Used by |"
        );
        let _ = writeln!(o, "|---|---|---|---|");
        for r in &p.reverse_bridges {
            let dial: Vec<String> = r
                .hosts
                .iter()
                .flat_map(|h| {
                    r.ports
                        .iter()
                        .map(move |(port, proto)| format!("{h}:{port}/{proto}"))
                })
                .collect();
            let _ = writeln!(
                o,
                "| `{}` | {} | `{}` | {} |",
                r.service,
                dial.join(", "),
                r.name,
                ticks(&r.used_by)
            );
        }
    }
    let c = &p.commands;
    let _ = writeln!(o, "\n### Commands of stage 1\n");
    if let Some(s) = &p.state_file {
        let _ = writeln!(o, "Settings completed from the stage-1 record `{s}`.\n");
    }
    let _ = writeln!(o, "```sh\n{}", c.stage1);
    let _ = writeln!(
        o,
        "# writes stage1/ (manifests only) and, beside it, compose.bridge.yaml and kubeferry-stage.json"
    );
    if let Some(up) = &c.compose_up {
        let _ = writeln!(o, "{up}    # on the Compose host");
    }
    let _ = writeln!(o, "kubectl apply -f stage1/");
    if let Some(pf) = &c.preflight {
        let _ = writeln!(o, "{pf}");
    }
    let _ = writeln!(o, "```");
    let _ = writeln!(o, "\nRollback of stage 1:\n");
    for (i, r) in c.rollback_stage1.iter().enumerate() {
        let _ = writeln!(o, "{}. {r}", i + 1);
    }
    let _ = writeln!(o, "\n## Stage 2: the stateful services\n");
    if p.stage2.is_empty() {
        let _ = writeln!(o, "No stateful service: stage 2 is empty.");
    }
    for (i, step) in p.stage2_order.iter().enumerate() {
        let _ = writeln!(o, "{}. {step}", i + 1);
    }
    if !p.stage2_order.is_empty() {
        let _ = writeln!(o);
    }
    for k in &p.stage2 {
        let _ = writeln!(o, "### `{}`\n", k.service);
        let why = capitalized(&k.reasons.join("; "));
        match &k.image {
            Some(i) => {
                let _ = writeln!(o, "Image `{i}`. {why}.\n");
            }
            None => {
                let _ = writeln!(o, "{why}.\n");
            }
        }
        if !k.volumes.is_empty() {
            let _ = writeln!(o, "| Data | At | Claim | Suggested size | Measure with |");
            let _ = writeln!(o, "|---|---|---|---|---|");
            for v in &k.volumes {
                let claim = v
                    .claim
                    .as_deref()
                    .map(|c| format!("`{c}`"))
                    .unwrap_or_else(|| "— (external)".into());
                let _ = writeln!(
                    o,
                    "| {} `{}` | `{}` | {claim} | {} | `{}` |",
                    v.kind, v.source, v.target, v.suggested_size, v.measure
                );
            }
            let _ = writeln!(
                o,
                "\nStage 2 makes these claims whatever `--volumes` says, at these sizes. They are a starting point: measure, then give the real size with `--claim-size NAME=SIZE` (the volume, the folder or the service) to the plan and to stage 1, which records it for stage 2.\n"
            );
        }
        let _ = writeln!(o, "Data migration:\n");
        for (i, s) in k.steps.iter().enumerate() {
            let _ = writeln!(o, "{}. {}", i + 1, s.description);
            if !s.commands.is_empty() {
                let _ = writeln!(o, "   ```sh");
                for c in &s.commands {
                    let _ = writeln!(o, "   {c}");
                }
                let _ = writeln!(o, "   ```");
            }
        }
        let _ = writeln!(o);
    }
    if !p.stage2.is_empty() {
        let _ = writeln!(o, "Rollback of stage 2:\n");
        for (i, r) in c.rollback_stage2.iter().enumerate() {
            let _ = writeln!(o, "{}. {r}", i + 1);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## On the Compose host\n");
    if p.compose_host_changes.is_empty() {
        let _ = writeln!(o, "Nothing changes on the Compose host.");
    }
    for c in &p.compose_host_changes {
        let _ = writeln!(o, "- {c}");
    }
    if !p.warnings.is_empty() {
        let _ = writeln!(o, "\n## Warnings\n");
        for w in &p.warnings {
            let _ = writeln!(o, "- {}: {}", w.code, w.message);
        }
    }
    o
}
