//! kubeferry: Docker Compose projects to Kubernetes manifests.
//!
//! The pipeline, one module per stage:
//! [`compose::load`] (files to a typed [`compose::Project`]) → [`lower::lower`] (project to
//! Kubernetes objects) → [`harden::apply`] (probes, resources, security contexts) →
//! [`emit::render`] (objects to YAML or JSON, or a whole [`Layout`]). [`plan`] splits a
//! migration in stages: stateless services first, bridged to the stateful ones left on the
//! Compose host.
//!
//! [`convert`] runs them all on sources held in memory; [`convert_with`] on any
//! [`compose::FileSystem`]. Neither prints, exits, keeps global state or reads the process
//! environment (unless [`Input::with_process_environment`] asks it to), and the same input
//! gives the same bytes.
//!
//! ```
//! use kubeferry::{Format, Input, Layout, Options};
//!
//! let input = Input::new()
//!     .compose_file("compose.yaml", "services:\n  db:\n    image: postgres:${PG}\n    ports: [\"5432\"]\n")
//!     .variable("PG", "16.4");
//! let conversion = kubeferry::convert(&input, &Options::default())?;
//! let kinds: Vec<_> = conversion.objects.iter().map(|o| o.kind()).collect();
//! assert_eq!(kinds, ["Service", "Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy"]);
//! assert!(conversion.to_yaml().contains("image: postgres:16.4"));
//!
//! // The same objects as a Helm chart whose default values render exactly that output.
//! let chart = conversion.files(Layout::Helm, Format::Yaml);
//! assert_eq!(chart[0].path, "Chart.yaml");
//! # Ok::<(), kubeferry::Failure>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod compose;
mod convert;
pub mod diag;
pub mod emit;
pub mod harden;
pub(crate) mod hash;
pub mod lock;
pub mod lower;
mod output;
mod parallel;
pub mod plan;
pub mod quantity;
pub mod report;
pub mod target;
mod text;
pub mod yaml;

pub use convert::{Conversion, Input, Options, ProjectOptions, StageTimes, convert, convert_with};
pub use diag::{Diagnostic, Failure, Location, Severity};
pub use emit::{Format, Layout, OutputFile};
pub use lower::Object;
pub use quantity::Quantity;
pub use target::{Feature, KubeVersion};

/// The README's Rust blocks, compiled (and run) as doctests so its example cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
