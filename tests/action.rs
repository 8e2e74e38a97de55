//! The GitHub Action and the pre-commit hooks, run for real, with the snippets from README.md
//! (so the README cannot drift from what is tested).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{require, tool};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced block after `<!-- snippet: NAME -->` in README.md.
fn snippet(name: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let marker = format!("<!-- snippet: {name} -->");
    let at = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let rest = &readme[at..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let start = body.find('\n').unwrap() + 1;
    let end = body[start..].find("\n```").unwrap();
    format!("{}\n", &body[start..start + end])
}

/// The `with:` inputs of the step that uses initlint in the README's workflow.
fn workflow_inputs(yaml: &str) -> BTreeMap<String, String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let step = lines
        .iter()
        .position(|l| l.trim_start().starts_with("uses: initlint/initlint"))
        .expect("a step that uses initlint/initlint");
    let with = (step..lines.len())
        .find(|&i| lines[i].trim() == "with:")
        .unwrap();
    let indent = lines[with].len() - lines[with].trim_start().len();
    let mut inputs = BTreeMap::new();
    for l in &lines[with + 1..] {
        let i = l.len() - l.trim_start().len();
        if i <= indent || l.trim().is_empty() {
            break;
        }
        let (k, v) = l.trim().split_once(':').unwrap();
        inputs.insert(k.trim().to_string(), v.trim().to_string());
    }
    inputs
}

const BAD: &str = "FROM debian:bookworm\nCMD /usr/local/bin/server --port 8080\n";
// (Under tini: with the server alone, its binary not in the workspace, the verdict would be
// unknown, which is a finding too: IL306.)
const GOOD: &str = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y tini\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD [\"/usr/local/bin/server\", \"--port\", \"8080\"]\n";

/// A Dockerfile whose entrypoint script is PID 1 and hands over to tini: whether the stop
/// works depends on the script's `exec` alone.
const SCRIPTED: &str = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y tini\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"/usr/bin/tini\", \"--\", \"/usr/local/bin/server\"]\n";

struct ActionRun {
    out: Output,
    outputs: String,
    summary: String,
}

/// Run the action's steps as GitHub would: the env of action.yml's `run` steps, with
/// GITHUB_ACTION_PATH, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, in `workspace`.
fn run_action(workspace: &Path, inputs: &BTreeMap<String, String>) -> ActionRun {
    // action/run.sh writes the job summary with python3 (GitHub's runners have it).
    if let Err(why) = tool("python3", "python3") {
        panic!("{why}; `./x test` installs it");
    }
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // A cached binary (what actions/cache restores): install.sh must accept it.
    let root = tmp.path().join("initlint-bin");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_initlint"), root.join("bin/initlint")).unwrap();
    let output = tmp.path().join("github_output");
    let summary = tmp.path().join("step_summary");
    let env = |cmd: &mut Command| {
        cmd.current_dir(workspace)
            .env("GITHUB_ACTION_PATH", repo())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("INITLINT_ROOT", &root)
            .env("INITLINT_NO_BASE", "1")
            .env_remove("INITLINT_FAILURE_THRESHOLD");
        for (k, v) in inputs {
            let var = format!("INPUT_{}", k.to_ascii_uppercase().replace('-', "_"));
            assert!(
                action.contains(&format!("{var}: ${{{{ inputs.{k} }}}}")),
                "action.yml does not pass input {k} as {var}"
            );
            cmd.env(var, v);
        }
    };
    let mut steps = Vec::new();
    for line in action.lines() {
        if let Some(script) = line.trim().strip_prefix("run: '\"$GITHUB_ACTION_PATH/") {
            steps.push(script.trim_end_matches("\"'").to_string());
        }
    }
    assert_eq!(
        steps,
        ["action/key.sh", "action/install.sh", "action/run.sh"]
    );
    let steps = &steps[1..];
    let mut install = Command::new(repo().join(&steps[0]));
    env(&mut install);
    let out = install.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("from the cache"));
    let mut run = Command::new(repo().join(&steps[1]));
    env(&mut run);
    let out = run.output().unwrap();
    ActionRun {
        out,
        outputs: std::fs::read_to_string(&output).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

#[test]
fn the_build_then_lint_snippet_uses_declared_inputs() {
    let inputs = workflow_inputs(&snippet("github-action-image"));
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    for name in inputs.keys() {
        assert!(
            action.contains(&format!("\n  {name}:")),
            "action.yml has no input {name}"
        );
    }
    assert!(inputs["target"].starts_with("app:"), "{inputs:?}");
}

#[test]
fn the_action_annotates_writes_sarif_and_sets_outputs() {
    let inputs = workflow_inputs(&snippet("github-action"));
    assert!(inputs.contains_key("target") && inputs.contains_key("sarif-file"));
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("Dockerfile"), BAD).unwrap();
    std::fs::create_dir_all(ws.path().join("services/api")).unwrap();
    std::fs::write(ws.path().join("services/api/Containerfile"), GOOD).unwrap();
    let r = run_action(ws.path(), &inputs);
    let stdout = String::from_utf8_lossy(&r.out.stdout);
    assert_eq!(
        r.out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&r.out.stderr)
    );
    assert!(
        stdout.contains("::error file=Dockerfile,line=2,col=5,"),
        "annotation: {stdout}"
    );
    assert!(
        stdout.contains("title=IL101 shell-stays-pid1::"),
        "{stdout}"
    );
    assert!(r.outputs.contains("findings=1\n"), "{}", r.outputs);
    assert!(r.outputs.contains("exit-code=1\n"), "{}", r.outputs);
    assert!(r.summary.contains("| error | [IL101]"), "{}", r.summary);
    assert!(r.summary.contains("SIGTERM **ignored**"), "{}", r.summary);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join(&inputs["sarif-file"])).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "IL101");

    // Fixed: the step passes, the outputs say so.
    std::fs::write(ws.path().join("Dockerfile"), GOOD).unwrap();
    let r = run_action(ws.path(), &inputs);
    assert_eq!(r.out.status.code(), Some(0));
    assert!(r.outputs.contains("findings=0\n"), "{}", r.outputs);
    assert!(r.outputs.contains("exit-code=0\n"), "{}", r.outputs);
    assert!(r.summary.contains("No findings."), "{}", r.summary);
}

