//! `ports:` and `expose:` to a Service named after the Compose service, so the old host name
//! keeps resolving inside the cluster.

use super::Ctx;
use super::names::{self};
use super::object::Object;
use crate::compose::model::Service as ComposeService;
use crate::compose::settings::ServiceType;
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub fn service(cx: &mut Ctx<'_>, name: &str, svc: &ComposeService) {
    let mut ports: Vec<ServicePort> = Vec::new();
    let mut push = |port: u32, target: u32, proto: &str, app: Option<String>| {
        let protocol = proto.to_ascii_uppercase();
        if port == 0
            || port > 65535
            || ports
                .iter()
                .any(|p| p.port == port as i32 && p.protocol.as_deref() == Some(protocol.as_str()))
        {
            return;
        }
        ports.push(ServicePort {
            name: Some(names::port_name(proto, port)),
            port: port as i32,
            target_port: Some(IntOrString::String(names::port_name(proto, target))),
            protocol: Some(protocol),
            app_protocol: app,
            ..Default::default()
        });
    };
    if svc.ports.iter().any(|p| p.target == 0) {
        cx.error(
            "L095",
            name,
            &["ports"],
            "container port 0 is not a port Kubernetes accepts (1-65535)",
        );
        return;
    }
    for p in &svc.ports {
        // Other services reach `name:target` on a Compose network, so the Service always
        // serves the container port. A single published port that differs is served too,
        // for clients (and Kompose users) that used the host's port.
        push(p.target, p.target, &p.protocol, p.app_protocol.clone());
        if let Some(published) = p.published.as_deref().and_then(|s| s.parse::<u32>().ok())
            && published != p.target
        {
            push(published, p.target, &p.protocol, p.app_protocol.clone());
        }
    }
    for e in cx.expose(name, svc) {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (a, b) = port.split_once('-').unwrap_or((port, port));
        if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
            for p in a..=b.min(a + 100) {
                push(p, p, proto, None);
            }
        }
    }
    let stateful = super::kind::kind(cx, name, svc) == super::kind::Kind::StatefulSet;
    if ports.is_empty() {
        if stateful
            || svc.settings.service_type == Some(ServiceType::Headless)
            || cx.portless.contains(name)
        {
            // A headless Service needs no port: it gives the pods DNS names, and a client
            // reaches the pod on any port (so one dialled on a port nobody knows still is).
            push_service(cx, name, svc, cx.names[name].clone(), Vec::new(), true);
            return;
        }
        let dependents: Vec<String> = cx
            .project
            .services
            .iter()
            .filter(|(_, s)| {
                // A `network_mode: service:` helper joins this pod: it reaches it locally.
                s.depends_on
                    .get(name)
                    .is_some_and(|d| d.condition != "service_completed_successfully")
                    && super::is_sidecar_of(s) != Some(name)
            })
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        if !dependents.is_empty() && super::is_sidecar_of(svc).is_none() {
            cx.warn("L070", name, &[], format!(
                "{} depend on this service, but it declares no port (ports or expose), so it gets no Service and is unreachable by name in the cluster",
                dependents.join(", ")
            ));
        }
        for key in ["kompose.service.type", "kompose.service.expose"] {
            if svc.labels.contains_key(key) {
                cx.warn("L072", name, &["labels", key], format!(
                    "`{key}` needs a port, and the service declares none (ports or expose); ignored"
                ));
            }
        }
        return;
    }
    let headless = svc.settings.service_type == Some(ServiceType::Headless);
    if stateful && !headless {
        // The StatefulSet's governing Service must be headless; the ClusterIP one stays for
        // clients that reach the service by name.
        push_service(
            cx,
            name,
            svc,
            governing_name(cx, name, svc),
            ports.clone(),
            true,
        );
    }
    let node_port_type = matches!(svc.settings.service_type, Some(ServiceType::NodePort));
    if let Some(np) = svc.settings.node_port {
        if !node_port_type {
            cx.warn(
                "L073",
                name,
                &["labels"],
                "a node port is set, but the service type is not NodePort; ignored",
            );
        } else if svc.ports.len() + svc.expose.len() != 1 {
            cx.warn("L073", name, &["labels"], format!(
                "a node port is set, but the service declares {} ports and it is unclear which one it belongs to; ignored",
                svc.ports.len() + svc.expose.len()
            ));
        } else if !(30000..=32767).contains(&np) {
            cx.warn(
                "L073",
                name,
                &["labels"],
                format!(
                    "node port {np} is outside the default node port range 30000-32767, so the API server would reject it; the cluster picks one instead"
                ),
            );
        } else {
            // The node port goes with the port the host published, where there is one.
            let published = svc
                .ports
                .first()
                .and_then(|p| p.published.as_deref())
                .and_then(|s| s.parse::<i32>().ok());
            let at = published
                .and_then(|pp| ports.iter().position(|p| p.port == pp))
                .unwrap_or(0);
            ports[at].node_port = Some(np);
        }
    }
    let name_k8s = cx.names[name].clone();
    push_service(cx, name, svc, name_k8s, ports, headless);
}

