//! `kompose.service.expose` / `x-kubeferry.ingress` to a networking.k8s.io/v1 Ingress whose
//! backend is the service's Service (under its Kubernetes name, so renames follow); with
//! `--ingress-api gateway`, the same hosts and paths as Gateway API routes ([`gateway`]).

use super::gateway;
use super::names;
use super::object::Object;
use super::{Ctx, IngressApi};
use crate::compose::model::Service;
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// A host Ingress accepts: a DNS subdomain, optionally with a leading `*.` wildcard.
fn host_ok(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    h.len() <= 253
        && h.contains(|c: char| c.is_ascii_alphabetic())
        && h.split('.')
            .all(|l| !l.is_empty() && names::dns_label(l) == l)
}

pub fn ingress(cx: &mut Ctx<'_>, name: &str, svc: &Service) {
    let Some(st) = &svc.settings.ingress else {
        return;
    };
    let k8s = cx.names[name].clone();
    let port = cx.find_object("Service", &k8s).and_then(|o| match o {
        Object::Service(s) => s
            .spec
            .as_ref()
            .and_then(|spec| spec.ports.as_ref())
            .and_then(|p| p.first())
            .map(|p| (p.port, p.app_protocol.as_deref() == Some("grpc"))),
        _ => None,
    });
    let Some((port, grpc)) = port else {
        cx.warn(
            "L120",
            name,
            &["labels"],
            "an Ingress needs a Service port, and the service declares none (ports or expose); no Ingress is made",
        );
        return;
    };
    if st.rules.is_empty() {
        cx.warn(
            "L120",
            name,
            &["labels"],
            "the Ingress settings name no host or path; no Ingress is made",
        );
        return;
    }
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: k8s.clone(),
            port: Some(ServiceBackendPort {
                number: Some(port),
                name: None,
            }),
        }),
        resource: None,
    };
    // One rule per host, its paths in the order given.
    let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (host, path) in &st.rules {
        if !host.is_empty() && !host_ok(host) {
            cx.warn(
                "L121",
                name,
                &["labels"],
                format!("`{host}` is not a valid Ingress host name; this rule is dropped"),
            );
            continue;
        }
        let path = if path.starts_with('/') {
            path.clone()
        } else {
            format!("/{path}")
        };
        if !by_host.contains_key(host) {
            order.push(host.clone());
        }
        let paths = by_host.entry(host.clone()).or_default();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if order.is_empty() {
        return;
    }
    if cx.opts.ingress_api != IngressApi::Ingress {
        let hosts: Vec<(String, Vec<String>)> = order
            .iter()
            .map(|h| (h.clone(), by_host[h].clone()))
            .collect();
        let exposed = gateway::Exposed {
            k8s,
            port,
            grpc,
            hosts: &hosts,
            tls: st.tls,
            tls_secret: st.tls_secret.as_deref(),
        };
        gateway::routes(cx, name, &exposed);
        return;
    }
    let rules: Vec<IngressRule> = order
        .iter()
        .map(|host| IngressRule {
            host: (!host.is_empty()).then(|| host.clone()),
            http: Some(HTTPIngressRuleValue {
                paths: by_host[host]
                    .iter()
                    .map(|p| HTTPIngressPath {
                        path: Some(p.clone()),
                        path_type: "Prefix".into(),
                        backend: backend.clone(),
                    })
                    .collect(),
            }),
        })
        .collect();
    let hosts: Vec<String> = order.iter().filter(|h| !h.is_empty()).cloned().collect();
    let tls = st.tls.then(|| {
        vec![IngressTLS {
            hosts: (!hosts.is_empty()).then_some(hosts),
            secret_name: st.tls_secret.clone(),
        }]
    });
    cx.objects.push(Object::from(Ingress {
        metadata: ObjectMeta {
            name: Some(k8s),
            namespace: cx.opts.namespace.clone(),
            labels: Some(cx.labels(name)),
            ..Default::default()
        },
        spec: Some(IngressSpec {
            ingress_class_name: st.class_name.clone(),
            rules: Some(rules),
            tls,
            ..Default::default()
        }),
        ..Default::default()
    }));
}
