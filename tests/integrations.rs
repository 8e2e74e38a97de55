//! Where users meet initlint: output formats (SARIF validated against the vendored 2.1.0
//! schema), `.initlint.toml`, inline suppressions, `initlint rules` / `initlint rule`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    repo()
        .join("testdata/dockerfiles")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str], cwd: &Path) -> Output {
    common::initlint_in(args, cwd)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn sarif_is_valid_2_1_0_and_complete() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let targets = [
        fixture("il101-debian-shell-form"),
        fixture("il304-tini-shell-form"),
        fixture("il900-unused-suppression"),
        fixture("il201-no-exec"),
    ];
    let mut args = vec!["--format", "sarif"];
    args.extend(targets.iter().map(String::as_str));
    let out = run(&args, &repo());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    // The validator does catch mistakes: a level SARIF does not have.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), initlint::rules::ALL.len());
    for r in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "helpUri",
        ] {
            assert!(!r[key].is_null(), "rule lacks {key}: {r}");
        }
        let id = r["id"].as_str().unwrap();
        assert!(r["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("rules/{id}.md")));
        assert!(["error", "warning", "note"]
            .contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run0["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for code in ["IL101", "IL304", "IL900", "IL201"] {
        assert!(ids.contains(&code), "{code} missing from {ids:?}");
    }
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        assert!(!r["partialFingerprints"]["initlint/v1"].is_null());
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
    // The IL101 result points at line 3 of its Dockerfile, with a relative path.
    let il101 = results.iter().find(|r| r["ruleId"] == "IL101").unwrap();
    let loc = &il101["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "testdata/dockerfiles/il101-debian-shell-form/Dockerfile"
    );
    assert_eq!(il101["level"], "error");
}

#[test]
fn github_and_compact_lines() {
    let f = fixture("il201-no-exec");
    let out = run(&["--format", "github", &f], &repo());
    let text = stdout(&out);
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("::error file=testdata/dockerfiles/il201-no-exec/entrypoint.sh,line="),
        "{line}"
    );
    assert!(
        line.contains(",title=IL201 script-without-exec::"),
        "{line}"
    );
    assert!(!line[2..].contains('\n'));
    let out = run(&["--format", "compact", &f], &repo());
    let text = stdout(&out);
    let re_ok = text.lines().all(|l| {
        let mut parts = l.splitn(4, ':');
        let path = parts.next().unwrap();
        let line: Result<usize, _> = parts.next().unwrap().parse();
        let col: Result<usize, _> = parts.next().unwrap().parse();
        path.ends_with("entrypoint.sh") && line.is_ok() && col.is_ok()
    });
    assert!(re_ok && text.contains(": error: IL201 "), "{text}");
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

const SHELL_FORM: &str = "FROM debian:bookworm\nCMD /usr/local/bin/server --port 80\n";

fn codes(o: &Output) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn config_is_found_walking_up_and_applies() {
    let dir = project(&[
        (
            ".initlint.toml",
            "failure-threshold = \"error\"\n[severity]\nIL101 = \"warning\"\n[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"IL101\"]\n",
        ),
        ("services/api/Dockerfile", SHELL_FORM),
        ("legacy/old/Dockerfile", SHELL_FORM),
    ]);
    // Severity lowered to warning, threshold raised to error: exit 0.
    let out = run(&["--format", "json", "services/api/Dockerfile"], dir.path());
    assert_eq!(codes(&out), [("IL101".into(), "warning".into())]);
    assert_eq!(out.status.code(), Some(0));
    // From a subdirectory too (walking up from the Dockerfile's directory).
    let out = run(
        &["--format", "json", "Dockerfile"],
        &dir.path().join("services/api"),
    );
    assert_eq!(out.status.code(), Some(0));
    // The per-path override ignores IL101 under legacy/.
    let out = run(&["--format", "json", "legacy/old/Dockerfile"], dir.path());
    assert!(codes(&out).is_empty());
    // The command line wins over the config.
    let out = run(
        &[
            "--format",
            "json",
            "--failure-threshold",
            "warning",
            "services/api/Dockerfile",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    // --isolated: no config at all.
    let out = run(
        &["--isolated", "--format", "json", "services/api/Dockerfile"],
        dir.path(),
    );
    assert_eq!(codes(&out), [("IL101".into(), "error".into())]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_errors_name_the_key_and_position() {
    let dir = project(&[
        (
            ".initlint.toml",
            "ignore = [\"IL104\"]\n\n[severity]\nIL101 = \"warning\"\ntrusted_inits = [\"x\"]\n",
        ),
        ("Dockerfile", SHELL_FORM),
    ]);
    let out = run(&["Dockerfile"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // trusted_inits sits in [severity], where it is no rule code: the error points at it.
    assert!(err.contains(".initlint.toml:5:"), "{err}");
    assert!(
        err.contains("5 | trusted_inits = [\"x\"]") && err.contains("^^^^^ here"),
        "{err}"
    );
    let bad = dir.path().join("other.toml");
    std::fs::write(
        &bad,
        "ignore = [\"IL104\"]\nfailure_threshold = \"error\"\n",
    )
    .unwrap();
    let out = run(
        &["--config", bad.to_str().unwrap(), "Dockerfile"],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("other.toml:2:1"), "{err}");
    assert!(err.contains("failure_threshold"), "{err}");
    let out = run(&["--config", "/nonexistent.toml", "Dockerfile"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn trusted_inits_and_launchers_from_the_config() {
    let dockerfile = "FROM debian:bookworm\nENTRYPOINT [\"/usr/bin/my-init\", \"--\"]\nCMD /usr/local/bin/server\n";
    let dir = project(&[
        (".initlint.toml", "trusted-inits = [\"my-init\"]\n"),
        ("Dockerfile", dockerfile),
    ]);
    let out = run(&["--format", "json", "Dockerfile"], dir.path());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["launch_chain"][0]["kind"], "init", "{v:#}");
    assert_eq!(v["verdict"]["zombies"], "reaped");
    // It wraps a shell-form CMD on dash: the init is misconfigured.
    assert_eq!(codes(&out), [("IL304".into(), "warning".into())]);
    let out = run(
        &["--isolated", "--format", "json", "Dockerfile"],
        dir.path(),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(v["launch_chain"][0]["kind"], "init");
}

#[test]
fn rules_and_rule_subcommands() {
    let out = run(&["rules"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for r in initlint::rules::ALL {
        assert!(text.contains(r.meta().code.as_str()));
    }
    let out = run(&["rule", "il101"], &repo());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(repo().join("rules/IL101.md")).unwrap()
    );
    let out = run(&["rule", "IL999"], &repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule code"));
}
