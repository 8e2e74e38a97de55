//! The real binary: one integration test per rule, exit codes, formats, bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut c = Command::cargo_bin("initlint").unwrap();
    c.env_remove("INITLINT_FAILURE_THRESHOLD")
        .env("NO_COLOR", "1")
        // Judged on what the Dockerfile shows: no engine or registry is asked for its base.
        .env("INITLINT_NO_BASE", "1");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles")
}

/// The codes of every report (a manifest gives one per container, as a JSON array).
fn codes_in(json: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let reports = match v.as_array() {
        Some(list) => list.clone(),
        None => vec![v],
    };
    reports
        .iter()
        .flat_map(|r| {
            assert_eq!(r["version"], 1);
            r["findings"].as_array().unwrap().clone()
        })
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A rule's page Example, written as a Dockerfile in a fresh directory (for a rule whose
/// cases live in its own file, with no fixture folder).
fn page_example(code: initlint::rules::Code) -> (tempfile::TempDir, PathBuf) {
    let doc = initlint::rules::meta(code).doc;
    let start = doc.find("## Example").unwrap();
    let block = &doc[start..];
    let dir = tempfile::tempdir().unwrap();
    // A Compose example builds `.`: a Debian-based Dockerfile with `ENTRYPOINT ["tini", "--"]`.
    if let Some(at) = block.find("```yaml\n") {
        let open = at + "```yaml\n".len();
        let close = block[open..].find("```").unwrap();
        std::fs::write(dir.path().join("compose.yaml"), &block[open..open + close]).unwrap();
        std::fs::write(
            dir.path().join("Dockerfile"),
            "FROM debian:bookworm\nENTRYPOINT [\"tini\", \"--\"]\n",
        )
        .unwrap();
        let path = dir.path().join("compose.yaml");
        return (dir, path);
    }
    let open = block.find("```dockerfile\n").unwrap() + "```dockerfile\n".len();
    let close = block[open..].find("```").unwrap();
    std::fs::write(dir.path().join("Dockerfile"), &block[open..open + close]).unwrap();
    let path = dir.path().to_path_buf();
    (dir, path)
}

/// For every rule: the first fixture named for it (or, without one, its page's Example)
/// triggers it through the binary, with the exit code its severity implies; its `-ok` twin
/// (if any) does not trigger it.
#[test]
fn every_rule_through_the_binary() {
    for code in initlint::rules::Code::ALL {
        // Rules that need a built image are run through the binary in tests/image.rs; a
        // Kubernetes example needs its image paired (tests/rule_docs.rs, tests/manifests.rs).
        let doc = initlint::rules::meta(*code).doc;
        if doc.contains("```image") || doc.contains("apiVersion:") {
            continue;
        }
        let prefix = code.as_str().to_ascii_lowercase();
        let mut cases: Vec<_> = std::fs::read_dir(fixtures())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .collect();
        cases.sort();
        let mut _example = None;
        let bad = match cases.iter().find(|p| !p.to_string_lossy().ends_with("-ok")) {
            Some(p) => p.clone(),
            None => {
                let (dir, path) = page_example(*code);
                _example = Some(dir);
                path
            }
        };
        let out = bin()
            .args(["--format", "json", "--failure-threshold", "info"])
            .arg(&bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{code} on {}", bad.display());
        assert!(
            codes_in(&out.stdout).contains(&code.to_string()),
            "{code} not reported for {}",
            bad.display()
        );
        for ok in cases
            .iter()
            .filter(|p| p.to_string_lossy().ends_with("-ok"))
        {
            let out = bin().args(["--format", "json"]).arg(ok).output().unwrap();
            assert!(
                !codes_in(&out.stdout).contains(&code.to_string()),
                "{code} reported for {}",
                ok.display()
            );
        }
    }
}

/// `docker run` overrides: each flag is a layer over the Dockerfile, and JSON says where every
/// setting came from. `--entrypoint` alone drops the CMD, as the runtime does.
#[test]
fn run_time_flags_override_the_dockerfile_with_provenance() {
    let dir = fixtures().join("il302-node-no-handler");
    let out = bin()
        .args(["--format", "json", "--no-fail", "--stop-signal", "SIGINT"])
        .args(["--cmd", r#"["node", "-e", "process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000)"]"#])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["settings"];
    assert_eq!(s["cmd"]["from"]["kind"], "flag", "{s}");
    assert_eq!(s["cmd"]["from"]["key"], "--cmd");
    assert_eq!(s["cmd"]["from"]["path"], "<command line>");
    assert_eq!(s["stop_signal"]["value"], "SIGINT");
    assert_eq!(s["stop_signal"]["from"]["line"], 2);
    assert_eq!(s["workdir"]["from"]["kind"], "dockerfile");
    assert_eq!(v["verdict"]["signal"], "SIGINT");
    assert!(
        v["launch_chain"][0]["argv"][0] == "node",
        "{}",
        v["launch_chain"]
    );

    // --entrypoint without --cmd: the Dockerfile's CMD is gone.
    let out = bin()
        .args(["--format", "json", "--no-fail", "--entrypoint", "/bin/true"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settings"]["entrypoint"]["from"]["key"], "--entrypoint");
    assert!(v["settings"]["cmd"].is_null(), "{}", v["settings"]);
    assert_eq!(
        v["launch_chain"][0]["argv"],
        serde_json::json!(["/bin/true"])
    );
}

/// A file of a repository too large to search whole: the walk's limit is said and the run
/// exits 2, not "no Dockerfile copies it".
#[test]
fn a_repository_walk_that_hits_its_limit_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("run.sh"), "#!/bin/sh\nexec app\n").unwrap();
    let junk = dir.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    for i in 0..=initlint::dockerfile::repo::MAX_ENTRIES {
        std::fs::File::create(junk.join(i.to_string())).unwrap();
    }
    let out = bin().arg(dir.path().join("run.sh")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("stopped after 200000 entries"), "{err}");
    assert!(!err.contains("no Dockerfile"), "{err}");
}

/// An error message that quotes input (a path with a line break and a workflow command) keeps
/// it on its own line, escaped.
#[test]
fn error_messages_escape_what_they_quote() {
    let out = bin()
        .arg("/nonexistent/a\n::error title=x::injected\u{1b}[31m/Dockerfile")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.lines().any(|l| l.starts_with("::")), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.contains("\\n::error"), "{err}");
}

/// A FIFO named as a target, a config or an image config is refused at once (opening one
/// would block forever); so is an oversized config.
#[test]
fn fifos_and_huge_files_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.display().to_string();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python-app");
    let example = example.display().to_string();
    for args in [
        vec![fifo.clone()],
        vec!["--config".into(), fifo.clone(), example.clone()],
        vec![
            "--image-config".into(),
            fifo.clone(),
            format!("dir:{}", dir.path().display()),
        ],
    ] {
        bin()
            .args(&args)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a regular file"));
    }
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        vec![b'#'; (initlint::config::MAX_CONFIG + 1) as usize],
    )
    .unwrap();
    bin()
        .args(["--config", &big.display().to_string(), &example])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than 1 MiB"));
}

/// verify refuses what it cannot do before it touches an engine, and never panics: a settle
/// time too large for a duration, an image that is not in an engine, another engine's name.
#[test]
fn verify_says_what_it_cannot_do() {
    for (args, says) in [
        (
            vec!["verify", "--settle", "1e300", "img"],
            "not a number of seconds",
        ),
        (
            vec!["verify", "--settle=-1", "img"],
            "not a number of seconds",
        ),
        (
            vec!["verify", "docker-archive:app.tar"],
            "load or pull the image",
        ),
        (
            vec!["verify", "--engine", "podman", "docker-daemon:app"],
            "another engine",
        ),
    ] {
        bin()
            .args(&args)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// The flag values are JSON arrays or one word; a bad array is a usage error, never a panic
/// (clap's derive used to panic on `Option<Vec<String>>` with a whole-vector parser).
#[test]
fn argv_flags_parse_or_say_why() {
    bin()
        .args(["--entrypoint", "[\"a\",", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a JSON array of strings"));
    bin()
        .args(["verify", "--entrypoint", "[1]", "img"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a JSON array of strings"));
}

#[test]
fn clean_dockerfile_exits_zero_and_human_output_shows_the_chain() {
    bin()
        .arg(fixtures().join("il101-exec-ok"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PID 1 launch chain"))
        .stdout(predicate::str::contains("0 error(s), 0 warning(s)"));
}

#[test]
fn failure_threshold_decides_exit_code() {
    let warn_only = fixtures().join("il104-alpine-simple");
    bin().arg(&warn_only).assert().code(1);
    bin()
        .args(["--failure-threshold", "error"])
        .arg(&warn_only)
        .assert()
        .code(0);
    let info_only = fixtures().join("il106-inherited");
    bin().arg(&info_only).assert().code(0);
    bin()
        .args(["--failure-threshold", "info"])
        .arg(&info_only)
        .assert()
        .code(1);
}

#[test]
fn human_output_has_snippet_why_and_fix_without_colour() {
    let out = bin()
        .arg(fixtures().join("il101-debian-shell-form"))
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("IL101"));
    assert!(
        s.contains("CMD python /app/app.py"),
        "snippet missing:\n{s}"
    );
    assert!(s.contains("why:") && s.contains("fix:"));
    assert!(!s.contains('\u{1b}'), "NO_COLOR must disable ANSI colours");
    let forced = bin()
        .args(["--color", "always"])
        .arg(fixtures().join("il101-debian-shell-form"))
        .output()
        .unwrap();
    assert!(String::from_utf8(forced.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn ignore_removes_a_rule_and_rejects_unknown_codes() {
    let case = fixtures().join("il104-alpine-simple");
    bin()
        .args(["--ignore", "IL104"])
        .arg(&case)
        .assert()
        .code(0);
    bin()
        .args(["--ignore", "IL999"])
        .arg(&case)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule code"));
}

#[test]
fn stdin_with_context() {
    let dir = fixtures().join("il201-no-exec");
    let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let out = bin()
        .args(["--format", "json", "--context"])
        .arg(&dir)
        .arg("-")
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes_in(&out.stdout), vec!["IL201"]);
}

/// A monorepo's Dockerfile copies paths from the repository root (`docker build -f
/// services/api/Dockerfile .`): without --context, the nearest parent holding them is the
/// context. A source that is nowhere makes the verdict unknown (the build would fail), not a
/// container that "cannot start".
#[test]
fn a_monorepo_dockerfile_finds_its_context_upward() {
    let repo = tempfile::tempdir().unwrap();
    let svc = repo.path().join("services/api");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let script = fixtures().join("il201-no-exec/entrypoint.sh");
    std::fs::copy(&script, svc.join("entrypoint.sh")).unwrap();
    let df = svc.join("Dockerfile");
    std::fs::write(
        &df,
        "FROM debian:bookworm\nCOPY services/api/entrypoint.sh /usr/local/bin/\nENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]\nCMD [\"/srv/app\"]\n",
    )
    .unwrap();
    let out = bin().args(["--format", "json"]).arg(&df).output().unwrap();
    assert_eq!(
        codes_in(&out.stdout),
        vec!["IL201"],
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // --context wins over the guess.
    let out = bin()
        .args(["--format", "json", "--context"])
        .arg(&svc)
        .arg(&df)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["stop_signal"], "unknown");
    let why = v["verdict"]["reasons"][0]["text"].as_str().unwrap();
    assert!(
        why.contains("is not in the build context") && why.contains("--context"),
        "{why}"
    );
    assert_eq!(codes_in(&out.stdout), vec!["IL306"]);
    // Only a build stage copies from the context: its sources still say where the context is
    // (a .NET 10 console app with no handler: IL301, from its sources up there).
    let dotnet = fixtures().join("il301-dotnet-console-build-stage");
    for f in ["Program.cs", "worker.csproj"] {
        std::fs::copy(dotnet.join(f), svc.join(f)).unwrap();
    }
    std::fs::write(
        &df,
        "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nWORKDIR /src\nCOPY services/api/ ./\nRUN dotnet publish -o /out\nFROM mcr.microsoft.com/dotnet/runtime:10.0\nCOPY --from=build /out /app\nENTRYPOINT [\"/app/worker\"]\n",
    )
    .unwrap();
    let out = bin().args(["--format", "json"]).arg(&df).output().unwrap();
    assert_eq!(
        codes_in(&out.stdout),
        vec!["IL301"],
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn build_arg_and_target_stage() {
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    std::fs::write(&df, "ARG BASE=debian:bookworm\nFROM $BASE AS app\nCMD /srv/app\nFROM app AS debug\nCMD [\"/srv/app\", \"--debug\"]\n").unwrap();
    // Last stage is exec form: clean.
    bin().arg(&df).assert().code(0);
    // Stage `app` on Debian: dash stays PID 1.
    let out = bin()
        .args(["--format", "json", "--target", "app"])
        .arg(&df)
        .output()
        .unwrap();
    assert_eq!(codes_in(&out.stdout), vec!["IL101"]);
    // The same stage on Alpine: busybox execs, so only the by-luck warning.
    let out = bin()
        .args([
            "--format",
            "json",
            "--target",
            "app",
            "--build-arg",
            "BASE=alpine:3.20",
        ])
        .arg(&df)
        .output()
        .unwrap();
    // (The server binary comes from the base image: its handlers are unknown.)
    assert_eq!(codes_in(&out.stdout), vec!["IL104", "IL306"]);
    bin()
        .args(["--target", "nope"])
        .arg(&df)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stages are: app, debug"));
    bin()
        .args(["--build-arg", "NOEQUALS"])
        .arg(&df)
        .assert()
        .code(2);
}

#[test]
fn bad_input_is_exit_2_with_a_clear_message_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing/Dockerfile"), "no such file"),
        (write("empty.Dockerfile", b""), "empty"),
        (write("blank.Dockerfile", b"\n  \n"), "empty"),
        (
            write(
                "garbage.Dockerfile",
                &[0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0, 1, 2],
            ),
            "not a text file",
        ),
        (
            write("heredoc.Dockerfile", b"FROM debian\nRUN <<EOF\necho hi\n"),
            "heredoc.Dockerfile:",
        ),
        (write("nofrom.Dockerfile", b"RUN echo hi\n"), "FROM"),
        (
            write("unknown.Dockerfile", b"FROM debian\nFROBNICATE x\n"),
            "unknown.Dockerfile:2",
        ),
    ];
    for (path, needle) in cases {
        let out = bin().arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
        assert!(
            err.contains(needle),
            "{}: expected {needle:?} in {err}",
            path.display()
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // A misspelt Dockerfile is not pulled from Docker Hub.
    bin()
        .arg("Dockerfle")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file"));
    // Nothing listens on port 1: a clear error, no hang, no panic.
    bin()
        .arg("127.0.0.1:1/app:1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot pull the manifest"));
    bin()
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("several Dockerfiles"));
}

#[test]
fn one_bad_target_does_not_hide_the_others() {
    let out = bin()
        .args(["--format", "json"])
        .arg(fixtures().join("il104-alpine-simple"))
        .arg("/nonexistent/Dockerfile")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(codes_in(&out.stdout), vec!["IL104", "IL306"]);
}

#[test]
fn list_rules_names_every_code() {
    let out = bin().arg("rules").output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    for c in initlint::rules::Code::ALL {
        assert!(s.contains(c.as_str()));
    }
    // The old spelling, hidden from --help, prints the same.
    let old = bin().arg("--list-rules").output().unwrap();
    assert_eq!(String::from_utf8(old.stdout).unwrap(), s);
    let help = bin().arg("--help").output().unwrap();
    assert!(!String::from_utf8(help.stdout)
        .unwrap()
        .contains("--list-rules"));
}

/// The bundled example shows every link of its chain that loses SIGTERM in one run, in chain
/// order, and each one behind another says which; --no-fail keeps the exit code 0.
#[test]
fn the_example_reports_the_whole_chain_at_once() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python-app");
    let out = bin()
        .args(["--format", "json"])
        .arg(&example)
        .assert()
        .code(1);
    let stdout = &out.get_output().stdout;
    assert_eq!(codes_in(stdout), ["IL201", "IL101", "IL302"]);
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(!messages[0].contains("after"), "{}", messages[0]);
    assert!(
        messages[1].contains("after IL201 is fixed"),
        "{}",
        messages[1]
    );
    assert!(
        messages[2].contains("after IL101 is fixed"),
        "{}",
        messages[2]
    );
    // The verdict is about today's PID 1, the script.
    assert_eq!(v["verdict"]["pid1"], "./entrypoint.sh");
    bin().arg("--no-fail").arg(&example).assert().code(0);
}

/// A FIFO in the build context named by COPY is never opened (it would block forever).
#[test]
fn a_fifo_in_the_build_context_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n",
    )
    .unwrap();
    let fifo = dir.path().join("start.sh");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = bin()
        .args(["--format", "json"])
        .arg(dir.path().join("Dockerfile"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(predicate::in_iter([0, 1]));
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        v["launch_chain"][0]["note"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{v:#}"
    );
}

/// A Dockerfile or a discovered .initlint.toml that is a symlink out of the repository is not
/// read, and nothing of what it points to is printed; a link inside the repository is fine.
#[test]
fn symlinks_out_of_the_repository_are_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials");
    std::fs::write(&secret, "SECRET-TOKEN = hunter2\n").unwrap();
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    std::fs::create_dir(r.join(".git")).unwrap();
    std::fs::create_dir(r.join("app")).unwrap();
    std::os::unix::fs::symlink(&secret, r.join("app/Dockerfile")).unwrap();
    let out = bin().arg(r.join("app/Dockerfile")).assert().code(2);
    let text = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(text.contains("symbolic link"), "{text}");
    assert!(
        !text.contains("SECRET") && !text.contains("hunter2"),
        "{text}"
    );

    // A link inside the repository is read; a config linked out of it is refused.
    std::fs::create_dir(r.join("docker")).unwrap();
    std::fs::write(
        r.join("docker/Dockerfile"),
        "FROM debian:bookworm\nCMD [\"/usr/local/bin/server\"]\n",
    )
    .unwrap();
    std::fs::remove_file(r.join("app/Dockerfile")).unwrap();
    std::os::unix::fs::symlink("../docker/Dockerfile", r.join("app/Dockerfile")).unwrap();
    bin().arg(r.join("app/Dockerfile")).assert().code(0);
    std::os::unix::fs::symlink(&secret, r.join(".initlint.toml")).unwrap();
    let out = bin().arg(r.join("app/Dockerfile")).assert().code(2);
    let text = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(text.contains("symbolic link"), "{text}");
    assert!(
        !text.contains("SECRET") && !text.contains("hunter2"),
        "{text}"
    );
}

/// A report that cannot be written is an error (exit 2), not a pass.
#[test]
fn a_full_stdout_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python-app");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_initlint"))
        .args(["--no-fail", "--no-base", "--color", "never"])
        .arg(&example)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the report"));
}

/// Nesting tens of thousands deep (`a && a && …`, `( ( … ) )`, `$( $( … ) )`, `{ { … } }`)
/// is a clear "not analysed" with its position, never a stack overflow.
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let n = 30_000;
    let cases = [
        vec!["a"; n].join(" && "),
        format!("{}a{}", "( ".repeat(n), " )".repeat(n)),
        format!("echo {}a{}", "$(".repeat(n), ")".repeat(n)),
        format!("{}a{}", "{ ".repeat(n), "; }".repeat(n)),
    ];
    for cmd in cases {
        let dir = tempfile::tempdir().unwrap();
        let df = dir.path().join("Dockerfile");
        std::fs::write(&df, format!("FROM debian:bookworm\nCMD {cmd}\n")).unwrap();
        let out = bin().args(["--format", "json"]).arg(&df).assert().code(0);
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let reason = &v["verdict"]["reasons"][0];
        assert_eq!(v["verdict"]["stop_signal"], "unknown");
        assert!(
            reason["text"].as_str().unwrap().contains("nests more than"),
            "{reason}"
        );
        assert_eq!(reason["evidence"]["line"], 2, "{reason}");
    }
}

/// A script over the size cap is not cut and judged by its first part: it is "not analysed".
#[test]
fn an_oversized_script_is_not_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\n{}exec /usr/local/bin/server\n",
        "# padding\n".repeat(500_000)
    );
    std::fs::write(dir.path().join("entrypoint.sh"), script).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\nCOPY --chmod=755 entrypoint.sh /\nENTRYPOINT [\"/entrypoint.sh\"]\n",
    )
    .unwrap();
    let out = bin()
        .args(["--format", "json"])
        .arg(dir.path().join("Dockerfile"))
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["verdict"]["stop_signal"], "unknown");
    let text = v["verdict"]["reasons"][0]["text"].as_str().unwrap();
    assert!(text.contains("more than the 4 MiB"), "{text}");
}

/// ENV lines that double a variable, and `${` nested tens of thousands deep, stop at a limit
/// with the instruction's position: bounded memory, no stack overflow.
#[test]
fn substitution_limits_are_errors_with_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let mut doubling = String::from("FROM debian:bookworm\nENV A=xxxxxxxxxxxxxxxx\n");
    for _ in 0..40 {
        doubling.push_str("ENV A=$A$A\n");
    }
    doubling.push_str("CMD [\"/x\"]\n");
    let n = 30_000;
    let nested = format!(
        "FROM debian:bookworm\nENV X={}Y{}\nCMD [\"/x\"]\n",
        "${A:-".repeat(n),
        "}".repeat(n)
    );
    for (text, needle, line) in [
        (doubling, "grows past 1 MiB", 19),
        (nested, "nests more than 64 levels", 2),
    ] {
        let df = dir.path().join("Dockerfile");
        std::fs::write(&df, text).unwrap();
        let out = bin().arg(&df).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(needle), "{err}");
        assert!(err.contains(&format!("Dockerfile:{line}:1:")), "{err}");
    }
}

