//! Every fixture under testdata/dockerfiles/<case>/Dockerfile declares, in its first line,
//! exactly which findings it must produce (`# expect: IL101@4 IL201@entrypoint.sh:3` or
//! `# expect: none`). The test checks that set, checks the naming convention (`ilNNN-…-ok`
//! must not trigger ILNNN; other `ilNNN-…` cases must), and snapshots human + JSON output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use initlint::dockerfile::Options;

fn findings_of(dir: &Path) -> (initlint::Analysis, BTreeSet<String>) {
    let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let a = initlint::analyse_dockerfile(
        "Dockerfile".into(),
        text,
        Some(dir),
        &Options::default(),
        &Default::default(),
    )
    .unwrap();
    let got = a
        .findings
        .iter()
        .map(|f| {
            let span = &f.diag.primary.span;
            let (line, _) = a.sources.line_col(span.file, span.range.start);
            let name = a.sources.get(span.file).name.clone();
            let base = Path::new(&name)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            if base == "Dockerfile" {
                format!("{}@{line}", f.code)
            } else {
                format!("{}@{base}:{line}", f.code)
            }
        })
        .collect();
    (a, got)
}

fn expected(dir: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let header = text.lines().next().unwrap_or("");
    let list = header
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: …`", dir.display()));
    if list.trim() == "none" {
        return BTreeSet::new();
    }
    list.split_whitespace().map(str::to_string).collect()
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles")
}

/// The fixture directories, sorted.
fn dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The rule a fixture is named for (`il101-…` → IL101).
fn rule_of(name: &str) -> String {
    name.split('-').next().unwrap().to_ascii_uppercase()
}

/// One fixture: its `# expect:` set, its naming convention, its snapshots.
fn check(name: &str) {
    let dir = root().join(name);
    let rule = rule_of(name);
    let want = expected(&dir);
    let (analysis, got) = findings_of(&dir);
    assert_eq!(want, got, "{name}: the `# expect:` header");
    let fires = want.iter().any(|w| w.starts_with(&format!("{rule}@")));
    if name.ends_with("-ok") {
        assert!(!fires, "{name}: an -ok case must not expect {rule}");
    } else {
        assert!(fires, "{name}: a case named for {rule} must expect it");
    }
    let report = analysis.report();
    let settings = {
        let mut s = insta::Settings::clone_current();
        s.set_snapshot_suffix(name.to_string());
        s.set_prepend_module_to_snapshot(false);
        s.add_filter(r"testdata/dockerfiles/[^/]+/", "");
        s.add_filter(&regex_escape(&root().display().to_string()), "[root]");
        s
    };
    let style = |width, explain| initlint::report::Style {
        color: false,
        width,
        explain,
    };
    settings.bind(|| {
        insta::assert_snapshot!(
            "human-80",
            initlint::report::human(&report, &style(80, false))
        );
        insta::assert_snapshot!(
            "human-200-explain",
            initlint::report::human(&report, &style(200, true))
        );
        insta::assert_json_snapshot!("json", initlint::report::json(&report));
    });
}

/// One test per fixture, so every failing fixture shows at once. The list must name every
/// directory (checked below): a new fixture fails until it is added here.
macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(&stringify!($name).replace('_', "-"));
            }
        )*
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

fixtures!(
    il101_alpine_pipeline,
    il101_bash_redirect,
    il101_continuation_lines,
    il101_debian_shell_form,
    il101_env_expanded_in_shell_form,
    il101_exec_after_list_ok,
    il101_exec_ok,
    il101_explicit_sh_c_json,
    il101_heredoc_run_mentions_cmd_ok,
    il101_sh_c_exec_ok,
    il101_ubuntu_and_list,
    il101_unknown_base_assumes_dash,
    il102_exec_entrypoint_ok,
    il102_shell_entrypoint,
    il103_escaped_quotes_ok,
    il103_single_quotes,
    il103_trailing_comma,
    il104_alpine_if,
    il104_alpine_simple,
    il104_bash_shell_simple,
    il104_debian_is_il101_ok,
    il105_arg_substituted_ok,
    il105_number_ok,
    il105_typo,
    il106_inherited,
    il106_stage_inherits_ok,
    il107_different_stages_ok,
    il107_two_cmds,
    il201_copy_dir_to_root,
    il201_copy_file_to_root,
    il201_exec_gosu_ok,
    il201_exec_in_if_ok,
    il201_function_exec_ok,
    il201_function_without_exec,
    il201_no_exec,
    il201_set_args_node_ok,
    il202_trap_background_wait_ok,
    il202_trap_foreground,
    il203_background_no_trap,
    il204_su,
    il204_su_exec_ok,
    il204_sudo_in_script,
    il204_sudo_program_ok,
    il204_tini_su_ok,
    il205_npm_start,
    il205_poetry_install_ok,
    il205_poetry_run,
    il206_crlf_shebang,
    il206_heredoc_entrypoint_resets_cmd,
    il206_missing_source,
    il206_not_executable,
    il206_run_chmod_ok,
    il206_run_chmod_workdir_ok,
    il206_scratch_no_command,
    il206_scratch_shell_form,
    il301_sleep_by_name,
    il302_gunicorn_module_ok,
    il302_node_handler_in_module_ok,
    il302_node_handler_ok,
    il302_node_module_without_handler,
    il302_node_no_handler,
    il302_node_package_main_ok,
    il302_python_execvp_ok,
    il302_python_sigint_ok,
    il302_ruby_ok,
    il302_shebang_script,
    il302_tini_ok,
    il304_dumb_init_drops_stop_signal,
    il304_dumb_init_shell,
    il304_init_not_pid1,
    il304_tini_exec_form_ok,
    il304_tini_shell_form,
    il305_java_sigquit,
    il305_nginx_sigquit_ok,
    il305_systemd_default_signal,
    il305_systemd_rtmin_ok,
    il306_binary_from_base,
    il306_tini_ok,
    il900_global_and_script_ok,
    il900_unused_suppression,
    il900_used_suppression_ok
);

#[test]
fn every_fixture_directory_is_listed() {
    let on_disk: Vec<String> = dirs()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().replace('-', "_"))
        .collect();
    let listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "add new fixtures to the fixtures! list (dashes as underscores)"
    );
    assert!(
        on_disk.len() >= 40,
        "at least 40 fixtures, found {}",
        on_disk.len()
    );
}

/// Across fixtures: every rule that a Dockerfile can trigger is triggered by one, and most
/// rules have a false-positive trap (an `-ok` case).
#[test]
fn every_rule_has_a_fixture_and_most_have_a_trap() {
    let mut triggered = BTreeSet::new();
    let mut traps = BTreeSet::new();
    for dir in dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rule = rule_of(&name);
        if name.ends_with("-ok") {
            traps.insert(rule);
        } else if expected(&dir)
            .iter()
            .any(|w| w.starts_with(&format!("{rule}@")))
        {
            triggered.insert(rule);
        }
    }
    for code in initlint::rules::Code::ALL {
        let c = code.as_str().to_string();
        // Rules that need a built image (ELF evidence) are covered by tests/image.rs.
        let image_only = initlint::rules::meta(*code).doc.contains("```image");
        assert!(
            triggered.contains(&c) || image_only,
            "no fixture triggers {c}"
        );
    }
    // Every rule has a false-positive trap except the purely syntactic IL106 reset variant.
    assert!(traps.len() >= 12, "traps for {traps:?}");
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}