/// A TCP port served on the container port of the same number.
pub fn tcp_port(port: u32) -> ServicePort {
    ServicePort {
        name: Some(names::port_name("tcp", port)),
        port: port as i32,
        target_port: Some(IntOrString::String(names::port_name("tcp", port))),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

/// The Service of a service that had none, for the ports the project was found to dial it on
/// after lowering ([`super::reach`]); headless, and reached on any port, when none is known.
pub fn learned(cx: &mut Ctx<'_>, name: &str, svc: &ComposeService, ports: &[u32]) {
    let k8s = cx.names[name].clone();
    let ports: Vec<ServicePort> = ports.iter().map(|&p| tcp_port(p)).collect();
    let headless = ports.is_empty();
    push_service(cx, name, svc, k8s, ports, headless);
}

/// The name of the headless Service that governs a StatefulSet.
pub fn governing_name(cx: &Ctx<'_>, name: &str, svc: &ComposeService) -> String {
    let k8s = &cx.names[name];
    let has_ports = !svc.ports.is_empty() || !cx.expose(name, svc).is_empty();
    if has_ports && svc.settings.service_type != Some(ServiceType::Headless) {
        let base: String = k8s.chars().take(63 - "-headless".len()).collect();
        format!("{}-headless", base.trim_end_matches('-'))
    } else {
        k8s.clone()
    }
}

fn push_service(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &ComposeService,
    object_name: String,
    ports: Vec<ServicePort>,
    headless: bool,
) {
    let (mut type_, cluster_ip) = match svc.settings.service_type {
        _ if headless => (None, Some("None".to_string())),
        Some(ServiceType::NodePort) => (Some("NodePort".to_string()), None),
        Some(ServiceType::LoadBalancer) => (Some("LoadBalancer".to_string()), None),
        _ => (None, None),
    };
    let mut policy = None;
    if let Some(p) = &svc.settings.external_traffic_policy {
        let value = match p.to_ascii_lowercase().as_str() {
            "cluster" => Some("Cluster"),
            "local" => Some("Local"),
            _ => None,
        };
        match (value, type_.is_some()) {
            (Some(v), true) => policy = Some(v.to_string()),
            (None, _) => cx.warn("L074", name, &["labels"], format!(
                "external traffic policy `{p}` is neither cluster nor local; ignored"
            )),
            (Some(_), false) if !headless => cx.warn("L074", name, &["labels"], 
                "an external traffic policy applies only to NodePort and LoadBalancer Services; ignored"
            ),
            _ => {}
        }
    }
    if headless {
        type_ = None;
    }
    let object = Service {
        metadata: ObjectMeta {
            name: Some(object_name),
            namespace: cx.opts.namespace.clone(),
            labels: Some(cx.labels(name)),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(names::selector(&cx.names[name], &cx.project.name)),
            ports: (!ports.is_empty()).then_some(ports),
            type_,
            cluster_ip,
            external_traffic_policy: policy,
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.objects.push(Object::from(object));
}
