//! The formats CI servers and code hosts read: SARIF anchored to the repository (checked by
//! the SARIF schema and, when `./x test` could fetch it, Microsoft's SARIF multitool with its
//! GitHub rules), GitLab Code Quality (its documented schema), Checkstyle and JUnit XML
//! (parsed by libxml2's xmllint and by Python's XML parser), JSON Lines; and the CLI basics:
//! `--severity`, `--failure-threshold none`, completions, the man page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], cwd: &Path) -> Output {
    common::initlint_in(args, cwd)
}

/// A git repository with a service whose script forgets `exec`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("services/api");
    std::fs::create_dir_all(&api).unwrap();
    std::fs::write(
        api.join("Dockerfile"),
        "FROM debian:bookworm\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"sleep\", \"infinity\"]\n",
    )
    .unwrap();
    std::fs::write(api.join("entrypoint.sh"), "#!/bin/sh\necho start\n\"$@\"\n").unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(git.success());
    dir
}

fn schema_errors(schema: &str, doc: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(schema)).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn multitool() -> Option<PathBuf> {
    let p = repo().join("target/tools/sarif-multitool/package/Sarif.Multitool");
    p.exists().then_some(p)
}

/// Schema errors, then (where it is installed) the multitool's SARIF and GitHub rules: no
/// error or warning may come back.
fn check_sarif(sarif: &Value, case: &str) {
    let errors = schema_errors("testdata/sarif-schema-2.1.0.json", sarif);
    assert!(errors.is_empty(), "{case}: schema errors {errors:#?}");
    let Some(tool) = multitool() else {
        eprintln!("NOTE: the SARIF multitool is not installed (./x test fetches it): {case} was checked against the schema only");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.sarif");
    let output = dir.path().join("out.sarif");
    std::fs::write(&input, serde_json::to_vec_pretty(sarif).unwrap()).unwrap();
    let out = Command::new(tool)
        .args(["validate", "--rule-kind", "Sarif;Gh", "--output"])
        .arg(&output)
        .arg(&input)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    assert!(
        output.exists(),
        "{case}: the multitool wrote nothing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let problems: Vec<String> = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["level"] == "error" || r["level"] == "warning")
        .map(|r| format!("{} {}", r["ruleId"], r["message"]))
        .collect();
    assert!(problems.is_empty(), "{case}: multitool: {problems:#?}");
}

fn sarif_of(args: &[&str], cwd: &Path) -> Value {
    let mut all = vec!["--format", "sarif"];
    all.extend(args);
    let out = run(&all, cwd);
    assert!(
        out.status.code().unwrap_or(2) < 2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn uris(sarif: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["locations"].as_array().unwrap().clone())
        .map(|l| {
            let a = &l["physicalLocation"]["artifactLocation"];
            (
                a["uri"].as_str().unwrap_or("-").to_string(),
                a["uriBaseId"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn sarif_paths_are_relative_to_the_repository_root() {
    let p = project();
    let root = p.path().canonicalize().unwrap();
    let want = vec![
        (
            "services/api/Dockerfile".to_string(),
            "%SRCROOT%".to_string(),
        ),
        (
            "services/api/entrypoint.sh".to_string(),
            "%SRCROOT%".to_string(),
        ),
    ];
    let cases = [
        (
            "from the root",
            vec!["services/api/Dockerfile"],
            p.path().to_path_buf(),
        ),
        (
            "from a subdirectory",
            vec!["."],
            p.path().join("services/api"),
        ),
    ];
    for (case, args, cwd) in cases {
        let sarif = sarif_of(&args, &cwd);
        assert_eq!(uris(&sarif), want, "{case}");
        assert_eq!(
            sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            format!("file://{}/", root.display()),
            "{case}"
        );
        check_sarif(&sarif, case);
    }
    // From outside the repository, with the root given.
    let target = p.path().join("services/api/Dockerfile");
    let root_arg = p.path().display().to_string();
    let sarif = sarif_of(
        &["--sarif-root", &root_arg, &target.display().to_string()],
        Path::new("/"),
    );
    assert_eq!(uris(&sarif), want, "absolute target, --sarif-root");
    check_sarif(&sarif, "absolute target, --sarif-root");
    // Without it, a file outside the working directory's repository is a file: URI.
    let elsewhere = tempfile::tempdir().unwrap();
    let sarif = sarif_of(&[&target.display().to_string()], elsewhere.path());
    let (uri, base) = &uris(&sarif)[0];
    assert!(uri.starts_with("file:///") && base == "-", "{uri} {base}");
    check_sarif(&sarif, "absolute target outside the repository");
}

#[test]
fn sarif_for_an_image_uses_logical_locations() {
    let image = common::fixtures().join("script-no-exec.tar");
    let target = format!("docker-archive:{}", image.display());
    let sarif = sarif_of(&[&target], &repo());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0];
        assert!(loc["physicalLocation"].is_null(), "a fake path: {loc}");
        let name = loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(name.starts_with(&target), "{name}");
        assert!(loc["properties"]["line"].as_u64().unwrap() >= 1);
    }
    check_sarif(&sarif, "image");
}

#[test]
fn config_findings_are_placed_on_the_dockerfile_given() {
    let image = common::fixtures().join("dash-shell-form.tar");
    let target = format!("docker-archive:{}", image.display());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\nCOPY server /usr/local/bin/server\nCMD server --port 8080\n",
    )
    .unwrap();
    let sarif = sarif_of(&["--dockerfile", "Dockerfile", &target], dir.path());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let il101 = results
        .iter()
        .find(|r| r["ruleId"] == "IL101")
        .expect("IL101");
    let loc = &il101["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "Dockerfile"
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 3);
    let name = loc["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .unwrap();
    assert_eq!(name, format!("{target} (config)"));
    check_sarif(&sarif, "image with --dockerfile");
    // GitLab too.
    let out = run(
        &["--format", "gitlab", "--dockerfile", "Dockerfile", &target],
        dir.path(),
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issue = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "IL101")
        .unwrap();
    assert_eq!(issue["location"]["path"], "Dockerfile");
    assert_eq!(issue["location"]["lines"]["begin"], 3);
    // A Dockerfile that cannot be read is an error, not a silent fallback.
    let out = run(&["--dockerfile", "nope/Dockerfile", &target], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dockerfile nope/Dockerfile"));
}

#[test]
fn gitlab_code_quality_report() {
    let p = project();
    let out = run(&["--format", "gitlab", "services/api/Dockerfile"], p.path());
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = schema_errors("testdata/schemas/gitlab-code-quality.json", &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let issues = doc.as_array().unwrap();
    assert!(issues.iter().any(|i| i["check_name"] == "IL201"
        && i["location"]["path"] == "services/api/entrypoint.sh"
        && i["location"]["lines"]["begin"] == 3
        && i["severity"] == "major"));
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(
        prints.len(),
        issues.len(),
        "GitLab shows one issue per fingerprint"
    );
    // The schema does catch mistakes.
    let mut broken = doc.clone();
    broken[0]["severity"] = "error".into();
    assert!(!schema_errors("testdata/schemas/gitlab-code-quality.json", &broken).is_empty());
}

/// Well-formed for libxml2, and the structure its consumers read, by Python's XML parser.
fn check_xml(xml: &[u8], script: &str) {
    if common::require("xmllint", common::tool("xmllint", "libxml2-utils")) {
        let out = piped("xmllint", &["--noout", "-"], xml);
        assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = piped("python3", &["-c", script], xml);
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `program args` with `input` on its stdin.
fn piped(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn checkstyle_and_junit_xml() {
    let p = project();
    // A message with characters XML must escape: a Dockerfile named with them.
    std::fs::write(
        p.path().join("a&b<c>.Dockerfile"),
        "FROM debian:bookworm\nCMD python3 app.py\n",
    )
    .unwrap();
    let targets = ["services/api/Dockerfile", "a&b<c>.Dockerfile"];
    let mut args = vec!["--format", "checkstyle"];
    args.extend(targets);
    let out = run(&args, p.path());
    assert_eq!(out.status.code(), Some(1));
    check_xml(
        &out.stdout,
        r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.stdin).getroot()
assert root.tag == "checkstyle", root.tag
files = {f.get("name"): f for f in root.findall("file")}
assert set(files) == {"services/api/entrypoint.sh", "services/api/Dockerfile", "a&b<c>.Dockerfile"}, files
errs = files["services/api/entrypoint.sh"].findall("error")
assert any(e.get("source") == "initlint.IL201" and e.get("line") == "3" and e.get("severity") == "error" for e in errs), [e.attrib for e in errs]
"#,
    );
    args[1] = "junit";
    let out = run(&args, p.path());
    check_xml(
        &out.stdout,
        r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.stdin).getroot()
assert root.tag == "testsuites"
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["services/api/Dockerfile", "a&b<c>.Dockerfile"], suites
for s in suites:
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases) and int(s.get("failures")) == len([c for c in cases if c.find("failure") is not None])
fail = suites[0].find("testcase/failure")
assert "exec" in fail.text and fail.get("type") in ("error", "warning", "info"), fail.attrib
assert int(root.get("failures")) >= 2
"#,
    );
}

#[test]
fn jsonl_is_one_object_per_target_per_line() {
    let d = repo().join("testdata/dockerfiles");
    let a = d.join("il101-debian-shell-form").display().to_string();
    let b = d.join("il201-no-exec").display().to_string();
    let out = run(&["--format", "jsonl", &a, &b], &repo());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["verdict"].is_object()));
}

#[test]
fn severity_flag_and_threshold_none() {
    let df = repo().join("testdata/dockerfiles/il205-npm-start");
    let df = df.display().to_string();
    // IL205 is a warning: exit 1 by default, 0 once it is info.
    assert_eq!(run(&[&df], &repo()).status.code(), Some(1));
    let out = run(
        &["--format", "compact", "--severity", "IL205=info", &df],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(": info: IL205"));
    // The command line wins over the config, and `none` never fails on findings.
    let out = run(&["--failure-threshold", "none", &df], &repo());
    assert_eq!(out.status.code(), Some(0));
    let out = run(
        &[
            "--failure-threshold",
            "info",
            "--severity",
            "IL205=info",
            &df,
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--severity", "IL999=info", &df], &repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule code"));
    let out = run(&["--severity", "IL205", &df], &repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CODE=LEVEL"));
}

#[test]
fn completions_and_man_page() {
    for (shell, needle) in [
        ("bash", "--failure-threshold"),
        ("zsh", "--sarif-root"),
        ("fish", "severity"),
    ] {
        let out = run(&["completions", shell], &repo());
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{shell}"
        );
    }
    if common::tool("bash", "bash").is_ok() {
        let out = run(&["completions", "bash"], &repo());
        let ok = Command::new("bash")
            .args(["-n", "-c", &String::from_utf8_lossy(&out.stdout)])
            .status()
            .unwrap();
        assert!(ok.success(), "the bash completion script does not parse");
    }
    let out = run(&["manpage"], &repo());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH initlint"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("failure\\-threshold"));
    let out = run(&["completions", "tcsh"], &repo());
    assert_eq!(out.status.code(), Some(2));
}
