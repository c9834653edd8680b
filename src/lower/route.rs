//! The Gateway API (`gateway.networking.k8s.io/v1`) route types: k8s-openapi has none, so the
//! objects are typed here, with the fields kubeferry writes; tests/gateway-api holds the CRD
//! schemas they are checked against. `gateway.rs` makes them; an `Object` holds them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

pub const API_VERSION: &str = "gateway.networking.k8s.io/v1";

/// HTTPRoute or GRPCRoute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RouteKind {
    #[serde(rename = "HTTPRoute")]
    Http,
    #[serde(rename = "GRPCRoute")]
    Grpc,
}

impl RouteKind {
    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
        }
    }
}

/// An HTTPRoute or GRPCRoute.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// `gateway.networking.k8s.io/v1`.
    pub api_version: &'static str,
    /// HTTPRoute or GRPCRoute.
    pub kind: RouteKind,
    /// Name, namespace and labels.
    pub metadata: ObjectMeta,
    /// The Gateway it attaches to and its rules.
    pub spec: RouteSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    pub parent_refs: Vec<ParentRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    pub rules: Vec<RouteRule>,
}

/// The Gateway a route attaches to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<RouteMatch>,
    pub backend_refs: Vec<BackendRef>,
}

/// An HTTP path prefix (GRPCRoutes match every method: no matches).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteMatch {
    pub path: PathMatch,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathMatch {
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub value: String,
}

/// A Service and its port.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackendRef {
    pub name: String,
    pub port: i32,
}
