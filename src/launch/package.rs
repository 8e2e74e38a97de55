//! The script a package manager runs: `npm start`, `npm run NAME`, `yarn NAME`, `pnpm NAME`
//! take it from the nearest package.json's `scripts` and run it with `sh -c` (the `sh` on
//! PATH) as their child. Which shell that is decides the stop: dash stays the script's
//! parent, busybox ash and bash exec its last command (measured, tests/ground_truth.rs).

use super::{Arg, Builder};
use crate::model::Lookup;
use crate::source::{Text, TextMap};

/// The package.json script `launcher ARGS` runs, by name.
pub(super) fn script_name<'a>(launcher: &str, args: &'a [Arg]) -> Option<&'a str> {
    let word = |i: usize| args.get(i).map(|a| a.text.value.as_str());
    let named = |i: usize| word(i).filter(|w| !w.starts_with('-'));
    match (launcher, word(0)?) {
        (_, "start") => Some("start"),
        ("npm" | "pnpm", "test" | "t" | "tst") => Some("test"),
        ("npm" | "pnpm" | "yarn", "run" | "run-script" | "rum" | "urn") => named(1),
        // yarn and pnpm run a script named by their first word (`yarn serve`).
        ("yarn" | "pnpm", w) if !w.starts_with('-') => Some(w),
        _ => None,
    }
}

impl Builder<'_> {
    /// The command `launcher ARGS` hands to `sh -c`, from the package.json nearest the
    /// working directory; npm's own default for `start` (`node server.js`, when server.js
    /// is there) too. None when it cannot be read.
    pub(super) fn package_script(&mut self, launcher: &str, args: &[Arg]) -> Option<Text> {
        let name = script_name(launcher, args)?;
        let mut dir = self.workdir();
        let e = loop {
            let manifest = crate::source::join_path(&dir, "package.json");
            match self.c.files.lookup(&manifest, self.sources) {
                Lookup::Found(e) => break e,
                // It may be there (from a base image): the one above cannot stand in for it.
                Lookup::Unknown { .. } => return None,
                Lookup::Missing { .. } if dir == "/" || dir.is_empty() => return None,
                Lookup::Missing { .. } => dir = parent(&dir),
            }
        };
        let json: serde_json::Value = serde_json::from_str(&e.content.value).ok()?;
        let script = json.get("scripts").and_then(|s| s.get(name));
        match script.and_then(|s| s.as_str()) {
            Some(s) => Some(json_string(&e.content, s)),
            None if script.is_none() && name == "start" && launcher == "npm" => {
                let server = crate::source::join_path(&dir, "server.js");
                matches!(self.c.files.lookup(&server, self.sources), Lookup::Found(_))
                    .then(|| Text::synthetic("node server.js"))
            }
            None => None,
        }
    }
}

fn parent(dir: &str) -> String {
    match dir.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".into(),
        Some((parent, _)) => parent.into(),
    }
}

/// `value`, a string of the JSON document `doc`, pointing back at where it is written: the
/// first place its JSON spelling occurs (exact when it has no escapes).
fn json_string(doc: &Text, value: &str) -> Text {
    let Ok(spelled) = serde_json::to_string(value) else {
        return Text::synthetic(value);
    };
    let Some(at) = doc.value.find(&spelled) else {
        return Text {
            value: value.into(),
            map: doc.span().map_or(TextMap::None, TextMap::Whole),
        };
    };
    let inner = at + 1..at + spelled.len() - 1;
    let map = match &doc.map {
        TextMap::Offset { file, base } if inner.len() == value.len() => TextMap::Offset {
            file: *file,
            base: base + inner.start,
        },
        map => map.span(inner).map_or(TextMap::None, TextMap::Whole),
    };
    Text {
        value: value.into(),
        map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::testing::{args, chain, container};
    use crate::launch::SignalFate;
    use crate::shell::ShellKind;

    #[test]
    fn the_script_a_launcher_runs_is_named_by_its_words() {
        let name = |l: &str, w: &[&str]| script_name(l, &args(w)).map(str::to_string);
        assert_eq!(name("npm", &["start"]).as_deref(), Some("start"));
        assert_eq!(name("npm", &["run", "serve"]).as_deref(), Some("serve"));
        assert_eq!(
            name("npm", &["run-script", "serve"]).as_deref(),
            Some("serve")
        );
        assert_eq!(name("npm", &["run", "--silent"]), None);
        assert_eq!(name("npm", &["ci"]), None);
        assert_eq!(name("yarn", &["serve"]).as_deref(), Some("serve"));
        assert_eq!(name("yarn", &["run", "serve"]).as_deref(), Some("serve"));
        assert_eq!(name("yarn", &["--cwd", "x"]), None);
        assert_eq!(name("npx", &["serve"]), None);
    }

    /// The steps' programs and the verdict's stop for `npm start` in /app.
    fn npm_start(shell: ShellKind, files: &[(&str, &str)]) -> (Vec<String>, SignalFate) {
        let c = container(shell, &[], &["npm", "start"], "/app", files);
        let chain = chain(&c);
        let v = crate::verdict::judge(&c, &chain);
        let words = chain.steps.iter().map(|s| s.words().join(" ")).collect();
        (words, v.signal_fate)
    }

    #[test]
    fn npm_start_runs_its_script_with_the_image_shell() {
        let files = [
            (
                "/app/package.json",
                r#"{"scripts": {"start": "node server.js"}}"#,
            ),
            (
                "/app/server.js",
                "process.on('SIGTERM', () => process.exit(0));",
            ),
        ];
        let (steps, fate) = npm_start(ShellKind::Dash, &files);
        assert_eq!(
            steps,
            ["npm start", "sh -c node server.js", "node server.js"]
        );
        assert_eq!(fate, SignalFate::Abrupt, "dash stays: measured abrupt");
        let (_, fate) = npm_start(ShellKind::BusyboxAsh, &files);
        assert_eq!(
            fate,
            SignalFate::Delivered,
            "busybox execs: measured delivered"
        );
    }

    #[test]
    fn a_package_json_that_may_be_in_the_base_is_not_replaced_by_one_above() {
        // /app/package.json is not known (it may come from the base image); /package.json is.
        let files = [(
            "/package.json",
            r#"{"scripts": {"start": "node other.js"}}"#,
        )];
        let (steps, fate) = npm_start(ShellKind::Dash, &files);
        assert_eq!(steps, ["npm start"]);
        assert_eq!(fate, SignalFate::Unknown);
    }

    #[test]
    fn a_script_points_at_its_place_in_package_json() {
        let file = crate::source::FileId(3);
        let doc = Text {
            value: r#"{"scripts": {"start": "node server.js"}}"#.into(),
            map: TextMap::Offset { file, base: 10 },
        };
        let t = json_string(&doc, "node server.js");
        let at = doc.value.find("node").unwrap_or(0);
        assert_eq!(
            t.map,
            TextMap::Offset {
                file,
                base: 10 + at
            }
        );
        // With an escape, the whole JSON string is the place.
        let doc = Text {
            value: r#"{"scripts": {"start": "node \"s.js\""}}"#.into(),
            map: TextMap::Offset { file, base: 0 },
        };
        let t = json_string(&doc, "node \"s.js\"");
        assert_eq!(t.value, "node \"s.js\"");
        assert!(matches!(t.map, TextMap::Whole(_)));
    }
}