/// A git identity for commits in a temp repository (CI has none configured).
fn with_identity(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
}

fn git(dir: &Path, args: &[&str]) -> Output {
    // `git commit` runs the installed hook: it gets the same homes as pre-commit itself.
    isolated(with_identity(
        Command::new("git").args(args).current_dir(dir),
    ))
    .output()
    .unwrap()
}

fn pre_commit(dir: &Path, args: &[&str]) -> Output {
    isolated(with_identity(
        Command::new("pre-commit").args(args).current_dir(dir),
    ))
    .output()
    .unwrap()
}

/// pre-commit's home and the hook's cargo build stay under target/ (shared between runs, so
/// the hook's release build is done once), never in ~/.cache or ~/.cargo.
fn isolated(cmd: &mut Command) -> &mut Command {
    let target = repo().join("target");
    cmd.env("PRE_COMMIT_HOME", target.join("pre-commit-home"))
        .env("CARGO_TARGET_DIR", target.join("pre-commit-build"))
        // The hooks and the Action judge Dockerfiles on what they show: no engine or registry
        // is asked for their base images here.
        .env("INITLINT_NO_BASE", "1")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether pre-commit runs here (`./x test` installs it); a failure unless skipped.
fn pre_commit_available() -> bool {
    let available = Command::new("pre-commit")
        .arg("--version")
        .output()
        .map(drop)
        .map_err(|e| {
            format!("pre-commit cannot be run ({e}): `./x test` installs it into target/tools/venv")
        });
    require("pre-commit", available)
}

#[test]
fn pre_commit_hooks_fail_a_bad_commit_and_pass_a_good_one() {
    if !pre_commit_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    assert!(git(ws, &["init", "-q"]).status.success());
    std::fs::write(ws.join("Dockerfile"), BAD).unwrap();
    std::fs::write(ws.join("Containerfile"), GOOD).unwrap();
    git(ws, &["add", "."]);
    let repo_path = repo().display().to_string();
    // try-repo: the hook from this checkout, as it is now.
    let out = pre_commit(ws, &["try-repo", &repo_path, "initlint", "--all-files"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("IL101"), "{}", text(&out));
    // (Each try-repo of a changed checkout is a new hook environment, a new build: once.)
    std::fs::write(ws.join("Dockerfile"), GOOD).unwrap();
    std::fs::write(ws.join("Containerfile"), BAD).unwrap();

    // A commit, with the README's config pointing at this repository's HEAD.
    let head = String::from_utf8_lossy(&git(&repo(), &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_string();
    let config = snippet("pre-commit")
        .replace("https://github.com/initlint/initlint", &repo_path)
        .replace("rev: v0.1.0", &format!("rev: {head}"));
    std::fs::write(ws.join(".pre-commit-config.yaml"), config).unwrap();
    let out = pre_commit(ws, &["install"]);
    assert!(out.status.success(), "{}", text(&out));
    git(ws, &["add", "."]);
    let out = git(
        ws,
        &["commit", "-q", "-m", "shell-form CMD in the Containerfile"],
    );
    assert!(
        !out.status.success(),
        "the bad commit went through: {}",
        text(&out)
    );
    // The Containerfile is the bad one: Containerfiles are linted too.
    assert!(
        text(&out).contains("Containerfile:2:5: IL101") || text(&out).contains("IL101"),
        "{}",
        text(&out)
    );
    std::fs::write(ws.join("Containerfile"), GOOD).unwrap();
    git(ws, &["add", "."]);
    let out = git(ws, &["commit", "-q", "-m", "exec form"]);
    assert!(
        out.status.success(),
        "the good commit failed: {}",
        text(&out)
    );
    script_only_change_is_refused(ws, |ws, msg| git(ws, &["commit", "-q", "-m", msg]));
}

/// A service whose Dockerfile has a BuildKit-style name (`Dockerfile-dev`, not matched by
/// identify's `dockerfile` tag) and copies an entrypoint script: committing it passes; then a
/// commit that only drops `exec` from the script is refused (IL201), naming the Dockerfile.
fn script_only_change_is_refused(ws: &Path, commit: impl Fn(&Path, &str) -> Output) {
    use std::os::unix::fs::PermissionsExt;
    let svc = ws.join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::write(svc.join("Dockerfile-dev"), SCRIPTED).unwrap();
    let script = svc.join("entrypoint.sh");
    std::fs::write(&script, "#!/bin/sh\necho starting\nexec \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    git(ws, &["add", "."]);
    let out = commit(ws, "a service with an entrypoint script");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(&script, "#!/bin/sh\necho starting\n\"$@\"\n").unwrap();
    git(ws, &["add", "svc/entrypoint.sh"]);
    let out = commit(ws, "drop exec");
    assert!(
        !out.status.success(),
        "a script-only change that breaks the stop went through: {}",
        text(&out)
    );
    assert!(text(&out).contains("IL201"), "{}", text(&out));
    assert!(
        text(&out).contains("is copied by svc/Dockerfile-dev"),
        "{}",
        text(&out)
    );
    git(ws, &["checkout", "svc/entrypoint.sh"]);
}

#[test]
fn the_system_hook_runs_the_installed_binary_on_scripts_too() {
    if !pre_commit_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    assert!(git(ws, &["init", "-q"]).status.success());
    std::fs::write(ws.join("Dockerfile"), GOOD).unwrap();
    git(ws, &["add", "."]);
    assert!(git(ws, &["commit", "-q", "-m", "init"]).status.success());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_initlint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let repo_path = repo().display().to_string();
    // try-repo with the hook from this checkout, as it is now, on the staged files.
    let run = |ws: &Path, _msg: &str| {
        let mut cmd = Command::new("pre-commit");
        cmd.args(["try-repo", &repo_path, "initlint-system"])
            .current_dir(ws)
            .env("PATH", &path);
        isolated(with_identity(&mut cmd)).output().unwrap()
    };
    let commit_if_clean = |ws: &Path, msg: &str| {
        let out = run(ws, msg);
        if out.status.success() {
            assert!(git(ws, &["commit", "-q", "-m", msg]).status.success());
        }
        out
    };
    script_only_change_is_refused(ws, commit_if_clean);
}

#[test]
fn readme_config_snippet_is_a_valid_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".initlint.toml");
    std::fs::write(&path, snippet("config")).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), BAD).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--format", "json", "Dockerfile"])
        .current_dir(dir.path())
        .env("INITLINT_NO_BASE", "1")
        .env_remove("INITLINT_FAILURE_THRESHOLD")
        .output()
        .unwrap();
    // IL101 is an error and the snippet's threshold is error: exit 1, and the config parsed.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// Serve the files under `dir` over HTTP on 127.0.0.1 (a release download host), counting
/// the requests; 404 for anything else.
fn serve(dir: PathBuf) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut conn = conn;
            let mut line = String::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = dir.join(path.trim_start_matches('/'));
            let reply = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = conn.write_all(&reply);
        }
    });
    (base, hits)
}

