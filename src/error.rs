//! Errors that stop a target from being analysed (exit code 2).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a text file (invalid UTF-8 at byte {offset}); is this really a Dockerfile?"
    )]
    NotText { path: String, offset: usize },
    #[error("{path}: the file is empty; there is nothing to lint")]
    Empty { path: String },
    #[error("{path}:{line}:{column}: Dockerfile syntax error: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Input that would take unbounded work (a limit, not a syntax error).
    #[error("{path}:{line}:{column}: {message}")]
    Limit {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A Compose or Kubernetes file that cannot be read as one.
    #[error("{path}:{line}:{column}: {message}")]
    Manifest {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: no FROM instruction: a Dockerfile must start a stage with FROM")]
    NoStage { path: String },
    #[error("{path}: --target {stage:?} names no stage; stages are: {available}")]
    UnknownStage {
        path: String,
        stage: String,
        available: String,
    },
    #[error("{target}: {message}")]
    Target { target: String, message: String },
    /// A command-line argument that is no target.
    #[error("{target}: {source}")]
    NoTarget {
        target: String,
        source: crate::target::TargetError,
    },
    /// Image mode: the image as the user named it, and what went wrong with it.
    #[error("{}", image_message(image, source))]
    Image {
        image: String,
        source: crate::image::ImageError,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The image named once: errors about a part (a layer, a blob) get the image's name first.
fn image_message(image: &str, e: &crate::image::ImageError) -> String {
    match e.names_image() {
        true => e.to_string(),
        false => format!("{image}: {e}"),
    }
}
