//! The files a Dockerfile puts into the image from its build context, as a [`FileView`].
//! Only what `COPY`/`ADD` bring in is known; everything else belongs to the base image.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use super::stages;
use crate::dockerfile::{CopyOp, CopySrc, Filesystem, StageFiles};
use crate::knowledge::sources::Language;
use crate::model::{Built, FileEntry, FileView, Lookup, Mode, Origin, OtherImages};
pub use crate::source::glob_match;
use crate::source::{SourceMap, Text, TextMap};
use std::rc::Rc;

/// Scripts larger than this are not entrypoint scripts; read only this much.
const MAX_FILE: u64 = 4 * 1024 * 1024;

pub struct ContextView {
    pub context: Option<PathBuf>,
    pub fs: Filesystem,
    pub scratch: bool,
    pub base: BaseFiles,
    /// The Dockerfile's stages, for `COPY --from`: the first `visible` of them.
    pub stages: std::sync::Arc<[StageFiles]>,
    pub visible: usize,
    /// Other images files are copied from, read on demand (none: `--no-base`, mode tests).
    pub other: Option<Rc<dyn OtherImages>>,
}

/// The base image's files under what the Dockerfile copies.
pub enum BaseFiles {
    /// The base image was read: its merged layers.
    Read {
        reference: String,
        files: Box<dyn FileView>,
    },
    /// It was not read, and why (offline, not found, unreachable, no reference).
    Unread(Option<String>),
}

impl FileView for ContextView {
    fn lookup(&self, path: &str, sources: &mut SourceMap) -> Lookup {
        for op in self.fs.copies.iter().rev() {
            if let Some(found) = self.lookup_in_copy(op, path, sources) {
                return found;
            }
        }
        if let Some(found) = self.release_overlay(path, sources) {
            return found;
        }
        if self.scratch {
            return Lookup::Missing {
                why: format!(
                    "{path} is not copied into the image, and FROM scratch has no other files"
                ),
                origin: Origin::Default,
            };
        }
        match &self.base {
            BaseFiles::Read { reference, files } => self.in_base(reference, files.as_ref(), path, sources),
            BaseFiles::Unread(why) => Lookup::Unknown {
                why: match why {
                    Some(why) => format!("{path} is not copied from the build context; it would come from the base image, which was not read: {why}"),
                    None => format!("{path} is not copied from the build context; it would come from the base image"),
                },
            },
        }
    }

    fn binary(&self, path: &str) -> Option<Result<std::sync::Arc<[u8]>, String>> {
        if self.run_mentions(path) {
            return None;
        }
        match self.fs.copies.iter().rev().find(|op| covers(op, path)) {
            // A copy from another stage or image: the bytes it has there.
            Some(op) => {
                let from = op.from.as_deref()?;
                let in_stage = stages::source_path(op, path)?;
                match stages::resolve(&self.stages, from, self.visible) {
                    Some(stage) => self.stage_view_for(stage, &in_stage).binary(&in_stage),
                    None => self.other.as_ref()?.binary(from, &in_stage),
                }
            }
            None => match &self.base {
                BaseFiles::Read { files, .. } => files.binary(path),
                BaseFiles::Unread(_) => None,
            },
        }
    }

    fn stats(&self) -> Option<crate::model::Stats> {
        match &self.base {
            BaseFiles::Read { files, .. } => files.stats(),
            BaseFiles::Unread(_) => None,
        }
    }

    fn unread(&self) -> Vec<String> {
        match &self.base {
            BaseFiles::Read { files, .. } => files.unread(),
            BaseFiles::Unread(_) => Vec::new(),
        }
    }

    fn base_unread(&self) -> bool {
        // FROM scratch has nothing to read: no files, no config.
        !self.scratch && matches!(self.base, BaseFiles::Unread(_))
    }

    fn shell(&self) -> Option<crate::model::ShellChoice> {
        match &self.base {
            BaseFiles::Read { files, .. } if !self.copied("/bin/sh") => files.shell(),
            _ => None,
        }
    }

    fn built(&self, path: &str, signal: &str, sources: &mut SourceMap) -> Option<Built> {
        self.produced(path, signal, sources, false)
    }

    fn compiled_app(&self, path: &str, signal: &str, sources: &mut SourceMap) -> Option<Built> {
        self.produced(path, signal, sources, true)
    }