/// Input that would cost unbounded time or memory stops at a documented limit with a clear
/// message: too many stages, a huge Dockerfile, a shell string tree-sitter parses slowly.
#[test]
fn size_and_time_limits_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    let mut stages = String::from("FROM debian:bookworm AS s0\n");
    for i in 1..300 {
        stages.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
    }
    stages.push_str("CMD [\"/x\"]\n");
    std::fs::write(&df, stages).unwrap();
    let out = bin().arg(&df).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("Dockerfile:257:1: more than 256 stages"),
        "{err}"
    );

    std::fs::write(
        &df,
        format!(
            "FROM debian:bookworm\nCMD echo {}\n",
            "a ".repeat(2_500_000)
        ),
    )
    .unwrap();
    let out = bin().arg(&df).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("larger than 4 MiB"), "{err}");

    // 32 KB of `${` keeps tree-sitter's error recovery busy: the parse is cut at its deadline.
    std::fs::write(
        &df,
        format!("FROM debian:bookworm\nCMD echo {}\n", "${".repeat(32_000)),
    )
    .unwrap();
    let out = bin().args(["--format", "json"]).arg(&df).assert().code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let text = v["verdict"]["reasons"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("did not parse within") || text.contains("nests more than"),
        "{text}"
    );
}

/// `[severity] IL900 = "error"` applies to the unused-suppression finding, which is made
/// after the rules run.
#[test]
fn a_severity_override_applies_to_il900_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\n# initlint ignore=IL101\nCMD [\"/app\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".initlint.toml"),
        "failure-threshold = \"error\"\n[severity]\nIL900 = \"error\"\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["--format", "json", "Dockerfile"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["code"], "IL900", "{v:#}");
    assert_eq!(f["severity"], "error", "{v:#}");
    assert_eq!(out.status.code(), Some(1), "{v:#}");
}