fn version() -> String {
    let toml = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string()
}

/// install.sh as the action runs it from `ref`, with releases served from `base`.
fn install(root: &Path, base: &str, action_ref: &str) -> Output {
    let mut cmd = Command::new(repo().join("action/install.sh"));
    cmd.env("GITHUB_ACTION_PATH", repo())
        .env("INITLINT_ROOT", root)
        .env("INITLINT_RELEASE_BASE", base)
        .env("INITLINT_ACTION_REF", action_ref)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64");
    cmd.output().unwrap()
}

#[test]
fn the_action_downloads_the_release_binary_and_checks_it() {
    if let Err(why) = tool("curl", "curl") {
        panic!("{why}; `./x test` installs it");
    }
    let v = version();
    let target = "x86_64-unknown-linux-musl";
    let name = format!("initlint-{v}-{target}");
    // A real release archive, made by the release workflow's own packaging script.
    let site = tempfile::tempdir().unwrap();
    let dir = site.path().join(format!("v{v}"));
    let made = Command::new(repo().join("dist/package.sh"))
        .args([target, env!("CARGO_BIN_EXE_initlint")])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let (base, hits) = serve(site.path().to_path_buf());

    let root = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = install(root.path(), &base, &format!("v{v}"));
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("release binary {name}")),
        "{}",
        text(&out)
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    let installed = Command::new(root.path().join("bin/initlint"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout).trim(),
        format!("initlint {v}")
    );
    eprintln!("download path: installed in {took:?}");
    // Installed once, it is the cache's: no second download.
    let out = install(root.path(), &base, &format!("v{v}"));
    assert!(text(&out).contains("from the cache"), "{}", text(&out));
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

    // An archive that does not match its checksum is refused, and nothing falls back.
    let archive = dir.join(format!("{name}.tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let out = install(fresh.path(), &base, &format!("v{v}"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("SHA-256"), "{}", text(&out));
    assert!(!fresh.path().join("bin/initlint").exists());
}

#[test]
fn the_action_builds_from_source_without_a_release() {
    // No release is served (404) for this version: the action builds its own source. The
    // build shares pre-commit's target dir with the pre-commit test, so it is done once.
    let empty = tempfile::tempdir().unwrap();
    let (base, hits) = serve(empty.path().to_path_buf());
    let root = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let mut cmd = Command::new(repo().join("action/install.sh"));
    cmd.env("GITHUB_ACTION_PATH", repo())
        .env("INITLINT_ROOT", root.path())
        .env("INITLINT_RELEASE_BASE", &base)
        .env("INITLINT_ACTION_REF", format!("v{}", version()))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64");
    let out = isolated(&mut cmd).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("falling back to a build"),
        "{}",
        text(&out)
    );
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert!(root.path().join("bin/initlint").exists());
    eprintln!("fallback build: {:?}", started.elapsed());
    // A branch or a local checkout is never a release: no download is tried.
    let out = install(root.path(), "http://127.0.0.1:9", "main");
    assert!(text(&out).contains("from the cache"), "{}", text(&out));
}