    fn not_on_path(&self, name: &str, path_var: &str) -> Option<String> {
        match &self.base {
            BaseFiles::Read { reference, .. } => Some(format!(
                "`{name}` is in none of the PATH directories ({path_var}) of the base image {reference}, and not copied; a RUN instruction may create it (initlint does not run RUN)"
            )),
            BaseFiles::Unread(Some(why)) => Some(format!(
                "{name} is not copied from the build context; it would come from the base image, which was not read: {why}"
            )),
            BaseFiles::Unread(None) => None,
        }
    }
}

/// The files of another image, as a stage's base.
struct InImage {
    reference: String,
    other: Rc<dyn OtherImages>,
}

impl FileView for InImage {
    fn lookup(&self, path: &str, sources: &mut SourceMap) -> Lookup {
        self.other.lookup(&self.reference, path, sources)
    }

    fn binary(&self, path: &str) -> Option<Result<std::sync::Arc<[u8]>, String>> {
        self.other.binary(&self.reference, path)
    }
}

impl ContextView {
    /// A file of an Elixir release that `mix release` copies from the project's
    /// `rel/overlays/` (Phoenix's `bin/server`, `bin/migrate`): `_build/ENV/rel/NAME/REST`
    /// is `rel/overlays/REST` of the directory the release was built in, as the stage copied
    /// it from the build context.
    fn release_overlay(&self, path: &str, sources: &mut SourceMap) -> Option<Lookup> {
        let (_, after) = path.split_once("/_build/")?;
        let mut parts = after.splitn(4, '/');
        let (_env, rel, _name, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if rel != "rel" || rest.is_empty() {
            return None;
        }
        let run = self.fs.runs.iter().rev().find(|r| {
            stages::toolchain(&r.text, None) == Some(crate::knowledge::sources::Language::Elixir)
        })?;
        let overlay = crate::source::join_path(&run.workdir, &format!("rel/overlays/{rest}"));
        let found = self
            .fs
            .copies
            .iter()
            .rev()
            .find_map(|op| self.lookup_in_copy(op, &overlay, sources))?;
        matches!(found, Lookup::Found(_)).then_some(found)
    }

    /// What a build makes at `path`: a program (`app` false: compiled, not JavaScript) or a
    /// script node runs (`app`: built from JavaScript/TypeScript, which need not name it).
    fn produced(
        &self,
        path: &str,
        signal: &str,
        sources: &mut SourceMap,
        app: bool,
    ) -> Option<Built> {
        let accept = |l: Language| (l == Language::JavaScript) == app;
        // The last copy that provides the path decides, as in `lookup`: a context copy into
        // the same directory (`COPY products.json .` after `COPY --from=builder /app
        // ./server`) leaves it to the copies before.
        let op = self.fs.copies.iter().rev().find(|op| {
            covers(op, path)
                && (op.from.is_some() || self.lookup_in_copy(op, path, sources).is_some())
        });
        let context = self.context.as_deref();
        // Nothing copies it from another stage (a context copy of a directory leaves what it
        // lacks to the stage): this stage may build it in place (`RUN go build -o main`).
        let Some(op) = op.filter(|op| op.from.is_some()) else {
            let (language, run) = stages::producer(&self.fs, path, !app, &accept)?;
            let label = "this stage".to_string();
            return Some(stages::built(
                label, &self.fs, language, run, None, path, context, signal, sources,
            ));
        };
        let stage = stages::resolve(&self.stages, op.from.as_deref()?, self.visible)?;
        let in_stage = stages::source_path(op, path)?;
        if !matches!(
            self.stage_view(stage).lookup(&in_stage, sources),
            Lookup::Unknown { .. }
        ) {
            return None;
        }
        let (language, run) = stages::producer(&stage.fs, &in_stage, false, &accept)?;
        Some(stages::built(
            stage.label(),
            &stage.fs,
            language,
            run,
            Some(op),
            path,
            context,
            signal,
            sources,
        ))
    }

    /// A path no COPY provides, from the base image. A `RUN` may have created or changed it:
    /// initlint does not run them, so a path one mentions (by path or file name) is unsure,
    /// and a path the base lacks is only missing when the stage runs nothing.
    fn in_base(
        &self,
        reference: &str,
        base: &dyn FileView,
        path: &str,
        sources: &mut SourceMap,
    ) -> Lookup {
        let found = base.lookup(path, sources);
        match found {
            Lookup::Found(_) if self.run_mentions(path) => Lookup::Unknown {
                why: format!("{path} is in the base image {reference}, but a RUN instruction mentions it and may change it (initlint does not run RUN)"),
            },
            Lookup::Found(e) => Lookup::Found(e),
            Lookup::Missing { why, .. } if self.fs.runs.is_empty() => Lookup::Missing {
                why: format!("{path} is neither copied from the build context nor in the base image {reference} ({why})"),
                origin: Origin::Default,
            },
            Lookup::Missing { .. } => Lookup::Unknown {
                why: format!("{path} is neither copied from the build context nor in the base image {reference}; a RUN instruction may create it (initlint does not run RUN)"),
            },
            unknown @ Lookup::Unknown { .. } => unknown,
        }
    }

    /// `COPY --from=FROM`: the path as the stage it names has it. What that stage copied
    /// from the build context is read; what it compiles is judged by [`FileView::built`].
    fn in_stage(&self, op: &CopyOp, from: &str, path: &str, sources: &mut SourceMap) -> Lookup {
        let Some(stage) = stages::resolve(&self.stages, from, self.visible) else {
            return self.in_image(op, from, path, sources);
        };
        let label = stage.label();
        let Some(in_stage) = stages::source_path(op, path) else {
            return Lookup::Unknown {
                why: format!(
                    "{path} is copied from {label} (COPY --from), but not which of its files it is"
                ),
            };
        };
        match self.stage_view_for(stage, &in_stage).lookup(&in_stage, sources) {
            Lookup::Found(mut e) => {
                e.path = path.to_string();
                e.from = format!("{} (in {label} as {in_stage}, copied here with COPY --from)", e.from);
                Lookup::Found(e)
            }
            Lookup::Missing { why, origin } => Lookup::Missing {
                why: format!("COPY --from={from} copies {in_stage}, which {label} does not have: {why}"),
                origin,
            },
            Lookup::Unknown { why } => Lookup::Unknown {
                why: match stages::producer(&stage.fs, &in_stage, false, &|_| true) {
                    Some((language, _)) => format!(
                        "{path} is compiled in {label} ({} build), which initlint does not run",
                        language.name()
                    ),
                    None => format!("{path} is copied from {label} (COPY --from), where no COPY or build shows how it is made: {why}"),
                },
            },
        }
    }

    /// `COPY --from=IMAGE`: the path as that image has it, read on demand.
    fn in_image(&self, op: &CopyOp, from: &str, path: &str, sources: &mut SourceMap) -> Lookup {
        let (Some(other), Some(in_image)) = (&self.other, stages::source_path(op, path)) else {
            return Lookup::Unknown {
                why: format!("{path} is copied from the image {from} (COPY --from), which is not read when base images are not (--no-base)"),
            };
        };
        match other.lookup(from, &in_image, sources) {
            Lookup::Found(mut e) => {
                e.path = path.to_string();
                e.from = format!("{} (in the image {from} as {in_image}, copied here with COPY --from)", e.from);
                e.origin = Origin::instruction(op.keyword, op.span.clone());
                Lookup::Found(e)
            }
            Lookup::Missing { why, .. } => Lookup::Missing {
                why: format!("COPY --from={from} copies {in_image}, which the image {from} does not have ({why})"),
                origin: Origin::instruction(op.keyword, op.span.clone()),
            },
            unknown @ Lookup::Unknown { .. } => unknown,
        }
    }

    /// The stage a `COPY --from` takes `in_stage` from, with its base image read when the
    /// stage does not build that path (a compiler's image is not read to learn that it lacks
    /// the program the stage compiles).
    fn stage_view_for(&self, stage: &StageFiles, in_stage: &str) -> ContextView {
        let mut view = self.stage_view(stage);
        let builds = stages::producer(&stage.fs, in_stage, false, &|_| true).is_some();
        if let (crate::model::Base::External { reference, .. }, Some(other), false) =
            (&stage.base, &self.other, builds)
        {
            view.base = BaseFiles::Read {
                reference: reference.clone(),
                files: Box::new(InImage {
                    reference: reference.clone(),
                    other: other.clone(),
                }),
            };
        }
        view
    }

    /// A stage's files as a later stage's `COPY --from` sees them: its copies from the build
    /// context, over a base initlint does not read. Only earlier stages are visible from it,
    /// so a chain of stages ends.
    fn stage_view(&self, stage: &StageFiles) -> ContextView {
        let scratch = matches!(stage.base, crate::model::Base::Scratch);
        ContextView {
            other: self.other.clone(),
            context: self.context.clone(),
            fs: stage.fs.clone(),
            scratch,
            base: BaseFiles::Unread(Some(format!(
                "{} is built FROM {}, which is not read (base images are not read, or the stage builds this file)",
                stage.label(),
                stage.base.describe()
            ))),
            stages: self.stages.clone(),
            visible: stage.index,
        }
    }

    /// Some COPY or ADD provides something at `path` (or may: a copy from another stage).
    fn copied(&self, path: &str) -> bool {
        self.fs.copies.iter().any(|op| covers(op, path))
    }

    /// A RUN of the stage names the path or its file name as a word.
    fn run_mentions(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.fs.runs.iter().any(|r| {
            r.text.contains(path)
                || r.text
                    .split(|c: char| c.is_whitespace() || "'\";&|()<>=".contains(c))
                    .any(|w| w == name || w.rsplit('/').next() == Some(name))
        })
    }

    fn lookup_in_copy(&self, op: &CopyOp, path: &str, sources: &mut SourceMap) -> Option<Lookup> {
        let origin = Origin::instruction(op.keyword, op.span.clone());
        if let Some(from) = &op.from {
            if !covers(op, path) {
                return None;
            }
            return match self.in_stage(op, from, path, sources) {
                // A directory copy (`COPY --from=tools / /`) provides only what its source
                // has: a path it lacks is what the earlier instructions left there.
                Lookup::Missing { .. }
                    if path != op.dest.trim_end_matches('/') && path != op.dest =>
                {
                    None
                }
                found => Some(found),
            };
        }
        for src in op.srcs.iter().rev() {
            match src {
                CopySrc::HereDoc(text) if !op.dest_is_dir && path == op.dest => {
                    return Some(Lookup::Found(Box::new(FileEntry {
                        path: path.to_string(),
                        content: text.clone(),
                        mode: self.mode(op, path, None),
                        origin,
                        from: "a heredoc in the Dockerfile".into(),
                    })));
                }
                CopySrc::Path(p) => {
                    if let Some(l) = self.lookup_in_source(op, p, path, &origin, sources) {
                        return Some(l);
                    }
                }
                CopySrc::Url(_) | CopySrc::HereDoc(_) => {}
            }
        }
        None
    }

    fn lookup_in_source(
        &self,
        op: &CopyOp,
        src: &str,
        path: &str,
        origin: &Origin,
        sources: &mut SourceMap,
    ) -> Option<Lookup> {
        let rel = normalize_relative(src)?;
        let basename = rel.file_name().map(|b| b.to_string_lossy().to_string());
        let glob = src.contains(['*', '?', '[']);
        let Some(context) = &self.context else {
            // Reading from stdin without --context: names can still be matched.
            let hit = basename
                .as_ref()
                .is_some_and(|b| path == op.dest || under(&op.dest, path) == Some(b.as_str()));
            return hit.then(|| Lookup::Unknown {
                why: format!("{path} is copied from the build context, but no context was given (--context DIR)"),
            });
        };
        let on_disk = context.join(&rel);
        let under_dest = under(&op.dest, path);
        if glob {
            let name = under_dest?;
            let parent = rel.parent().unwrap_or(Path::new(""));
            let pattern = basename?;
            let first = name.split('/').next()?;
            if !glob_match(&pattern, first) {
                return None;
            }
            return Some(self.read(op, &context.join(parent).join(name), path, origin, sources));
        }
        if on_disk.is_dir() {
            // A directory copy provides only what the directory has: anything else under the
            // destination (all of `/` for `COPY . /`) may come from the base image.
            let file = on_disk.join(under_dest?);
            return std::fs::symlink_metadata(&file)
                .is_ok()
                .then(|| self.read(op, &file, path, origin, sources));
        }
        // `COPY run.sh /usr/local/bin` lands in /usr/local/bin/run.sh when that directory exists
        // in the base image, which initlint cannot see: accept both readings.
        let as_file = !op.dest_is_dir && path == op.dest;
        let in_dir = basename.is_some_and(|b| under_dest == Some(b.as_str()));
        (as_file || in_dir).then(|| self.read(op, &on_disk, path, origin, sources))
    }

    fn read(
        &self,
        op: &CopyOp,
        file: &Path,
        path: &str,
        origin: &Origin,
        sources: &mut SourceMap,
    ) -> Lookup {
        let shown = display(file);
        let inside = match (
            file.canonicalize(),
            self.context.as_ref().map(|c| c.canonicalize()),
        ) {
            (Ok(f), Some(Ok(c))) => f.starts_with(c),
            _ => true,
        };
        let meta = match std::fs::metadata(file) {
            Ok(m) if inside => m,
            Ok(_) => {
                return Lookup::Missing {
                    why: format!("{shown} is a symlink that points outside the build context; the builder cannot read it"),
                    origin: origin.clone(),
                }
            }
            // `docker build` fails on it: the file is made before the build (a binary
            // `make` puts there) or the context is another directory, not a broken start.
            Err(_) => {
                return Lookup::Unknown {
                    why: format!("the COPY source {shown} is not in the build context {}: the file is made before `docker build`, or the context is another directory (--context DIR)", display(self.context.as_deref().unwrap_or(Path::new(".")))),
                }
            }
        };
        // A FIFO would block the read forever and a device has no end: only regular files.
        if !meta.is_file() {
            return Lookup::Unknown {
                why: format!("{shown} is not a regular file (a FIFO, device or socket), so initlint does not read it"),
            };
        }
        // Cut silently, a long script would be judged by its first part: say so instead.
        if meta.len() > MAX_FILE {
            return Lookup::Unknown {
                why: format!(
                    "{shown} is {} bytes, more than the {} MiB initlint analyses",
                    meta.len(),
                    MAX_FILE >> 20
                ),
            };
        }
        let bytes = match crate::source::read_regular(file, MAX_FILE) {
            Ok(b) => b,
            Err(e) => {
                return Lookup::Missing {
                    why: format!("{shown}: cannot read: {e}"),
                    origin: origin.clone(),
                }
            }
        };
        let content = match String::from_utf8(bytes) {
            Ok(text) => {
                let id = sources.add(shown.clone(), text.clone());
                Text {
                    value: text,
                    map: TextMap::Offset { file: id, base: 0 },
                }
            }
            Err(e) => {
                // Binaries: keep what a shebang check needs, with no source to point into.
                Text::synthetic(
                    String::from_utf8_lossy(&e.into_bytes()[..])
                        .chars()
                        .take(256)
                        .collect::<String>(),
                )
            }
        };
        Lookup::Found(Box::new(FileEntry {
            path: path.to_string(),
            content,
            mode: self.mode(op, path, Some(meta.permissions().mode())),
            origin: origin.clone(),
            from: format!("build context: {shown}"),
        }))
    }

    fn mode(&self, op: &CopyOp, path: &str, context_mode: Option<u32>) -> Mode {
        if let Some(chmod) = &op.chmod {
            return if chmod_sets_exec(chmod) {
                Mode::Executable {
                    why: format!("COPY --chmod={chmod}"),
                }
            } else {
                Mode::NotExecutable {
                    why: format!("COPY --chmod={chmod} has no execute bit"),
                }
            };
        }
        if let Some(run) = self
            .fs
            .runs
            .iter()
            .find(|r| run_chmods(&r.text, &r.workdir, path))
        {
            let line = run
                .text
                .lines()
                .find(|l| l.contains("chmod"))
                .unwrap_or(&run.text)
                .trim();
            return Mode::Executable {
                why: format!("RUN {line}"),
            };
        }
        match context_mode {
            Some(m) if m & 0o111 != 0 => Mode::Executable {
                why: format!("executable in the build context (mode {:o})", m & 0o7777),
            },
            Some(m) => Mode::NotExecutable {
                why: format!("mode {:o} in the build context, and no --chmod or RUN chmod makes it executable", m & 0o7777),
            },
            None => Mode::NotExecutable {
                why: "files written from a heredoc are 0644 unless --chmod sets x".into(),
            },
        }
    }
}

/// `path` below the directory `dest` (`/app/bin/x` under `/app` is `bin/x`; under `/` it is
/// `app/bin/x`), or `None`.
fn under<'p>(dest: &str, path: &'p str) -> Option<&'p str> {
    let dir = dest.trim_end_matches('/');
    path.strip_prefix(dir)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| !r.is_empty())
}

