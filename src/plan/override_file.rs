//! The Compose override file of stage 1 (`compose.bridge.yaml`). It publishes the ports of the
//! stay-behind services that the Compose file does not already publish where the cluster can
//! reach them (so the bridges in the cluster reach them), and gives the stay-behind services
//! that call a moved one an `extra_hosts` entry to the cluster's address (the reverse
//! bridges). Its usage line names the project's own Compose files, in their order, and starts
//! only the services the file changes, so nothing else is recreated.

use super::bridge::{Bridge, ReverseBridge};
use crate::yaml;
use serde_json::{Map, Value, json};

/// The default file name, beside the output folder.
pub const FILE_NAME: &str = "compose.bridge.yaml";

/// How the override is used on the Compose host.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// The project's Compose files, in the order Docker Compose merges them.
    pub compose_files: Vec<String>,
    /// The path of the override file itself, as the command names it.
    pub bridge_file: String,
    /// `--bridge-bind`.
    pub bind: Option<String>,
    /// `--cluster-host`: where the reverse bridges answer.
    pub cluster_host: Option<String>,
}

impl Usage {
    /// The usage of the override at `bridge_file` (default [`FILE_NAME`]).
    pub fn new(
        compose_files: Vec<String>,
        bridge_file: Option<&str>,
        bind: Option<&str>,
        cluster_host: Option<&str>,
    ) -> Usage {
        Usage {
            compose_files,
            bridge_file: bridge_file.unwrap_or(FILE_NAME).to_string(),
            bind: bind.map(str::to_string),
            cluster_host: cluster_host.map(str::to_string),
        }
    }

    /// `docker compose -f A -f B -f compose.bridge.yaml`: the project's files, then this one.
    pub fn compose(&self, with_bridge: bool) -> String {
        let mut c = String::from("docker compose");
        for f in &self.compose_files {
            c.push_str(&format!(" -f {f}"));
        }
        if with_bridge {
            c.push_str(&format!(" -f {}", self.bridge_file));
        }
        c
    }
}

/// The services the override changes (their containers are recreated by `up -d`), in order.
pub fn changed(bridges: &[Bridge], reverse: &[ReverseBridge], usage: &Usage) -> Vec<String> {
    let mut out: Vec<String> = bridges
        .iter()
        .filter(|b| b.ports.iter().any(|p| !p.published_by_compose))
        .map(|b| b.service.clone())
        .collect();
    if usage.cluster_host.is_some() {
        for u in reverse.iter().flat_map(|r| &r.used_by) {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
    }
    out
}

/// The override text, or `None` when it would change nothing.
pub fn render(bridges: &[Bridge], reverse: &[ReverseBridge], usage: &Usage) -> Option<String> {
    let mut services = Map::new();
    for b in bridges {
        let ports: Vec<Value> = b
            .ports
            .iter()
            .filter(|p| !p.published_by_compose)
            .map(|p| {
                let mut m = Map::new();
                m.insert("target".into(), json!(p.port));
                m.insert("published".into(), json!(p.host_port.to_string()));
                if let Some(ip) = &usage.bind {
                    m.insert("host_ip".into(), json!(ip));
                }
                m.insert("protocol".into(), json!(p.protocol.to_ascii_lowercase()));
                Value::Object(m)
            })
            .collect();
        if !ports.is_empty() {
            services.insert(b.service.clone(), json!({ "ports": ports }));
        }
    }
    if let Some(cluster) = &usage.cluster_host {
        for r in reverse {
            for u in &r.used_by {
                let entry = services
                    .entry(u.clone())
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .map(|m| m.entry("extra_hosts").or_insert_with(|| json!([])));
                if let Some(Value::Array(hosts)) = entry {
                    for h in &r.hosts {
                        let line = json!(format!("{h}:{cluster}"));
                        if !hosts.contains(&line) {
                            hosts.push(line);
                        }
                    }
                }
            }
        }
    }
    if services.is_empty() {
        return None;
    }
    let changed = changed(bridges, reverse, usage);
    let mut text = format!(
        "# Written by kubeferry (stage 1 of a staged migration) for the services that stay on this\n\
         # host: it publishes the ports the cluster's bridges reach, and points the services that\n\
         # call moved ones at the cluster. Use it with the project's own files, in their order:\n\
         #   {} up -d --no-deps {}\n\
         # This recreates {} (this file changes their ports or hosts: a short restart);\n\
         # naming them leaves every other container as it is. Not --no-recreate: it would keep\n\
         # the old containers, without these settings. Later commands here need the same -f list.\n",
        usage.compose(true),
        changed.join(" "),
        changed.join(", ")
    );
    if services.values().any(|s| s.get("ports").is_some()) {
        match &usage.bind {
            Some(ip) => text.push_str(&format!("# Ports bound to {ip} (--bridge-bind).\n")),
            None => text.push_str(
                "# Ports bound to every interface: allow only the cluster's nodes in the host's\n\
                 # firewall, or convert again with --bridge-bind ADDRESS.\n",
            ),
        }
    }
    if let Some(c) = &usage.cluster_host
        && !reverse.is_empty()
    {
        text.push_str(&format!(
            "# extra_hosts: the moved services, reached on the cluster at {c} (--cluster-host).\n"
        ));
    }
    text.push_str(&yaml::to_string(&json!({ "services": services })));
    Some(text)
}