/// Several targets give one JSON document: an array of the per-target objects.
#[test]
fn json_for_several_targets_is_one_document() {
    let a = fixtures().join("il201-no-exec");
    let b = fixtures().join("il101-bash-redirect");
    let out = bin()
        .args(["--format", "json"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = v.as_array().expect("an array");
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|t| t["version"] == 1));
}

/// Compose and Kubernetes files through the binary: a report per container, settings that
/// point at their YAML line, and bad files refused with their place (exit 2), never a panic.
#[test]
fn manifests_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\nCMD [\"/app/server\"]\n",
    )
    .unwrap();
    let compose = dir.path().join("compose.yaml");
    std::fs::write(
        &compose,
        "services:\n  web:\n    build: .\n    command: [\"sh\", \"-c\", \"/app/server\"]\n  worker:\n    build: .\n    init: true\n",
    )
    .unwrap();
    let out = bin()
        .args(["--format", "json", "--no-base"])
        .arg(&compose)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = v.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let web = &reports[0];
    assert!(web["target"]["path"]
        .as_str()
        .unwrap()
        .ends_with("compose.yaml service web"));
    assert_eq!(web["settings"]["cmd"]["from"]["kind"], "compose");
    assert_eq!(web["settings"]["cmd"]["from"]["line"], 4);
    let il101 = web["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IL101")
        .expect("sh -c on dash stays PID 1");
    assert!(il101["path"].as_str().unwrap().ends_with("compose.yaml"));
    assert_eq!(il101["line"], 4);
    let worker = &reports[1];
    assert_eq!(worker["settings"]["init"]["from"]["key"], "init");
    assert_eq!(worker["verdict"]["pid1"], "/sbin/docker-init");

    // compose.override.yaml beside compose.yaml is merged, as `docker compose` does; its
    // settings point into it. --compose-file names the files instead.
    std::fs::write(
        dir.path().join("compose.override.yaml"),
        "services:\n  web:\n    init: true\n",
    )
    .unwrap();
    let out = bin()
        .args(["--format", "json", "--no-fail", "--no-base"])
        .arg(&compose)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let web = &v.as_array().unwrap()[0];
    assert!(
        web["target"]["path"].as_str().unwrap().contains("(+ "),
        "{}",
        web["target"]
    );
    assert!(web["settings"]["init"]["from"]["path"]
        .as_str()
        .unwrap()
        .ends_with("compose.override.yaml"));
    assert!(web["settings"]["cmd"]["from"]["path"]
        .as_str()
        .unwrap()
        .ends_with("compose.yaml"));
    let other = dir.path().join("prod.yaml");
    std::fs::write(&other, "services:\n  worker:\n    init: false\n").unwrap();
    let out = bin()
        .args([
            "--format",
            "json",
            "--no-fail",
            "--no-base",
            "--compose-file",
        ])
        .arg(&other)
        .arg(&compose)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = v.as_array().unwrap();
    assert_eq!(reports[0]["settings"]["init"], serde_json::Value::Null);
    assert_eq!(reports[1]["settings"]["init"], serde_json::Value::Null);
    std::fs::remove_file(dir.path().join("compose.override.yaml")).unwrap();

    // A Kubernetes stream on stdin.
    let out = bin()
        .args(["--format", "json", "--no-fail", "--offline", "-"])
        .write_stdin("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: 127.0.0.1:1/none:1\n      command: [\"sh\", \"-c\", \"sleep 5\"]\n")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settings"]["entrypoint"]["from"]["kind"], "kubernetes");
    assert_eq!(v["settings"]["entrypoint"]["from"]["line"], 8);

    // A preStop hook whose program the image (paired with --image-for) lacks: IL404 at it.
    std::fs::write(dir.path().join("server"), "x").unwrap();
    let scratch = dir.path().join("Dockerfile.scratch");
    std::fs::write(&scratch, "FROM scratch\nCOPY server /server\n").unwrap();
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: app:1\n      command: [\"/server\"]\n      lifecycle:\n        preStop:\n          exec:\n            command: [\"/bin/sh\", \"-c\", \"sleep 5\"]\n",
    )
    .unwrap();
    let out = bin()
        .args(["--format", "json", "--no-fail", "--image-for"])
        .arg(format!("app:1={}", scratch.display()))
        .arg(&pod)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let il404 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IL404")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(il404["path"].as_str().unwrap().ends_with("pod.yaml"));
    assert_eq!(il404["line"], 12);

    // Refused with the place: bad YAML, a Compose file with no services, an alias bomb, a
    // YAML file that is neither.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    bomb.push_str("services: {}\n");
    for (name, text, says) in [
        (
            "compose.yaml",
            "services:\n  web: [a\n".to_string(),
            "compose.yaml:3:1: not valid YAML",
        ),
        (
            "docker-compose.yml",
            "version: '3'\n".to_string(),
            "docker-compose.yml:1:1: no `services:`",
        ),
        ("compose.bomb.yaml", bomb, "refused as hostile"),
        (
            "values.yaml",
            "replicas: 2\n".to_string(),
            "neither a Compose file",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = bin().arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
