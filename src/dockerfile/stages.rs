//! `COPY --from=STAGE`: what a stage gets from an earlier one. A file that stage copied from
//! the build context is that file; a program it compiles (`go build`, `cargo build`, `gcc`,
//! `make`) is judged from the sources it copied from the build context.

use std::path::{Path, PathBuf};

use super::{CopyOp, CopySrc, Filesystem, RunOp, StageFiles};
use crate::knowledge::sources::{self, Language};
use crate::model::{Built, SourceHit};
use crate::source::{glob_match, join_path, SourceMap, Span};

/// Directory entries visited at most while looking for sources.
const MAX_ENTRIES: usize = 50_000;
/// Source files read at most, and bytes in all.
const MAX_SOURCES: usize = 5_000;
const MAX_SOURCE_BYTES: u64 = 64 << 20;
/// A larger source file is generated code or data, not where a handler is installed.
const MAX_SOURCE_FILE: u64 = 1 << 20;
/// Directories that hold no source of the program itself.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    "vendor",
    "testdata",
    "third_party",
];

/// File names no compiler writes as a program: an interpreter or the shell runs them.
const SCRIPT_EXTENSIONS: &[&str] = &["sh", "bash", "py", "rb", "pl", "php", "json", "dll", "jar"];

/// The stage `from` names: its `AS` name (any case) or its index, and only an earlier stage
/// (a later one cannot have been built yet).
pub fn resolve<'a>(stages: &'a [StageFiles], from: &str, before: usize) -> Option<&'a StageFiles> {
    let lower = from.to_ascii_lowercase();
    stages
        .iter()
        .take(before)
        .find(|s| s.name.as_deref() == Some(lower.as_str()) || from.parse::<usize>() == Ok(s.index))
}

/// The path in the source stage that `COPY --from` puts at `path` (sources are relative to
/// the stage's root). `None` when the copy does not provide `path`.
pub fn source_path(op: &CopyOp, path: &str) -> Option<String> {
    let dest = op.dest.trim_end_matches('/');
    let rest = if path == op.dest || path == dest {
        None
    } else {
        Some(path.strip_prefix(&format!("{dest}/"))?)
    };
    op.srcs.iter().rev().find_map(|src| {
        let CopySrc::Path(src) = src else { return None };
        let src = join_path("/", src);
        let name = src.rsplit('/').next().unwrap_or(&src);
        match rest {
            None if !op.dest_is_dir => Some(src.clone()),
            None => None,
            // `COPY --from=b /out/app /usr/local/bin/`: the file keeps its name.
            Some(r) if r == name => Some(src.clone()),
            // A glob matches names in its directory.
            Some(r) if src.contains(['*', '?', '[']) => {
                let (dir, pattern) = src.rsplit_once('/')?;
                (!r.contains('/') && glob_match(pattern, r)).then(|| format!("{dir}/{r}"))
            }
            // A directory copy: the same relative path under it.
            Some(r) => Some(join_path(&src, r)),
        }
    })
}

/// The language of a toolchain image (`golang:1.22`, `docker.io/library/rust:1-slim`), by
/// its repository's last component.
pub fn image_toolchain(reference: &str) -> Option<Language> {
    let repo = reference.split(['@']).next().unwrap_or(reference);
    let name = repo.rsplit('/').next().unwrap_or(repo);
    let name = name.split(':').next().unwrap_or(name);
    match name {
        "golang" => Some(Language::Go),
        "rust" => Some(Language::Rust),
        "sdk" if repo.contains("dotnet/") => Some(Language::DotNet),
        _ => None,
    }
}

