//! kubeferry: Docker Compose projects to Kubernetes manifests.
//!
//! The pipeline, one module per stage:
//! [`compose::load`] (files to a typed [`compose::Project`]) → [`lower::lower`] (project to
//! Kubernetes objects) → [`harden::apply`] (probes, resources, security contexts) →
//! [`emit::render`] (objects to YAML or JSON).
pub mod cli;
pub mod compose;
pub mod convert;
pub mod diag;
pub mod emit;
pub mod harden;
pub mod lower;

pub use convert::{Conversion, Input, Options, ProjectOptions, convert, convert_with};
pub use diag::{Diagnostic, Failure};
pub use emit::{Format, Layout, OutputFile};
pub use lower::Object;