/// The copy's destination is `path` or a directory above it.
fn covers(op: &CopyOp, path: &str) -> bool {
    let dest = op.dest.trim_end_matches('/');
    path == op.dest || path == dest || path.starts_with(&format!("{dest}/"))
}

/// A path relative to the context, or `None` when it escapes it (the builder rejects those).
pub(super) fn normalize_relative(src: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(src.trim_start_matches('/')).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir if !out.pop() => return None,
            _ => {}
        }
    }
    Some(out)
}

pub fn display(p: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_ref()
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p);
    let s = shown.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn chmod_sets_exec(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) {
        return u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o111 != 0);
    }
    mode.split(',').any(|clause| {
        clause
            .split_once(['+', '='])
            .is_some_and(|(_, perms)| perms.contains('x'))
    })
}

/// Does this RUN text, run in `workdir`, `chmod` something executable that covers `path`?
/// Relative targets and globs are taken from the working directory, which `cd DIR` earlier
/// in the same RUN moves.
fn run_chmods(run: &str, workdir: &str, path: &str) -> bool {
    let tokens: Vec<&str> = run
        .split(|c: char| c.is_whitespace() || ";&|()".contains(c))
        .filter(|t| !t.is_empty())
        .collect();
    let basename = path.rsplit('/').next().unwrap_or(path);
    let mut cwd = workdir.to_string();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "cd" {
            if let Some(dir) = tokens.get(i + 1).filter(|d| !d.starts_with('-')) {
                cwd = crate::source::join_path(&cwd, dir.trim_matches(|c| c == '"' || c == '\''));
            }
            i += 1;
            continue;
        }
        if tokens[i] != "chmod" {
            i += 1;
            continue;
        }
        i += 1;
        let mut recursive = false;
        while i < tokens.len() && tokens[i].starts_with('-') && !tokens[i].contains('x') {
            recursive |= tokens[i].contains('R');
            i += 1;
        }
        let Some(mode) = tokens.get(i) else { break };
        let exec = chmod_sets_exec(mode.trim_start_matches('-'));
        i += 1;
        while i < tokens.len() && tokens[i] != "chmod" && !is_command_word(tokens[i]) {
            let target = tokens[i].trim_matches(|c| c == '"' || c == '\'');
            let full = crate::source::join_path(&cwd, target);
            let covers = target == path
                || full == path
                || glob_match(&full, path)
                || glob_match(target, path)
                || (!target.starts_with('/')
                    && (target == basename || path.ends_with(&format!("/{target}"))))
                || (recursive && path.starts_with(&format!("{}/", target.trim_end_matches('/'))));
            if exec && covers {
                return true;
            }
            i += 1;
        }
    }
    false
}