/// The compiler a `RUN` runs, by the command words of its simple commands (`apt-get install
/// gcc` installs a compiler, it does not run one). A build driver (`make`, `ninja`) builds
/// in the language of the stage's toolchain image (`image`), else C.
pub fn toolchain(run: &str, image: Option<Language>) -> Option<Language> {
    let mut found = None;
    for command in run.split(['\n', ';', '|', '&', '(', ')', '`']) {
        let words = command.split_whitespace().skip_while(|w| {
            w.contains('=')
                || matches!(
                    *w,
                    "then" | "do" | "else" | "sudo" | "env" | "time" | "exec"
                )
        });
        let words: Vec<&str> = words.collect();
        let Some(first) = words.first() else { continue };
        let program = first.rsplit('/').next().unwrap_or(first);
        let second = words.get(1).copied().unwrap_or("");
        let third = words.get(2).copied().unwrap_or("");
        // Gradle's `installDist` (or `:app:installDist`) writes the application's start script.
        let install_dist = words
            .iter()
            .any(|w| *w == "installDist" || w.ends_with(":installDist"));
        const JS_TOOLS: &[&str] = &[
            "tsc", "esbuild", "webpack", "nest", "vite", "rollup", "swc", "babel", "tsup",
        ];
        let lang = match program {
            "npm" | "pnpm" | "yarn" | "bun"
                if second == "build" || (second == "run" && third.contains("build")) =>
            {
                Some(Language::JavaScript)
            }
            "npx" | "pnpx" | "bunx" if JS_TOOLS.contains(&second) => Some(Language::JavaScript),
            p if JS_TOOLS.contains(&p) => Some(Language::JavaScript),
            "go" if matches!(second, "build" | "install") => Some(Language::Go),
            "cargo" if matches!(second, "build" | "install" | "auditable" | "zigbuild") => {
                Some(Language::Rust)
            }
            "make" | "ninja" => Some(image.unwrap_or(Language::C)),
            "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" | "musl-gcc" => Some(Language::C),
            "cmake" if second == "--build" => Some(Language::C),
            "dotnet" if matches!(second, "publish" | "build") => Some(Language::DotNet),
            "gradle" | "gradlew" if install_dist => Some(Language::Java),
            "mix" if second == "release" => Some(Language::Elixir),
            _ => None,
        };
        // Go and Rust builds often run `make` or a front-end build too: the language
        // compiler wins.
        let weak = |l: Option<Language>| matches!(l, Some(Language::C | Language::JavaScript));
        found = match (found, lang) {
            (None, Some(l)) => Some(l),
            (f, Some(l)) if weak(f) && !weak(Some(l)) => Some(l),
            (f, _) => f,
        };
    }
    found
}

/// The `RUN` of a stage (its copies and runs `fs`) that compiles the program at
/// `stage_path`: the last build that names it (its path or file name), else, for a file
/// `COPY --from` takes from the stage (`named` false), the stage's only kind of build
/// (cargo's `target/release/NAME`, `go build` without `-o`). A program the linted stage
/// runs must be named: its other builds may be of something else.
pub fn producer<'a>(
    fs: &'a Filesystem,
    stage_path: &str,
    named: bool,
    accept: &dyn Fn(Language) -> bool,
) -> Option<(Language, &'a RunOp)> {
    let name = stage_path.rsplit('/').next().unwrap_or(stage_path);
    // A compiler's output is no script: `instrument.sh` beside a `dotnet publish` comes from
    // a package, and the shell runs it.
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let script = SCRIPT_EXTENSIONS.contains(&ext);
    let builds: Vec<(Language, &RunOp)> = fs
        .runs
        .iter()
        .filter_map(|r| {
            toolchain(&r.text, fs.toolchain)
                .filter(|l| {
                    // `dotnet app.dll` runs what `dotnet publish` wrote.
                    let runs_it =
                        *l == Language::JavaScript || (*l == Language::DotNet && ext == "dll");
                    // A Gradle build's or a release's program is its start script.
                    accept(*l) && (!script || runs_it) && l.is_start_script(stage_path)
                })
                .map(|l| (l, r))
        })
        .collect();
    let words = |r: &'a RunOp| {
        r.text
            .split(|c: char| c.is_whitespace() || "'\"=;&|".contains(c))
            .filter(|w| !w.is_empty())
    };
    // The linted stage's program: a word of the RUN is its path, from the RUN's WORKDIR.
    // A file another stage copies: its path or its file name will do.
    let names_it = |r: &'a RunOp| match named {
        true => words(r).any(|w| join_path(&r.workdir, w) == stage_path),
        false => {
            r.text.contains(stage_path)
                || words(r).any(|w| w.rsplit('/').next() == Some(name) && !name.is_empty())
        }
    };
    if let Some(b) = builds.iter().rev().find(|(_, r)| names_it(r)) {
        return Some(*b);
    }
    let last = builds.last().filter(|_| !named)?;
    builds.iter().all(|(l, _)| *l == last.0).then_some(*last)
}

