//! Entry points for the fuzz targets (`fuzz/`) and for replaying what they found
//! (`tests/hostile_replay.rs`): each takes arbitrary bytes and runs one front door or reader
//! the way a hostile input reaches it. They return nothing; the contract is that they never
//! panic, overflow the stack or run away in time or memory.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{Config, Settings};
use crate::image::layer::{self, Expect, Limits, Want};

/// What a fuzz target runs.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (as in `fuzz/fuzz_targets/<name>.rs` and
/// `testdata/hostile/fuzz/<name>/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("dockerfile", dockerfile),
    ("shell", shell),
    ("config", config),
    ("layer", layer),
    ("archive", archive),
    ("elf", elf),
    ("glob", glob),
    ("manifest", manifest),
];

/// Once, before fuzzing: the first spawn of a thread registers thread-local destructors
/// (32 bytes each, kept until exit), which LeakSanitizer would otherwise report as a leak
/// of whichever input first spawned one. Seen once in 182,548 runs of `archive`; that input
/// alone does not leak.
pub fn warm_up() {
    let _ = std::thread::current();
    std::thread::scope(|s| {
        s.spawn(|| std::thread::current().id());
    });
}

/// A Dockerfile through the whole Dockerfile front door: parse, stages, substitution,
/// launch chain, rules, verdict, and every output format.
pub fn dockerfile(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let Ok(a) = crate::analyse_dockerfile(
        "Dockerfile".into(),
        text,
        None,
        &crate::Options::default(),
        &Settings::default(),
    ) else {
        return;
    };
    render(&a);
}

/// Shell text as a `-c` string or a script.
pub fn shell(data: &[u8]) {
    let _ = crate::shell::analyze(&String::from_utf8_lossy(data));
}

/// A `.initlint.toml`.
pub fn config(data: &[u8]) {
    let _ = Config::parse(&String::from_utf8_lossy(data), Path::new(".initlint.toml"));
}

/// One layer blob: decompression (gzip, zstd, none) and the tar walk.
pub fn layer(data: &[u8]) {
    let want = Want {
        scripts: true,
        names: ["sh", "entrypoint.sh", "python3"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Want::default()
    };
    let limits = Limits {
        max_layer_bytes: 64 << 20,
        ..Limits::default()
    };
    let _ = layer::index(data, "fuzz", &Expect::default(), &want, limits);
}

/// A `docker save` archive: manifest.json, the config, the layers, then the whole image
/// pipeline.
pub fn archive(data: &[u8]) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("initlint-fuzz-{}-{n}.tar", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let target = crate::image::ImageTarget::DockerArchive {
        path: path.clone(),
        tag: None,
    };
    let mut opts = crate::Options::default();
    opts.image.limits.max_layer_bytes = 64 << 20;
    if let Ok(a) = crate::analyse_image("fuzz", &target, &opts, &Settings::default()) {
        render(&a);
    }
    let _ = std::fs::remove_file(path);
}

/// An ELF file: headers, imports, symbol versions, Go build info, call sites.
pub fn elf(data: &[u8]) {
    if let Ok(f) = crate::elf::inspect(data) {
        let _ = f.signal_use("SIGTERM");
        let _ = f.wait_use();
        let _ = f.kind();
    }
}

/// A glob pattern and a name (split at the first NUL byte), as COPY sources, `RUN chmod`,
/// the repository walk and config `paths` match them: linear in both, never a panic.
pub fn glob(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, name) = text.split_once('\0').unwrap_or((&text, "a/b"));
    let _ = crate::source::glob_match(pattern, name);
}

/// A registry manifest or index (or an OCI layout's index.json): parsed, a platform chosen,
/// each layer's table-of-contents annotations read, a `Platform` string parsed.
pub fn manifest(data: &[u8]) {
    use crate::image::store;
    let Ok(m) = store::parse_manifest(data, "fuzz") else {
        return;
    };
    if let Some(manifests) = &m.manifests {
        let _ = store::choose_platform(manifests, &store::Platform::host(), "fuzz");
    }
    for d in m.layers.iter().flatten().chain(m.config.iter()) {
        if let Some(a) = &d.annotations {
            let _ = crate::image::toc::TocRef::from_descriptor(a, d.size);
        }
        let _ = store::Platform::parse(&d.digest);
    }
}

fn render(a: &crate::Analysis) {
    let report = a.report();
    let style = crate::report::Style {
        color: false,
        width: 80,
        explain: true,
    };
    let _ = crate::report::human(&report, &style);
    let _ = crate::report::json(&report);
    let _ = crate::report::compact(&report);
    let _ = crate::report::github(&report);
}
