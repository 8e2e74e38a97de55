//! Where bytes come from: targets on the command line, and the texts that spans point into.

mod path;

pub use path::{absolute, glob_match, join_path};

use std::ops::Range;
use std::path::Path;

/// A file initlint reads from a repository (a Dockerfile, a discovered `.initlint.toml`)
/// must not be a symbolic link that leaves it: a pull request could otherwise make CI print
/// a host file (its first line in a parse error). The repository is the nearest directory
/// holding `.git` above the file, else the file's own directory. Only the link's name is
/// quoted, never where it points or what is there.
pub fn confined(path: &Path) -> Result<(), String> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(dir) = dir.canonicalize() else {
        return Ok(());
    };
    let root = dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&dir)
        .to_path_buf();
    match path.canonicalize() {
        Ok(target) if target.starts_with(&root) => Ok(()),
        _ => Err(format!(
            "{} is a symbolic link to a file outside {}; initlint does not read it",
            path.display(),
            root.display()
        )),
    }
}

/// Append `s` to `text` (the text of `file`, being written) as a JSON string, its value mapped
/// back: character by character when nothing needed escaping, else to the whole quoted token.
/// Rendered sources (an image config, the command line) are written with this.
pub fn push_json_string(text: &mut String, file: FileId, s: &str) -> Text {
    let encoded = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let start = text.len();
    text.push_str(&encoded);
    let map = if encoded.len() == s.len() + 2 {
        TextMap::Offset {
            file,
            base: start + 1,
        }
    } else {
        TextMap::Whole(Span {
            file,
            range: start..text.len(),
        })
    };
    Text {
        value: s.to_string(),
        map,
    }
}

/// Append `items` as a JSON array of strings (`["a", "b"]`), each mapped back.
pub fn push_json_array(text: &mut String, file: FileId, items: &[String]) -> Vec<Text> {
    text.push('[');
    let mut texts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        texts.push(push_json_string(text, file, item));
    }
    text.push(']');
    texts
}

/// The bytes of a regular file, at most `cap` of them. Anything else is refused before it is
/// opened: a FIFO would block the read forever, a device would never end. A file larger than
/// `cap` is an error saying so, not a cut read.
pub fn read_regular(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{what}; initlint does not read it"),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "larger than {}; initlint does not read it",
                human_bytes(cap)
            ),
        ));
    }
    Ok(bytes)
}

/// `4 MiB`, `512 KiB`, `100 bytes`.
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// How a Dockerfile read from standard input is named.
pub const STDIN: &str = "<stdin>";

/// Index of a text in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId(pub usize);

/// A text that findings can point into (a Dockerfile, an entrypoint script).
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user: relative to the working directory when inside it.
    pub name: String,
    pub text: String,
    pub provenance: Provenance,
}

/// Where a source text lives: formats that place findings in a repository (SARIF, GitLab)
/// need to know whether `name` is a path on this machine at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A file on this machine; `name` is its path (relative to the working directory, or
    /// absolute).
    Host,
    /// Standard input.
    Stdin,
    /// A file inside an image (`name` is its path there); `image` is the target as given.
    Image { image: String },
    /// An image's config, rendered as a text.
    ImageConfig { image: String },
    /// initlint's own command line (`--entrypoint`, `--cmd`, `--stop-signal`), rendered.
    CommandLine,
}

#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// A file on this machine (or stdin, named `<stdin>`).
    pub fn add(&mut self, name: String, text: String) -> FileId {
        let provenance = match name.as_str() {
            STDIN => Provenance::Stdin,
            _ => Provenance::Host,
        };
        self.add_from(name, text, provenance)
    }

    pub fn add_from(&mut self, name: String, text: String, provenance: Provenance) -> FileId {
        self.files.push(SourceFile {
            name,
            text,
            provenance,
        });
        FileId(self.files.len() - 1)
    }

    /// Fill in a text whose id was reserved with an empty `add` (spans were needed first).
    pub fn set_text(&mut self, id: FileId, text: String) {
        if let Some(f) = self.files.get_mut(id.0) {
            f.text = text;
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = FileId> {
        (0..self.files.len()).map(FileId)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let text = &self.get(id).text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A byte range in one file of the [`SourceMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

/// How offsets in a derived string (a `sh -c` string without its line continuations, a JSON
/// string without its escapes, a heredoc) map back to the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMap {
    /// Byte `i` of the string is byte `base + i` of the file.
    Offset { file: FileId, base: usize },
    /// Byte `i` of the string is byte `map[i]` of the file (`map.len() == len + 1`).
    Table { file: FileId, map: Vec<usize> },
    /// Positions inside the string are not recoverable; point at the whole span.
    Whole(Span),
    /// Synthesised by initlint or the builder (the default `/bin/sh -c`): no source.
    None,
}

impl TextMap {
    pub fn span(&self, range: Range<usize>) -> Option<Span> {
        match self {
            TextMap::Offset { file, base } => Some(Span {
                file: *file,
                range: base + range.start..base + range.end,
            }),
            TextMap::Table { file, map } => {
                let last = map.last().copied().unwrap_or(0);
                let start = map.get(range.start).copied().unwrap_or(last);
                let end = if range.end > range.start {
                    map.get(range.end - 1).map_or(last, |e| e + 1)
                } else {
                    start
                };
                Some(Span {
                    file: *file,
                    range: start..end.max(start),
                })
            }
            TextMap::Whole(span) => Some(span.clone()),
            TextMap::None => None,
        }
    }
}

/// A string from the input together with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub map: TextMap,
}

impl Text {
    pub fn synthetic(value: impl Into<String>) -> Self {
        Text {
            value: value.into(),
            map: TextMap::None,
        }
    }

    /// The span of the whole string, if it has a source.
    pub fn span(&self) -> Option<Span> {
        self.map.span(0..self.value.len())
    }
}
