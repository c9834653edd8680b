//! The Compose override file of stage 1 (`compose.bridge.yaml`): it publishes the ports of the
//! stay-behind services that the Compose file does not already publish where the cluster can
//! reach them, so `docker compose -f compose.yaml -f compose.bridge.yaml up -d` serves the
//! cluster's bridges.

use super::bridge::Bridge;
use crate::emit::yaml;
use serde_json::{Map, Value, json};

/// The file name, in the output folder.
pub const FILE_NAME: &str = "compose.bridge.yaml";

/// The override text, or `None` when every bridged port is already published.
pub fn render(bridges: &[Bridge], bind: Option<&str>) -> Option<String> {
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
                if let Some(ip) = bind {
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
    if services.is_empty() {
        return None;
    }
    let mut text = String::from(
        "# Written by kubeferry (stage 1 of a staged migration): publishes the ports of the services\n\
         # that stay on this host, so the bridges in the cluster reach them. Use it with:\n\
         #   docker compose -f compose.yaml -f compose.bridge.yaml up -d\n",
    );
    match bind {
        Some(ip) => text.push_str(&format!("# Bound to {ip} (--bridge-bind).\n")),
        None => text.push_str(
            "# Bound to every interface: allow only the cluster's nodes in the host's firewall,\n\
             # or convert again with --bridge-bind ADDRESS.\n",
        ),
    }
    text.push_str(&yaml::to_string(&json!({ "services": services })));
    Some(text)
}
