//! Reading a Dockerfile: from a file or stdin, bounded, UTF-8.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::source;

/// Dockerfiles read at most: real ones are a few KiB; a huge one would cost memory in
/// proportion (about 45 bytes per byte) for no real file.
pub const MAX_DOCKERFILE: u64 = 4 << 20;

pub fn read_file(path: &Path, name: &str) -> Result<String> {
    let read = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match source::read_regular(path, MAX_DOCKERFILE) {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Err(too_large(name)),
        other => other.map_err(read)?,
    };
    into_text(bytes, name)
}

fn too_large(name: &str) -> Error {
    Error::Limit {
        path: name.to_string(),
        line: 1,
        column: 1,
        message: format!(
            "the Dockerfile is larger than {} MiB; initlint does not read it",
            MAX_DOCKERFILE >> 20
        ),
    }
}

pub fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_DOCKERFILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: source::STDIN.into(),
            source,
        })?;
    if bytes.len() as u64 > MAX_DOCKERFILE {
        return Err(too_large(source::STDIN));
    }
    into_text(bytes, source::STDIN)
}

fn into_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}