fn is_command_word(t: &str) -> bool {
    matches!(
        t,
        "&&" | "||"
            | "RUN"
            | "apt-get"
            | "rm"
            | "mkdir"
            | "chown"
            | "ln"
            | "cp"
            | "mv"
            | "echo"
            | "set"
            | "cd"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn chmod_detection() {
        assert!(run_chmods("chmod +x /entrypoint.sh", "/", "/entrypoint.sh"));
        assert!(run_chmods(
            "apt-get update && chmod 755 /usr/local/bin/*",
            "/",
            "/usr/local/bin/run"
        ));
        assert!(run_chmods("chmod -R a+x /app", "/", "/app/bin/run"));
        assert!(run_chmods(
            "chmod +x entrypoint.sh",
            "/",
            "/app/entrypoint.sh"
        ));
        assert!(!run_chmods(
            "chmod 644 /entrypoint.sh",
            "/",
            "/entrypoint.sh"
        ));
        assert!(!run_chmods("chmod +x /other.sh", "/", "/entrypoint.sh"));
        // Relative to WORKDIR, inside an && chain, with a glob, after a cd.
        let start = "/app/scripts/start.sh";
        assert!(run_chmods(
            "apt-get update && chmod +x ./scripts/start.sh && echo ok",
            "/app",
            start
        ));
        assert!(run_chmods("chmod +x scripts/*.sh", "/app", start));
        assert!(run_chmods("cd /app/scripts && chmod u+x *.sh", "/", start));
        assert!(!run_chmods("chmod +x scripts/*.py", "/app", start));
    }

    #[test]
    fn chmod_modes() {
        assert!(chmod_sets_exec("755"));
        assert!(chmod_sets_exec("0700"));
        assert!(!chmod_sets_exec("644"));
        assert!(chmod_sets_exec("u+rwx,go+rx"));
        assert!(!chmod_sets_exec("u+rw"));
    }

    #[test]
    fn paths_under_a_destination() {
        assert_eq!(under("/", "/entrypoint.sh"), Some("entrypoint.sh"));
        assert_eq!(under("/app", "/app/bin/x"), Some("bin/x"));
        assert_eq!(under("/app/", "/app/x"), Some("x"));
        assert_eq!(under("/app", "/application/x"), None);
        assert_eq!(under("/app", "/app"), None);
    }

    #[test]
    fn relative_paths_stay_in_context() {
        assert_eq!(normalize_relative("a/../b"), Some(PathBuf::from("b")));
        assert_eq!(normalize_relative("../etc/passwd"), None);
    }
}
