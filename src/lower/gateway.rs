//! `--ingress-api gateway`: the hosts and paths an Ingress would get, as a Gateway API
//! (`gateway.networking.k8s.io/v1`) HTTPRoute, or a GRPCRoute when the Service port says
//! `app_protocol: grpc`, attached to the Gateway `--gateway` names (the route types are
//! `route.rs`'s).

use super::object::Object;
use super::{Ctx, IngressApi};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

// The route types are route.rs's (object.rs holds them too); their public path stays here.
pub use super::route::{
    API_VERSION, BackendRef, ParentRef, PathMatch, Route, RouteKind, RouteMatch, RouteRule,
    RouteSpec,
};

/// What the Ingress of a service would have held.
pub(super) struct Exposed<'a> {
    /// The service's Kubernetes name (the Service's and the route's).
    pub k8s: String,
    pub port: i32,
    pub grpc: bool,
    /// Hosts in the order given (`""`: any host) and their paths.
    pub hosts: &'a [(String, Vec<String>)],
    pub tls: bool,
    pub tls_secret: Option<&'a str>,
}

/// One route per host set: Gateway API routes carry their hostnames beside the rules, so
/// hosts with paths of their own get a route each (`<name>`, then `<name>-2`...).
pub(super) fn routes(cx: &mut Ctx<'_>, name: &str, e: &Exposed<'_>) {
    let IngressApi::Gateway {
        name: gateway,
        namespace,
    } = cx.opts.ingress_api.clone()
    else {
        return;
    };
    let kind = if e.grpc {
        RouteKind::Grpc
    } else {
        RouteKind::Http
    };
    let backend = BackendRef {
        name: e.k8s.clone(),
        port: e.port,
    };
    // Hosts with the same paths share a route.
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (host, paths) in e.hosts {
        match groups.iter_mut().find(|(_, p)| p == paths) {
            Some((hosts, _)) => hosts.push(host.clone()),
            None => groups.push((vec![host.clone()], paths.clone())),
        }
    }
    if e.grpc && e.hosts.iter().any(|(_, p)| p.iter().any(|p| p != "/")) {
        cx.warn(
            "L122",
            name,
            &["labels"],
            "a GRPCRoute matches gRPC services and methods, not paths: the paths are dropped and every call to the hosts goes to the service",
        );
    }
    for (i, (hosts, paths)) in groups.iter().enumerate() {
        let matches = match kind {
            RouteKind::Grpc => Vec::new(),
            RouteKind::Http => paths
                .iter()
                .map(|p| RouteMatch {
                    path: PathMatch {
                        type_: "PathPrefix",
                        value: p.clone(),
                    },
                })
                .collect(),
        };
        let route_name = if i == 0 {
            e.k8s.clone()
        } else {
            format!("{}-{}", e.k8s, i + 1)
        };
        // Without a host the route serves every host of the listener.
        let hostnames = if hosts.iter().any(String::is_empty) {
            Vec::new()
        } else {
            hosts.clone()
        };
        cx.objects.push(Object::from(Route {
            api_version: API_VERSION,
            kind,
            metadata: ObjectMeta {
                name: Some(route_name),
                namespace: cx.opts.namespace.clone(),
                labels: Some(cx.labels(name)),
                ..Default::default()
            },
            spec: RouteSpec {
                parent_refs: vec![ParentRef {
                    name: gateway.clone(),
                    namespace: namespace.clone(),
                }],
                hostnames,
                rules: vec![RouteRule {
                    matches,
                    backend_refs: vec![backend.clone()],
                }],
            },
        }));
    }
    if e.tls {
        let hosts: Vec<&str> = e
            .hosts
            .iter()
            .map(|(h, _)| h.as_str())
            .filter(|h| !h.is_empty())
            .collect();
        let secret = e.tls_secret.map_or_else(
            || "a certificate Secret".to_string(),
            |s| format!("the Secret `{s}`"),
        );
        let shown = if hosts.is_empty() {
            "every host".to_string()
        } else {
            format!("`{}`", hosts.join("`, `"))
        };
        let grant = match &namespace {
            Some(ns) => format!(
                " (the Gateway is in `{ns}`: a ReferenceGrant in this namespace must let it read the Secret)"
            ),
            None => String::new(),
        };
        cx.warn(
            "L122",
            name,
            &["labels"],
            format!("TLS: routes carry no certificates; the Gateway `{gateway}` terminates TLS for {shown} when its HTTPS listener references {secret}{grant}"),
        );
    }
}
