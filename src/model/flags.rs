//! The command line as a source of launch settings: `--entrypoint`, `--cmd` and
//! `--stop-signal` are the layer `docker run` puts over the image. They are rendered as a
//! text of their own (one flag a line), so a finding about a setting that came from a flag
//! points at the flag like any other source.

use super::{EnvVar, LaunchSetting, Origin, Overrides, Setting};
use crate::source::{
    push_json_array, push_json_string, FileId, Provenance, SourceMap, Span, Text, TextMap,
};

/// How findings name the command line.
pub const COMMAND_LINE: &str = "<command line>";

/// The run-time flags as given (`docker run` semantics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFlags {
    /// `--entrypoint`: replaces the image's; without `--cmd` it also drops the image's CMD.
    pub entrypoint: Option<Vec<String>>,
    /// `--cmd`: replaces the image's CMD (the arguments after the image in `docker run`).
    pub cmd: Option<Vec<String>>,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--env KEY=VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// `--init`: docker-init (tini) runs the launch.
    pub init: bool,
}

impl RunFlags {
    pub fn is_empty(&self) -> bool {
        self == &RunFlags::default()
    }

    /// The flags as a layer of settings, their text added to `sources`. Nothing is added
    /// when no flag is given.
    pub fn overrides(&self, sources: &mut SourceMap) -> Overrides {
        if self.is_empty() {
            return Overrides::default();
        }
        let file = sources.add_from(COMMAND_LINE.into(), String::new(), Provenance::CommandLine);
        let mut w = Writer {
            file,
            text: String::new(),
        };
        let entrypoint = self
            .entrypoint
            .as_ref()
            .map(|argv| w.argv("--entrypoint", argv));
        let cmd = self.cmd.as_ref().map(|argv| w.argv("--cmd", argv));
        let stop_signal = self.stop_signal.as_ref().map(|sig| {
            let start = w.text.len();
            w.text.push_str("--stop-signal ");
            let t = w.string(sig);
            let span = Span {
                file,
                range: start..w.text.len(),
            };
            w.text.push('\n');
            Setting::new(
                t.value,
                Origin::Flag {
                    flag: "--stop-signal",
                    span,
                },
            )
        });
        let env = self
            .env
            .iter()
            .map(|(name, value)| {
                let start = w.text.len();
                w.text.push_str("--env ");
                w.string(&format!("{name}={value}"));
                let span = Span {
                    file,
                    range: start..w.text.len(),
                };
                w.text.push('\n');
                EnvVar {
                    name: name.clone(),
                    value: value.clone(),
                    origin: Origin::Flag {
                        flag: "--env",
                        span,
                    },
                }
            })
            .collect();
        let init = self.init.then(|| {
            let start = w.text.len();
            w.text.push_str("--init");
            let span = Span {
                file,
                range: start..w.text.len(),
            };
            w.text.push('\n');
            Origin::Flag {
                flag: "--init",
                span,
            }
        });
        sources.set_text(file, w.text);
        Overrides {
            entrypoint,
            cmd,
            stop_signal,
            env,
            init,
            ..Overrides::default()
        }
    }
}

struct Writer {
    file: FileId,
    text: String,
}

impl Writer {
    /// A JSON string (a bare word when it needs no quoting), mapped back to the text.
    fn string(&mut self, s: &str) -> Text {
        let bare = !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,%".contains(&b));
        if !bare {
            return push_json_string(&mut self.text, self.file, s);
        }
        let base = self.text.len();
        self.text.push_str(s);
        Text {
            value: s.to_string(),
            map: TextMap::Offset {
                file: self.file,
                base,
            },
        }
    }

    /// `--flag ["a", "b"]` on a line of its own.
    fn argv(&mut self, flag: &'static str, argv: &[String]) -> LaunchSetting {
        let start = self.text.len();
        self.text.push_str(flag);
        self.text.push(' ');
        let texts = push_json_array(&mut self.text, self.file, argv);
        let span = Span {
            file: self.file,
            range: start..self.text.len(),
        };
        self.text.push('\n');
        LaunchSetting {
            argv: texts,
            origin: Origin::Flag { flag, span },
            shell_form: false,
            dropped: None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_is_a_line_its_values_point_into() {
        let flags = RunFlags {
            entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), "exec \"$0\"".into()]),
            cmd: Some(vec!["app".into()]),
            stop_signal: Some("SIGINT".into()),
            env: Vec::new(),
            init: false,
        };
        let mut sources = SourceMap::default();
        let o = flags.overrides(&mut sources);
        let text = &sources.get(FileId(0)).text;
        assert_eq!(
            text,
            "--entrypoint [\"/bin/sh\", \"-c\", \"exec \\\"$0\\\"\"]\n--cmd [\"app\"]\n--stop-signal SIGINT\n"
        );
        let ep = o.entrypoint.unwrap();
        let first = ep.argv[0].span().unwrap();
        assert_eq!(&text[first.range], "/bin/sh");
        // An escaped string points at the whole quoted token.
        let third = ep.argv[2].span().unwrap();
        assert_eq!(&text[third.range], "\"exec \\\"$0\\\"\"");
        let sig = o.stop_signal.unwrap();
        assert_eq!(sig.value, "SIGINT");
        assert_eq!(sig.origin.key(), Some("--stop-signal"));
        assert_eq!(
            sources.line_col(FileId(0), sig.origin.span().unwrap().range.start),
            (3, 1)
        );
    }

    #[test]
    fn no_flags_add_no_source() {
        let mut sources = SourceMap::default();
        let o = RunFlags::default().overrides(&mut sources);
        assert!(o.entrypoint.is_none() && o.cmd.is_none() && o.stop_signal.is_none());
        assert!(o.user.is_none() && o.workdir.is_none() && o.env.is_empty());
        assert_eq!(sources.ids().count(), 0);
    }
}
