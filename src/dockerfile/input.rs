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
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DOCKERFILE + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    too_large(&bytes, name)?;
    into_text(bytes, name)
}

fn too_large(bytes: &[u8], name: &str) -> Result<()> {
    if bytes.len() as u64 > MAX_DOCKERFILE {
        return Err(Error::Limit {
            path: name.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the Dockerfile is larger than {} MiB; initlint does not read it",
                MAX_DOCKERFILE >> 20
            ),
        });
    }
    Ok(())
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
    too_large(&bytes, source::STDIN)?;
    into_text(bytes, source::STDIN)
}

fn into_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}
