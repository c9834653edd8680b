//! `default-probes`: a TCP probe on the first container port where the Compose file has no
//! healthcheck.

use super::{Findings, HardenOptions, Level, Rule};
use crate::compose::Project;
use crate::lower::Object;
use k8s_openapi::api::core::v1::{Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const RULE: Rule = Rule {
    id: "default-probes",
    doc: "readiness and liveness TCP probes on the first container port when there is no healthcheck",
    level: Level::Baseline,
    apply,
};

fn apply(o: &mut Object, _: &Project, _: &HardenOptions, f: &mut Findings) {
    let is_job = matches!(o, Object::Job(_) | Object::CronJob(_));
    let mut missing = Vec::new();
    if let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) {
        for c in spec.containers.iter_mut() {
            if c.liveness_probe.is_some() || c.readiness_probe.is_some() || is_job {
                continue;
            }
            let port = c
                .ports
                .iter()
                .flatten()
                .find(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP");
            match port {
                Some(p) => {
                    let probe = Probe {
                        tcp_socket: Some(TCPSocketAction {
                            port: IntOrString::Int(p.container_port),
                            host: None,
                        }),
                        period_seconds: Some(10),
                        timeout_seconds: Some(5),
                        failure_threshold: Some(3),
                        ..Default::default()
                    };
                    c.readiness_probe = Some(probe.clone());
                    c.liveness_probe = Some(Probe {
                        initial_delay_seconds: Some(10),
                        ..probe
                    });
                }
                None => missing.push(c.name.clone()),
            }
        }
    }
    for c in missing {
        f.warn(
            "H010",
            o,
            format!(
                "container `{c}` has neither a healthcheck nor a TCP port, so it gets no probe"
            ),
        );
    }
}
