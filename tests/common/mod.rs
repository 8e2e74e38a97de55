//! Shared by the image tests: the fixture images, built once per change of their recipe.
#![allow(dead_code)]

pub mod dockerd;
pub mod registry;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A part of the suite that needs something from the machine (a Debian package, a kernel
/// permission). When it is missing the test fails, naming the package; only a part named in
/// `INITLINT_TEST_SKIP` (comma-separated, e.g. `unshare,pre-commit`) is skipped, and then a
/// `SKIPPED` line goes straight to the process's stderr, past the harness's output capture.
/// Returns whether the test should go on.
pub fn require(part: &str, available: Result<(), String>) -> bool {
    let Err(why) = available else {
        return true;
    };
    let skip = std::env::var("INITLINT_TEST_SKIP").unwrap_or_default();
    if skip.split(',').any(|p| p.trim() == part) {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED ({part}, by INITLINT_TEST_SKIP): {why}"
        );
        return false;
    }
    panic!(
        "{part}: {why}\n`./x test` installs what the tests need; \
         INITLINT_TEST_SKIP={part} skips this part (and says so)"
    );
}

/// A program from a Debian package, on PATH.
pub fn tool(program: &str, package: &str) -> Result<(), String> {
    match Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "`{program}` cannot be run ({e}): install the Debian package {package}"
        )),
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build the fixtures (testdata/images/build.sh) unless the recipe is unchanged since the
/// last build. A file lock keeps test binaries running in parallel from building at once.
pub fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture-images");
        std::fs::create_dir_all(&out).unwrap();
        let lock = std::fs::File::create(out.with_extension("lock")).unwrap();
        lock.lock().unwrap();
        let recipe = repo().join("testdata/images");
        let mut stamp = String::new();
        // Every file of the recipe: a change to any rebuilds the images.
        for dir in [recipe.clone(), recipe.join("src")] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                stamp.push_str(&std::fs::read_to_string(f).unwrap());
            }
        }
        // What is skipped changes what is built.
        stamp.push_str(&std::env::var("INITLINT_TEST_SKIP").unwrap_or_default());
        let stamp_file = out.join("stamp");
        if std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp.as_str()) {
            let built = Command::new(recipe.join("build.sh"))
                .arg(&out)
                .stdout(Stdio::null())
                .output()
                .expect("run testdata/images/build.sh");
            // Its last lines say why (a missing tool, a failed apt-get download).
            let stderr = String::from_utf8_lossy(&built.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
            assert!(
                built.status.success(),
                "testdata/images/build.sh failed ({}):\n{}\n`./x test` installs what it needs",
                built.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
            std::fs::write(&stamp_file, &stamp).unwrap();
        }
        lock.unlock().unwrap();
        out
    })
}

/// An image report's findings without what legitimately differs between sources (the
/// config's display name): code, place and message.
pub fn findings(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap_or("");
            let path = if path.ends_with("(config)") {
                "(config)"
            } else {
                path
            };
            format!(
                "{} {path}:{}:{} {}",
                f["code"], f["line"], f["column"], f["message"]
            )
        })
        .collect()
}

/// initlint with `args`, run in `cwd` (no failure threshold from the environment).
pub fn initlint_in(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("INITLINT_FAILURE_THRESHOLD")
        // Dockerfiles are judged on what they show: no engine or registry is asked for their
        // base images (tests/bases.rs reads them, from a registry and an engine it starts).
        .env("INITLINT_NO_BASE", "1")
        .output()
        .expect("run initlint")
}

/// The application servers of testdata/images/apps.sh (Debian's python packages, node with
/// npm and yarn from the npm registry), and the line each prints once it serves. Every app
/// says "handler: clean exit" when its server process ends normally (an exit hook, or the
/// SIGTERM handler of server.js), which a SIGKILLed process never does.
pub const APP_CASES: &[(&str, &str)] = &[
    ("py-gunicorn", "Booting worker"),
    ("py-uvicorn", "Application startup complete"),
    ("py-celery", "ready."),
    ("py-flask-debug", "Debugger PIN"),
    ("py-flask-run", "Running on"),
    ("py-django-runserver", "Quit the server"),
    ("py-django-noreload", "Quit the server"),
    ("py-http-server", "Serving HTTP"),
    ("py-supervisord", "entered RUNNING state"),
    ("node-handler", "app: ready"),
    ("node-nohandler", "app: ready"),
    ("node-entrypoint-file", "app: ready"),
    ("npm-start", "app: ready"),
    ("yarn-start", "app: ready"),
    ("tini-npm-start", "app: ready"),
    ("npm-start-busybox", "app: ready"),
    ("yarn-start-busybox", "app: ready"),
    ("java-jar", "app: ready"),
    ("java-xrs", "app: ready"),
    ("elixir-release", "app: ready"),
];