#[test]
fn the_cache_key_follows_version_ref_and_source() {
    let key = |src: &Path, r: &str| {
        let out = Command::new(repo().join("action/key.sh"))
            .env("GITHUB_ACTION_PATH", src)
            .env("INITLINT_ACTION_REF", r)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env_remove("GITHUB_OUTPUT")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let copy = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(repo().join(f), copy.path().join(f)).unwrap();
    }
    std::fs::create_dir_all(copy.path().join("src")).unwrap();
    std::fs::write(copy.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    let a = key(copy.path(), "v1");
    assert!(
        a.starts_with(&format!("key=initlint-Linux-X64-{}-v1-", version())),
        "{a}"
    );
    assert_eq!(a, key(copy.path(), "v1"), "stable");
    assert_ne!(a, key(copy.path(), "v2"), "the ref");
    std::fs::write(copy.path().join("src/main.rs"), "fn main() { }\n").unwrap();
    assert_ne!(a, key(copy.path(), "v1"), "the source");
}

#[test]
fn the_docker_hook_runs_the_release_image_of_this_version() {
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(
        hooks.contains(&format!("entry: ghcr.io/initlint/initlint:v{}", version())),
        "the initlint-docker hook must name this version's image"
    );
    let release = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    assert!(
        release.contains("ghcr.io/${{ github.repository_owner }}/initlint:${{ github.ref_name }}")
    );
}
