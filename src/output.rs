//! One file of output, below the stages: what every layout renders, what a stage's Compose
//! override file is (`plan`), and what `emit::write_dir` writes.

/// One file of output: a relative path and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Where the file goes, relative to the output folder.
    pub path: String,
    /// The file's text.
    pub contents: String,
}
