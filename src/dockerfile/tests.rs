#![allow(clippy::unwrap_used)]
use super::*;
use crate::error::Error;
use crate::source::SourceMap;

fn load_str(s: &str, opts: &Options) -> Result<Loaded> {
    let mut sources = SourceMap::default();
    let id = sources.add("Dockerfile".into(), s.into());
    load(&sources, id, opts)
}

fn argv(l: &Option<LaunchSetting>) -> Vec<String> {
    l.as_ref()
        .map(|l| l.argv.iter().map(|t| t.value.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn shell_form_becomes_sh_c_without_continuations() {
    let l = load_str(
        "FROM debian\nCMD python \\\n  # a comment\n  app.py\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.cmd), vec!["/bin/sh", "-c", "python   app.py"]);
}

#[test]
fn shell_instruction_changes_shell_form() {
    let l = load_str(
        "FROM debian\nSHELL [\"/bin/bash\", \"-c\"]\nCMD app\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.cmd), vec!["/bin/bash", "-c", "app"]);
    assert_eq!(l.shell.kind, ShellKind::Bash);
}

#[test]
fn exec_form_keeps_dollar_literal_and_args_do_not_substitute() {
    let l = load_str(
        "FROM debian\nARG APP=x\nENV B=y\nCMD [\"$APP\", \"${B}\"]\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.cmd), vec!["$APP", "${B}"]);
}

#[test]
fn env_and_arg_substitution() {
    let text = "ARG V=3.12\nFROM python:${V}-slim AS base\nARG V\nENV A=$V B=\"x y\" C=${NOPE:-d}\nWORKDIR /app\nWORKDIR sub\n";
    let l = load_str(text, &Options::default()).unwrap();
    assert!(matches!(&l.base, Base::External { reference, .. } if reference == "python:3.12-slim"));
    let env: Vec<_> = l
        .env
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(env, vec![("A", "3.12"), ("B", "x y"), ("C", "d")]);
    assert_eq!(l.workdir.value, "/app/sub");
    // The last WORKDIR is the setting's provenance (a relative one builds on the one before).
    assert_eq!(l.workdir.origin.key(), Some("WORKDIR"));
    let span = l.workdir.origin.span().unwrap();
    assert_eq!(&text[span.range.clone()], "WORKDIR sub");
}

#[test]
fn what_docker_build_accepts_and_the_parser_did_not_loads() {
    // A heredoc opened on a continuation line of a RUN (BuildKit reads its body).
    let text = "FROM debian:12\nRUN apt-get update && \\\n    cat <<EOF > /etc/app.conf\nkey=value\nEOF\nCMD [\"/app/server\"]\n";
    let l = load_str(text, &Options::default()).unwrap();
    assert_eq!(argv(&l.cmd), ["/app/server"]);
    assert_eq!(
        l.facts.launches[0].span.range.start,
        text.find("CMD").unwrap()
    );
    // `ENTRYPOINT []`: an empty exec form; it resets the CMD an earlier stage set.
    let text = "FROM debian:12 AS base\nCMD [\"/app/server\"]\nFROM base\nENTRYPOINT []\n";
    let l = load_str(text, &Options::default()).unwrap();
    let ep = l.entrypoint.as_ref().unwrap();
    assert!(ep.argv.is_empty() && !ep.shell_form);
    assert!(l.cmd.is_none());
    // A Dockerfile the repairs cannot help keeps its own error.
    let err = load_str("FROM debian:12\nNOPE x\n", &Options::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("2:1"), "{err}");
}

#[test]
fn user_and_healthcheck_carry_their_instruction() {
    let text = "FROM debian:12\nUSER app:app\nHEALTHCHECK --interval=5s CMD curl -f \\\n  http://x/\nFROM debian:12 AS two\nSHELL [\"/bin/bash\", \"-c\"]\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n";
    let l = load_str(
        text,
        &Options {
            target_stage: Some("0".into()),
            ..Options::default()
        },
    )
    .unwrap();
    let user = l.user.as_ref().unwrap();
    assert_eq!(user.value, "app:app");
    assert_eq!(
        &text[user.origin.span().unwrap().range.clone()],
        "USER app:app"
    );
    let h = l.healthcheck.as_ref().unwrap();
    assert_eq!(
        h.value,
        Healthcheck::Test(vec![
            "/bin/sh".into(),
            "-c".into(),
            "curl -f   http://x/".into()
        ])
    );
    assert_eq!(h.origin.key(), Some("HEALTHCHECK"));
    assert!(text[h.origin.span().unwrap().range.clone()].starts_with("HEALTHCHECK --interval"));
    // The last HEALTHCHECK counts; NONE turns it off.
    let two = load_str(text, &Options::default()).unwrap();
    assert_eq!(two.healthcheck.unwrap().value, Healthcheck::Disabled);
    assert!(two.user.is_none());
}

#[test]
fn build_arg_overrides_default() {
    let opts = Options {
        build_args: vec![("BASE".into(), "alpine:3.20".into())],
        ..Options::default()
    };
    let l = load_str("ARG BASE=debian\nFROM $BASE\nCMD app\n", &opts).unwrap();
    assert_eq!(l.shell.kind, ShellKind::BusyboxAsh);
}

#[test]
fn stages_inherit_and_entrypoint_resets_inherited_cmd() {
    let l = load_str(
        "FROM alpine AS base\nENV X=1\nCMD [\"a\"]\nFROM base\nENTRYPOINT [\"b\"]\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.entrypoint), vec!["b"]);
    assert!(l.cmd.is_none());
    assert!(l.facts.reset_cmd.is_some());
    assert_eq!(l.env.len(), 1);
    assert_eq!(l.facts.lineage, vec![0, 1]);
}

#[test]
fn entrypoint_keeps_cmd_set_in_same_stage() {
    let l = load_str(
        "FROM alpine\nCMD [\"a\"]\nENTRYPOINT [\"b\"]\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.cmd), vec!["a"]);
}

#[test]
fn target_stage_and_unknown_stage() {
    let src = "FROM alpine AS one\nCMD [\"1\"]\nFROM debian AS two\nCMD [\"2\"]\n";
    let opts = Options {
        target_stage: Some("one".into()),
        ..Options::default()
    };
    assert_eq!(argv(&load_str(src, &opts).unwrap().cmd), vec!["1"]);
    let bad = Options {
        target_stage: Some("three".into()),
        ..Options::default()
    };
    assert!(matches!(
        load_str(src, &bad),
        Err(Error::UnknownStage { .. })
    ));
}

#[test]
fn invalid_json_is_shell_form() {
    let l = load_str(
        "FROM debian\nCMD ['python', 'app.py']\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(argv(&l.cmd), vec!["/bin/sh", "-c", "['python', 'app.py']"]);
}

#[test]
fn syntax_errors_have_positions() {
    match load_str("FROM debian\nRUN <<EOF\necho hi\n", &Options::default()) {
        Err(Error::Syntax { line, .. }) => assert!(line >= 2),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("unterminated heredoc accepted"),
    }
}
