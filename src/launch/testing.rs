//! A container made of a few files, for the launch chain's unit tests: what a Dockerfile's
//! COPYs or an image's layers would give, without either front door.

#![cfg(test)]

use std::collections::BTreeMap;

use crate::model::{
    Base, Container, FileEntry, FileView, LaunchSetting, Lookup, Mode, Origin, Setting, ShellChoice,
};
use crate::shell::ShellKind;
use crate::source::{SourceMap, Text, TextMap};

/// Files by path; every one is executable. A path not listed is unknown (it may come from a
/// base image), as in Dockerfile mode.
pub(crate) struct Files(pub BTreeMap<String, String>);

impl FileView for Files {
    fn lookup(&self, path: &str, sources: &mut SourceMap) -> Lookup {
        let Some(content) = self.0.get(path) else {
            return Lookup::Unknown {
                why: format!("{path} is not in the test's files"),
            };
        };
        let file = sources.add(path.to_string(), content.clone());
        Lookup::Found(Box::new(FileEntry {
            path: path.to_string(),
            content: Text {
                value: content.clone(),
                map: TextMap::Offset { file, base: 0 },
            },
            mode: Mode::Executable { why: "test".into() },
            origin: Origin::Default,
            from: "test".into(),
        }))
    }
}

fn launch(words: &[&str]) -> Option<LaunchSetting> {
    (!words.is_empty()).then(|| LaunchSetting {
        argv: words.iter().map(|w| Text::synthetic(*w)).collect(),
        origin: Origin::Default,
        shell_form: false,
        dropped: None,
    })
}

/// The launch chain of `c`, with no extra knowledge.
pub(crate) fn chain(c: &Container) -> super::Chain {
    super::build(
        c,
        &mut SourceMap::default(),
        &crate::knowledge::Extras::default(),
    )
}

/// A container whose `/bin/sh` is `shell`, running `entrypoint` + `cmd` in `workdir`, with
/// `files`.
pub(crate) fn container(
    shell: ShellKind,
    entrypoint: &[&str],
    cmd: &[&str],
    workdir: &str,
    files: &[(&str, &str)],
) -> Container {
    Container {
        entrypoint: launch(entrypoint),
        cmd: launch(cmd),
        env: Vec::new(),
        workdir: Setting::new(workdir.into(), Origin::Default),
        user: None,
        stop_signal: None,
        healthcheck: None,
        shell: ShellChoice {
            kind: shell,
            basis: "test".into(),
            assumed: false,
        },
        base: Base::Scratch,
        files: Box::new(Files(
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.to_string()))
                .collect(),
        )),
        init: None,
        replaced_entrypoint: None,
        pre_stop: None,
    }
}

/// Known words, as a command line's arguments.
pub(crate) fn args(words: &[&str]) -> Vec<super::Arg> {
    words
        .iter()
        .map(|w| super::Arg::known(Text::synthetic(*w)))
        .collect()
}
