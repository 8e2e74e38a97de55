//! The rule registry is the folder: every `src/rules/ilNNN_name.rs` is a rule, so adding one
//! is adding its file (and its page, `rules/ILNNN.md`). This writes the `registry!` call that
//! `src/rules/mod.rs` includes.

// A build script reports a broken checkout by panicking: cargo shows the message.
#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time, not with env!(): a build script compiled for one checkout can be
    // reused (a shared target dir) to build another.
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("src/rules");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut rules: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let module = name.strip_suffix(".rs")?.to_string();
            let digits = module.strip_prefix("il")?.get(..3)?.to_string();
            let named = module.as_bytes().get(5) == Some(&b'_');
            (digits.bytes().all(|b| b.is_ascii_digit()) && named)
                .then(|| (format!("IL{digits}"), module))
        })
        .collect();
    rules.sort();
    for pair in rules.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "two rule files for {}: {} and {}",
            pair[0].0,
            pair[0].1,
            pair[1].1
        );
    }
    let mut out = String::from("registry!(\n");
    for (code, module) in &rules {
        let path = dir.join(format!("{module}.rs"));
        let _ = writeln!(
            out,
            "    {code} => {module} @ {:?},",
            path.display().to_string()
        );
    }
    out.push_str(");\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("registry.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}
