//! kubeferry: Docker Compose projects to Kubernetes manifests.
//!
//! The pipeline, one module per stage:
//! [`compose::load`] (files to a typed [`compose::Project`]) → [`lower::lower`] (project to
//! Kubernetes objects) → [`harden::apply`] (probes, resources, security contexts) →
//! [`emit::render`] (objects to YAML or JSON). [`plan`] splits a migration in stages: stateless
//! services first, bridged to the stateful ones left on the Compose host.
pub mod cli;
pub mod compose;
pub mod diag;
pub mod emit;
pub mod harden;
pub mod lower;
pub mod plan;
