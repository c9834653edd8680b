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
            "L091",
            name,
            &["ports"],
            "container port 0 is not a port Kubernetes accepts (1-65535)",
        );
        return;
    }
    for p in &svc.ports {
        // A single published port is the Service port; a range keeps the container port.
        let published = p.published.as_deref().and_then(|s| s.parse::<u32>().ok());
        push(
            published.unwrap_or(p.target),
            p.target,
            &p.protocol,
            p.app_protocol.clone(),
        );
    }
    for e in &svc.expose {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (a, b) = port.split_once('-').unwrap_or((port, port));
        if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
            for p in a..=b.min(a + 100) {
                push(p, p, proto, None);
            }
        }
    }
    if ports.is_empty() {
        let dependents: Vec<String> = cx
            .project
            .services
            .iter()
            .filter(|(_, s)| s.depends_on.contains_key(name))
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        if !dependents.is_empty() && super::is_sidecar_of(svc).is_none() {
            cx.warn("L070", name, &[], format!(
                "{} depend on this service, but it declares no port (ports or expose), so it gets no Service and is unreachable by name in the cluster",
                dependents.join(", ")
            ));
        }
        return;
    }
    let (type_, cluster_ip) = match svc.settings.service_type {
        Some(ServiceType::NodePort) => (Some("NodePort".to_string()), None),
        Some(ServiceType::LoadBalancer) => (Some("LoadBalancer".to_string()), None),
        Some(ServiceType::Headless) => (None, Some("None".to_string())),
        _ => (None, None),
    };
    let object = Service {
        metadata: ObjectMeta {
            name: Some(cx.names[name].clone()),
            namespace: cx.opts.namespace.clone(),
            labels: Some(cx.labels(name)),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(names::selector(&cx.names[name], &cx.project.name)),
            ports: Some(ports),
            type_,
            cluster_ip,
            ..Default::default()
        }),
        ..Default::default()
    };
    cx.objects.push(Object::Service(object));
}
