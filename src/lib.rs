//! kubeferry: Docker Compose projects to Kubernetes manifests.
pub mod cli;
pub mod compose;
pub mod diag;