/// A program the stage labelled `stage` (whose copies and runs are `fs`) builds with `run`,
/// at `path` in the container (brought by `copy`, or built in place): its sources read from
/// the build context for a handler of `signal` and a reaper.
#[allow(clippy::too_many_arguments)]
pub fn built(
    stage: String,
    fs: &Filesystem,
    language: Language,
    run: &RunOp,
    copy: Option<&CopyOp>,
    path: &str,
    context: Option<&Path>,
    signal: &str,
    sources: &mut SourceMap,
) -> Built {
    let mut b = Built {
        path: path.to_string(),
        stage,
        language,
        build: run.span.clone(),
        copy: copy.map(|c| c.span.clone()),
        files: 0,
        incomplete: None,
        handler: None,
        reaper: None,
        frameworks: Vec::new(),
        framework_server: None,
    };
    if language == Language::JavaScript {
        b.framework_server = next_standalone(copy, run, path, sources);
    }
    // The start script execs java or the BEAM: the runtime decides, whatever the sources say.
    if language.runtime_program().is_some() {
        return b;
    }
    let Some(context) = context else {
        b.incomplete = Some("no build context was given (--context DIR)".into());
        return b;
    };
    let mut walk = SourceWalk {
        language,
        context: context.to_path_buf(),
        files: Vec::new(),
        entries: 0,
        limit: None,
    };
    for op in fs.copies.iter().filter(|op| op.from.is_none()) {
        for src in &op.srcs {
            if let CopySrc::Path(p) = src {
                walk.add(p);
            }
        }
    }
    b.incomplete = walk.limit.take();
    let mut bytes = 0u64;
    for file in walk.files {
        if b.files >= MAX_SOURCES || bytes > MAX_SOURCE_BYTES {
            b.incomplete = Some(format!(
                "initlint reads at most {MAX_SOURCES} source files and {} MiB",
                MAX_SOURCE_BYTES >> 20
            ));
            break;
        }
        let Ok(raw) = crate::source::read_regular(&file, MAX_SOURCE_FILE) else {
            continue;
        };
        let Ok(text) = String::from_utf8(raw) else {
            continue;
        };
        b.files += 1;
        bytes += text.len() as u64;
        scan(&mut b, &file, context, text, signal, sources);
        if b.handler.is_some() && b.reaper.is_some() {
            break;
        }
    }
    b
}

/// `server.js` of Next.js's standalone output (`output: 'standalone'`, written by `next
/// build` into `.next/standalone/`), copied from it or run in place: Next's start-server
/// registers SIGTERM and SIGINT handlers ([`crate::knowledge::NEXT_STANDALONE`]).
fn next_standalone(
    copy: Option<&CopyOp>,
    run: &RunOp,
    path: &str,
    sources: &SourceMap,
) -> Option<SourceHit> {
    const DIR: &str = ".next/standalone";
    if !path.ends_with("/server.js") {
        return None;
    }
    let from_standalone = match copy {
        Some(op) => op
            .srcs
            .iter()
            .any(|s| matches!(s, CopySrc::Path(p) if p.trim_end_matches('/').ends_with(DIR) || p.contains(&format!("{DIR}/server.js")))),
        None => path.contains(&format!("{DIR}/")),
    };
    if !from_standalone {
        return None;
    }
    let span = copy.map_or_else(|| run.span.clone(), |op| op.span.clone());
    let (line, _) = sources.line_col(span.file, span.range.start);
    Some(SourceHit {
        what: crate::knowledge::NEXT_STANDALONE.into(),
        place: format!("{}:{line}", sources.get(span.file).name),
        span,
    })
}

/// One source file: a handler and a reaper, each kept at its first sighting.
fn scan(
    b: &mut Built,
    file: &Path,
    context: &Path,
    text: String,
    signal: &str,
    sources: &mut SourceMap,
) {
    let name = file.file_name().map(|n| n.to_string_lossy().to_string());
    let name = name.as_deref().unwrap_or("");
    if name.ends_with(".csproj") || name == "Directory.Build.props" {
        return dotnet_project(b, file, context, text, sources);
    }
    let manifest = name == "Cargo.toml";
    let handler = match manifest {
        true => sources::rust_crate_handler(&text, signal),
        false => sources::handler(b.language, &text, signal),
    }
    .filter(|_| b.handler.is_none());
    let reaper = (!manifest && b.reaper.is_none())
        .then(|| sources::reaper(b.language, &text))
        .flatten();
    if handler.is_none() && reaper.is_none() {
        return;
    }
    let shown = file
        .strip_prefix(context)
        .unwrap_or(file)
        .display()
        .to_string();
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let hits: Vec<_> = [handler, reaper]
        .into_iter()
        .map(|f| {
            f.map(|f| {
                (
                    f.what,
                    format!("{shown}:{}", line_of(f.range.start)),
                    f.range,
                )
            })
        })
        .collect();
    let id = sources.add(super::context::display(file), text);
    let mut hits = hits.into_iter().map(|h| {
        h.map(|(what, place, range)| SourceHit {
            what,
            place,
            span: Span { file: id, range },
        })
    });
    if let Some(h) = hits.next().flatten() {
        b.handler = Some(h);
    }
    if let Some(r) = hits.next().flatten() {
        b.reaper = Some(r);
    }
}

