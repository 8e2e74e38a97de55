//! rules/ILnnn.md and the code cannot drift: a page per code, no page without a code, the
//! page's title and severity match the metadata, its Example triggers the rule and its Fix
//! does not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use initlint::rules::{Code, ALL};
use initlint::Options;

/// The first fenced block after `heading` and its language (`dockerfile`, or `image` for
/// rules that need a built image: those are checked by tests/image.rs against the fixture).
fn block_after(page: &str, heading: &str) -> (String, String) {
    let start = page
        .find(heading)
        .unwrap_or_else(|| panic!("missing {heading}"));
    let rest = &page[start..];
    let fence = rest.find("```").expect("a fenced block") + 3;
    let lang_end = fence + rest[fence..].find('\n').expect("fence line");
    let lang = rest[fence..lang_end].to_string();
    let close = rest[lang_end + 1..].find("\n```").expect("closing fence");
    (
        lang,
        format!("{}\n", &rest[lang_end + 1..lang_end + 1 + close]),
    )
}

fn codes_for(text: &str) -> Vec<Code> {
    let a = initlint::analyse_dockerfile(
        "Dockerfile".into(),
        text.into(),
        None,
        &Options::default(),
        &Default::default(),
    )
    .unwrap();
    a.findings.iter().map(|f| f.code).collect()
}

/// A Compose example, its `build: .` a Debian-based Dockerfile with `ENTRYPOINT ["tini", "--"]`.
fn codes_for_compose(text: &str) -> Vec<Code> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:bookworm\nENTRYPOINT [\"tini\", \"--\"]\n",
    )
    .unwrap();
    let target = initlint::target::Target::Manifest {
        path: dir.path().join("compose.yaml"),
        format: initlint::manifest::Format::Compose,
        with: Vec::new(),
    };
    initlint::lint_all(&target, &Options::default(), &Default::default())
        .into_iter()
        .flat_map(|a| a.unwrap().findings)
        .map(|f| f.code)
        .collect()
}

/// A Kubernetes example: its image `app:1` is paired (`--image-for`) with a Dockerfile
/// `FROM scratch` holding only `/server`.
fn codes_for_kubernetes(text: &str) -> Vec<Code> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), text).unwrap();
    std::fs::write(dir.path().join("server"), "\x7fELF").unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY server /server\n",
    )
    .unwrap();
    let target = initlint::target::Target::Manifest {
        path: dir.path().join("pod.yaml"),
        format: initlint::manifest::Format::Kubernetes,
        with: Vec::new(),
    };
    let opts = Options {
        image_for: vec![("app:1".into(), dir.path().join("Dockerfile"))],
        ..Options::default()
    };
    initlint::lint_all(&target, &opts, &Default::default())
        .into_iter()
        .flat_map(|a| a.unwrap().findings)
        .map(|f| f.code)
        .collect()
}

#[test]
fn every_code_has_a_matching_page_and_back() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for rule in ALL {
        let m = rule.meta();
        let page = std::fs::read_to_string(dir.join(format!("{}.md", m.code))).unwrap();
        assert_eq!(page, m.doc, "{} embeds its page", m.code);
        assert!(
            page.starts_with(&format!("# {} {}\n", m.code, m.name)),
            "{} title",
            m.code
        );
        assert!(
            page.contains(&format!("Severity: **{}**", m.severity.as_str())),
            "{} severity",
            m.code
        );
        for h in [
            "## What it detects",
            "## Why it matters",
            "## Example",
            "## Fix",
            "## When it is wrong",
            "## See also",
        ] {
            assert!(page.contains(h), "{} lacks {h}", m.code);
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(code) = name.strip_suffix(".md").filter(|n| n.starts_with("IL")) {
            assert!(code.parse::<Code>().is_ok(), "rules/{name} names no rule");
        }
    }
}

#[test]
fn examples_trigger_and_fixes_do_not() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for rule in ALL {
        let code = rule.meta().code;
        let page = std::fs::read_to_string(dir.join(format!("{code}.md"))).unwrap();
        let (lang, example) = block_after(&page, "## Example");
        let (fix_lang, fix) = block_after(&page, "## Fix");
        assert!(
            ["dockerfile", "image", "yaml"].contains(&lang.as_str()) && lang == fix_lang,
            "{code}: Example and Fix must both be ```dockerfile, ```yaml (Compose) or ```image"
        );
        if lang == "image" {
            continue;
        }
        let codes_for = match lang.as_str() {
            "yaml" if example.contains("apiVersion:") => codes_for_kubernetes,
            "yaml" => codes_for_compose,
            _ => codes_for,
        };
        assert!(
            codes_for(&example).contains(&code),
            "{code}: Example does not trigger it:\n{example}"
        );
        assert!(
            !codes_for(&fix).contains(&code),
            "{code}: Fix still triggers it:\n{fix}"
        );
    }
}
