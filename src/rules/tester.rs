//! A rule's own pass/fail cases, next to its check (as oxc's `Tester`): each case is a
//! Dockerfile, with the build-context files it copies, linted with only that rule on. A pass
//! case must give no finding of the rule, a fail case at least one on the line it names.

#![cfg(test)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use super::Code;
use crate::config::Settings;

/// A case: a Dockerfile, and the context files (`path`, `content`; written executable).
pub(crate) struct Case {
    dockerfile: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// Fail cases: the 1-based Dockerfile line the finding is on, or 0 for "any".
    line: usize,
}

pub(crate) struct Tester {
    code: Code,
    pass: Vec<Case>,
    fail: Vec<Case>,
}

impl Tester {
    pub(crate) fn new(code: Code) -> Tester {
        Tester {
            code,
            pass: Vec::new(),
            fail: Vec::new(),
        }
    }

    /// Dockerfiles that must not trigger the rule.
    pub(crate) fn pass(mut self, dockerfiles: &[&'static str]) -> Tester {
        self.pass
            .extend(dockerfiles.iter().map(|d| case(d, &[], 0)));
        self
    }

    /// A Dockerfile with context files that must not trigger the rule.
    pub(crate) fn pass_with(
        mut self,
        dockerfile: &'static str,
        files: &'static [(&'static str, &'static str)],
    ) -> Tester {
        self.pass.push(case(dockerfile, files, 0));
        self
    }

    /// Dockerfiles that must trigger the rule on the given line.
    pub(crate) fn fail(mut self, cases: &[(&'static str, usize)]) -> Tester {
        self.fail
            .extend(cases.iter().map(|(d, line)| case(d, &[], *line)));
        self
    }

    /// A Dockerfile with context files that must trigger the rule on `line` of the Dockerfile.
    pub(crate) fn fail_with(
        mut self,
        dockerfile: &'static str,
        files: &'static [(&'static str, &'static str)],
        line: usize,
    ) -> Tester {
        self.fail.push(case(dockerfile, files, line));
        self
    }

    pub(crate) fn test(self) {
        assert!(
            !self.pass.is_empty() && !self.fail.is_empty(),
            "{}: a rule needs pass and fail cases",
            self.code
        );
        for c in &self.pass {
            let got = lines(self.code, c);
            assert!(
                got.is_empty(),
                "{} must not fire (it did, on Dockerfile lines {got:?}):\n{}",
                self.code,
                c.dockerfile
            );
        }
        for c in &self.fail {
            let got = lines(self.code, c);
            let hit = if c.line == 0 {
                !got.is_empty()
            } else {
                got.contains(&c.line)
            };
            assert!(
                hit,
                "{} must fire on line {} (it fired on {got:?}):\n{}",
                self.code, c.line, c.dockerfile
            );
        }
    }
}

fn case(
    dockerfile: &'static str,
    files: &'static [(&'static str, &'static str)],
    line: usize,
) -> Case {
    Case {
        dockerfile,
        files,
        line,
    }
}

/// The Dockerfile lines of the rule's findings (0 for a finding in another file).
fn lines(code: Code, c: &Case) -> Vec<usize> {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in c.files {
        write_executable(&dir.path().join(path), content);
    }
    let settings = Settings {
        ignore: Code::ALL.iter().copied().filter(|k| *k != code).collect(),
        ..Settings::default()
    };
    let a = crate::analyse_dockerfile(
        "Dockerfile".into(),
        c.dockerfile.to_string(),
        Some(dir.path()),
        &crate::Options::default(),
        &settings,
    )
    .unwrap_or_else(|e| panic!("{code}: the case does not parse: {e}\n{}", c.dockerfile));
    a.findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| {
            let span = &f.diag.primary.span;
            if a.sources.get(span.file).name == "Dockerfile" {
                a.sources.line_col(span.file, span.range.start).0
            } else {
                0
            }
        })
        .collect()
}

fn write_executable(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