/// A .NET project file: the target framework it names.
fn dotnet_project(
    b: &mut Built,
    file: &Path,
    context: &Path,
    text: String,
    sources: &mut SourceMap,
) {
    const MAX_PROJECTS: usize = 16;
    let Some(found) = sources::dotnet_framework(&text) else {
        return;
    };
    if b.frameworks.len() >= MAX_PROJECTS {
        return;
    }
    let line = text[..found.range.start].matches('\n').count() + 1;
    let shown = file.strip_prefix(context).unwrap_or(file).display();
    let place = format!("{shown}:{line}");
    let id = sources.add(super::context::display(file), text);
    b.frameworks.push(SourceHit {
        what: found.what,
        place,
        span: Span {
            file: id,
            range: found.range,
        },
    });
}

/// The language's source files under what a stage copies from the build context.
struct SourceWalk {
    language: Language,
    context: PathBuf,
    files: Vec<PathBuf>,
    entries: usize,
    limit: Option<String>,
}

impl SourceWalk {
    fn add(&mut self, src: &str) {
        let Some(rel) = super::context::normalize_relative(src) else {
            return;
        };
        if src.contains(['*', '?', '[']) {
            let parent = rel.parent().unwrap_or(Path::new(""));
            let pattern = rel.file_name().map(|n| n.to_string_lossy().to_string());
            let Ok(dir) = std::fs::read_dir(self.context.join(parent)) else {
                return;
            };
            for entry in dir.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if pattern.as_deref().is_some_and(|p| glob_match(p, &name)) {
                    self.visit(&entry.path());
                }
            }
            return;
        }
        self.visit(&self.context.join(rel));
    }

    /// A file or directory of the context; symlinks are not followed (a link out of the
    /// context is not the builder's to read, and loops end here).
    fn visit(&mut self, path: &Path) {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            self.limit.get_or_insert_with(|| {
                format!("initlint visits at most {MAX_ENTRIES} entries of the build context")
            });
            return;
        }
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if meta.is_dir() {
            if SKIP_DIRS.contains(&name.as_str()) {
                return;
            }
            let Ok(dir) = std::fs::read_dir(path) else {
                return;
            };
            let mut children: Vec<PathBuf> = dir.flatten().map(|e| e.path()).collect();
            children.sort();
            for child in children {
                self.visit(&child);
            }
        } else if meta.is_file()
            && self.language.is_source(&name)
            && !self.files.iter().any(|f| f == path)
        {
            self.files.push(path.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchains_by_command_word() {
        assert_eq!(
            toolchain("CGO_ENABLED=0 go build -o /out/app .", None),
            Some(Language::Go)
        );
        assert_eq!(
            toolchain("cargo build --release --locked", None),
            Some(Language::Rust)
        );
        assert_eq!(toolchain("apt-get install -y gcc make", None), None);
        assert_eq!(
            toolchain("apt-get update && gcc -O2 -o /app main.c", None),
            Some(Language::C)
        );
        assert_eq!(
            toolchain("make && go build ./cmd/x", None),
            Some(Language::Go)
        );
        assert_eq!(toolchain("go mod download", None), None);
        assert_eq!(toolchain("cmake --build build", None), Some(Language::C));
        assert_eq!(
            toolchain("npm ci && npm run build", None),
            Some(Language::JavaScript)
        );
        assert_eq!(toolchain("npx tsc -p .", None), Some(Language::JavaScript));
        assert_eq!(toolchain("npm ci --omit=dev", None), None);
        assert_eq!(
            toolchain("npm run build:web && go build .", None),
            Some(Language::Go)
        );
        // `make` in a Go image builds Go (grafana/loki's `make loki` in golang:1.26).
        let go = image_toolchain("golang:1.26");
        assert_eq!(toolchain("make clean && make loki", go), Some(Language::Go));
        assert_eq!(
            image_toolchain("docker.io/library/rust:1-slim"),
            Some(Language::Rust)
        );
        assert_eq!(image_toolchain("127.0.0.1:5000/golang"), Some(Language::Go));
        assert_eq!(image_toolchain("debian:bookworm"), None);
        assert_eq!(toolchain("make", None), Some(Language::C));
        assert_eq!(
            toolchain("dotnet publish -a $TARGETARCH --no-restore -o /app", None),
            Some(Language::DotNet)
        );
        assert_eq!(toolchain("dotnet restore", None), None);
        assert_eq!(
            toolchain("chmod +x gradlew && ./gradlew clean installDist", None),
            Some(Language::Java)
        );
        assert_eq!(toolchain("./gradlew downloadRepos", None), None);
        assert_eq!(
            image_toolchain("mcr.microsoft.com/dotnet/sdk:10.0-alpine"),
            Some(Language::DotNet)
        );
        assert_eq!(image_toolchain("example.com/sdk:1"), None);
    }

    fn runs(texts: &[(&str, &str)]) -> Filesystem {
        Filesystem {
            copies: Vec::new(),
            runs: texts
                .iter()
                .map(|(wd, t)| RunOp {
                    workdir: wd.to_string(),
                    text: t.to_string(),
                    span: Span {
                        file: crate::source::FileId(0),
                        range: 0..0,
                    },
                })
                .collect(),
            toolchain: None,
        }
    }

    #[test]
    fn the_build_that_makes_a_program() {
        let fs = runs(&[
            ("/src", "apt-get update && apt-get install -y make"),
            ("/app", "go build -o main ./cmd/main"),
        ]);
        // In place: the word must be the path, from the RUN's WORKDIR.
        let any = |_: Language| true;
        let (l, r) = producer(&fs, "/app/main", true, &any).unwrap();
        assert_eq!((l, r.workdir.as_str()), (Language::Go, "/app"));
        assert!(producer(&fs, "/usr/local/bin/main", true, &any).is_none());
        assert!(producer(&fs, "/app/other", true, &any).is_none());
        // Copied from the stage: its only kind of build will do.
        assert!(producer(&fs, "/go/bin/other", false, &any).is_some());
        let mixed = runs(&[("/", "go build -o /a ."), ("/", "cargo build --release")]);
        assert!(producer(&mixed, "/target/release/x", false, &any).is_none());
        assert_eq!(
            producer(&mixed, "/a", false, &any).map(|(l, _)| l),
            Some(Language::Go)
        );
        // A script beside a publish's output is the package's, not the compiler's.
        let dotnet = runs(&[("/src", "dotnet publish -o /app/publish")]);
        assert!(producer(&dotnet, "/app/publish/instrument.sh", false, &any).is_none());
        assert!(producer(&dotnet, "/app/publish/web", false, &any).is_some());
        // A Gradle build's program is its start script, nothing else it writes.
        let gradle = runs(&[("/app", "./gradlew installDist")]);
        let script = "/app/build/install/ad/bin/AdService";
        assert!(producer(&gradle, script, false, &any).is_some());
        assert!(producer(&gradle, "/app/build/libs/ad", false, &any).is_none());
    }

    fn copy(srcs: &[&str], dest: &str, dest_is_dir: bool) -> CopyOp {
        CopyOp {
            keyword: "COPY",
            span: Span {
                file: crate::source::FileId(0),
                range: 0..0,
            },
            srcs: srcs.iter().map(|s| CopySrc::Path(s.to_string())).collect(),
            dest: dest.into(),
            dest_is_dir,
            chmod: None,
            from: Some("build".into()),
        }
    }

    #[test]
    fn copy_from_paths() {
        let file = copy(&["/out/server"], "/app/server", false);
        assert_eq!(
            source_path(&file, "/app/server").as_deref(),
            Some("/out/server")
        );
        assert_eq!(source_path(&file, "/app/other"), None);
        let into_dir = copy(&["/out/server"], "/usr/local/bin/", true);
        assert_eq!(
            source_path(&into_dir, "/usr/local/bin/server").as_deref(),
            Some("/out/server")
        );
        let dir = copy(&["/out"], "/app", false);
        assert_eq!(
            source_path(&dir, "/app/bin/x").as_deref(),
            Some("/out/bin/x")
        );
        let relative = copy(&["app"], "/app", false);
        assert_eq!(source_path(&relative, "/app").as_deref(), Some("/app"));
    }
}
