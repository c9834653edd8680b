//! One file of output, below the stages: what every layout renders, what a stage's Compose
//! override file is (`plan`), and what `emit::write_dir` writes.

/// One file of output: a relative path and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}
