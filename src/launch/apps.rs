//! Interpreters on the launch chain and the search for the app's handler: the entry file
//! (a script, `-m module`, inline code, `node DIR`'s package.json main), then the app's own
//! modules it imports.

use super::{Arg, Builder, Handler, Standing, StepKind, MAX_MODULES};
use crate::knowledge::{self, Interpreter};
use crate::model::{FileEntry, Lookup};
use crate::source::{Span, Text};

impl Builder<'_> {
    /// `python [opts] app.py`, `python -m mod`, `node -e CODE`; `app` is set when the
    /// interpreter was reached through a script's shebang.
    pub(super) fn interpreter(
        &mut self,
        int: &'static Interpreter,
        argv: Vec<Arg>,
        pid1: Standing,
        at: Option<Span>,
        app: Option<(String, Option<Text>)>,
    ) -> usize {
        let stop = self.c.stop_signal_name();
        let words: Vec<&str> = argv.iter().skip(1).map(|a| a.text.value.as_str()).collect();
        let builtin = knowledge::builtin_server(int.language, &words);
        let (app_name, source) = match app {
            Some(a) => (Some(a.0), a.1.ok_or_else(|| "binary".to_string())),
            None => self.app_source(int, &argv),
        };
        let execs = source.as_ref().ok().and_then(|text| {
            int.exec_target(&text.value)
                .map(|(p, r)| (p, text.map.span(r)))
        });
        let handler = if let Some((program, _)) = &execs {
            Handler::Execs(program.clone())
        } else if let (Some(server), false) =
            (builtin, int.handles_by_default.contains(&stop.as_str()))
        {
            Handler::NotFound {
                source: server.to_string(),
            }
        } else if int.handles_by_default.contains(&stop.as_str()) {
            Handler::Default
        } else {
            match (&app_name, source) {
                (Some(m), _)
                    if m.starts_with("-m ")
                        && knowledge::PYTHON_SERVER_MODULES.contains(&&m[3..]) =>
                {
                    Handler::Server(m[3..].to_string())
                }
                (_, Ok(text)) => match int.find_handler(&text.value, &stop) {
                    Some(p) => Handler::Found(p),
                    None if int.language == "node"
                        && knowledge::next_start_server(
                            &text.value,
                            &stop,
                            self.c.env_value("NEXT_MANUAL_SIG_HANDLE"),
                        ) =>
                    {
                        Handler::Server(knowledge::NEXT_STANDALONE.to_string())
                    }
                    None => self.handler_in_imports(int, &text.value, app_name.as_deref(), &stop),
                },
                (Some(path), Err(why)) if path.starts_with('/') => self
                    .compiled_app(path, &stop)
                    .unwrap_or(Handler::SourceUnavailable(why)),
                (_, Err(why)) => Handler::SourceUnavailable(why),
            }
        };
        let note = match &handler {
            Handler::Default => format!("{} acts on {stop} by default", int.language),
            Handler::Found(p) => format!("{} app installs a handler ({p})", int.language),
            Handler::Server(s) => format!("{s} installs its own signal handlers"),
            Handler::NotFound { source } => format!("{source}: no {stop} handler found"),
            Handler::SourceUnavailable(why) => why.clone(),
            Handler::Execs(p) => format!("the app execs {p}, which replaces it"),
        };
        let i = self.push(
            argv,
            pid1,
            at.clone(),
            StepKind::Interpreter {
                interpreter: int,
                app: app_name,
                handler,
            },
            note,
        );
        if let Some((program, span)) = execs {
            let text = Text {
                map: span.map_or(crate::source::TextMap::None, |s| {
                    crate::source::TextMap::Whole(s)
                }),
                value: program,
            };
            self.run(vec![Arg::known(text)], pid1, at);
        }
        i
    }

    /// An app file a build makes from the context's sources (`npm run build` turning
    /// `src/*.ts` into `dist/main.js`): the handler is looked for in those sources. `None`
    /// when no build makes it, or its sources could not all be read.
    fn compiled_app(&mut self, path: &str, stop: &str) -> Option<Handler> {
        let b = self.c.files.compiled_app(path, stop, self.sources)?;
        // NEXT_MANUAL_SIG_HANDLE leaves the signals to the app's own code.
        if let Some(server) = &b.framework_server {
            if knowledge::next_handles(stop, self.c.env_value("NEXT_MANUAL_SIG_HANDLE")) {
                let how = if b.copy.is_some() {
                    "copied at"
                } else {
                    "built at"
                };
                return Some(Handler::Server(format!(
                    "{}, {how} {},",
                    server.what, server.place
                )));
            }
        }
        match (&b.handler, &b.incomplete, b.files) {
            (Some(h), ..) => Some(Handler::Found(format!("{} at {}", h.what, h.place))),
            (None, None, files) if files > 0 => Some(Handler::NotFound {
                source: format!(
                    "{path} (built in {} from {files} {} source file(s) of the build context)",
                    b.stage,
                    b.language.name()
                ),
            }),
            _ => None,
        }
    }

    /// Look for the handler in the app's own modules the entry file imports (and theirs),
    /// breadth first, up to [`MAX_MODULES`] files.
    fn handler_in_imports(
        &mut self,
        int: &Interpreter,
        entry: &str,
        app: Option<&str>,
        stop: &str,
    ) -> Handler {
        let dir = match app.filter(|a| a.starts_with('/')) {
            Some(path) => path.rsplit_once('/').map_or("/", |(d, _)| d).to_string(),
            None => self.workdir(),
        };
        let mut seen: Vec<String> = app.map(str::to_string).into_iter().collect();
        let mut queue = std::collections::VecDeque::from([(entry.to_string(), dir)]);
        let mut read = 0;
        while let Some((source, dir)) = queue.pop_front() {
            for paths in knowledge::imports::candidates(int.imports, &source, &dir) {
                if read >= MAX_MODULES {
                    break;
                }
                let Some((path, text)) =
                    paths
                        .iter()
                        .find_map(|p| match self.c.files.lookup(p, self.sources) {
                            Lookup::Found(e) if e.content.map != crate::source::TextMap::None => {
                                Some((e.path.clone(), e.content.value))
                            }
                            _ => None,
                        })
                else {
                    continue;
                };
                if seen.contains(&path) {
                    continue;
                }
                read += 1;
                if let Some(p) = int.find_handler(&text, stop) {
                    return Handler::Found(format!("{p} in {path}, which the app imports"));
                }
                let dir = path.rsplit_once('/').map_or("/", |(d, _)| d).to_string();
                seen.push(path);
                queue.push_back((text, dir));
            }
        }
        let source = app.unwrap_or_default().to_string();
        Handler::NotFound {
            source: match seen.len() {
                0 | 1 => source,
                2 => format!("{source} (with the app module it imports)"),
                n => format!("{source} (with the {} app modules it imports)", n - 1),
            },
        }
    }

    /// `node DIR` (`node .`) runs the file DIR/package.json names as `main` (index.js by
    /// default).
    fn package_main(&mut self, int: &Interpreter, dir: &str) -> Option<FileEntry> {
        if int.imports != knowledge::imports::ImportStyle::Node {
            return None;
        }
        let manifest = crate::source::join_path(dir, "package.json");
        let main = match self.c.files.lookup(&manifest, self.sources) {
            Lookup::Found(e) => serde_json::from_str::<serde_json::Value>(&e.content.value)
                .ok()
                .and_then(|v| v.get("main")?.as_str().map(str::to_string)),
            _ => None,
        }
        .unwrap_or_else(|| "index.js".into());
        let main = crate::source::join_path(dir, &main);
        [
            main.clone(),
            format!("{main}.js"),
            format!("{main}/index.js"),
        ]
        .iter()
        .find_map(|p| match self.c.files.lookup(p, self.sources) {
            Lookup::Found(e) => Some(*e),
            _ => None,
        })
    }

    fn app_source(
        &mut self,
        int: &Interpreter,
        argv: &[Arg],
    ) -> (Option<String>, Result<Text, String>) {
        let mut i = 1;
        while let Some(a) = argv.get(i) {
            let v = a.text.value.as_str();
            if int.inline_code_options.contains(&v) {
                return match argv.get(i + 1) {
                    Some(code) => (Some(format!("{v} …")), Ok(code.text.clone())),
                    None => (None, Err("no code after the option".into())),
                };
            }
            if int.module_option == Some(v) {
                let module = argv
                    .get(i + 1)
                    .map(|m| m.text.value.clone())
                    .unwrap_or_default();
                let file = format!("{}/__main__.py", module.replace('.', "/"));
                let alt = format!("{}.py", module.replace('.', "/"));
                let name = Some(format!("-m {module}"));
                for candidate in [alt, file] {
                    let path = crate::source::join_path(&self.workdir(), &candidate);
                    if let Lookup::Found(e) = self.c.files.lookup(&path, self.sources) {
                        return (name, Ok(e.content));
                    }
                }
                return (
                    name,
                    Err(format!(
                        "module {module} is not in the build context, so no handler could be seen"
                    )),
                );
            }
            if int.options_with_value.contains(&v) {
                i += 2;
                continue;
            }
            if v.starts_with('-') && v != "-" {
                i += 1;
                continue;
            }
            if !a.known {
                return (
                    Some(v.to_string()),
                    Err(format!("the script `{v}` is only known at run time")),
                );
            }
            let path = crate::source::join_path(&self.workdir(), v);
            return match self.c.files.lookup(&path, self.sources) {
                Lookup::Found(e) => (Some(e.path.clone()), Ok(e.content)),
                Lookup::Missing { why, .. } | Lookup::Unknown { why } => {
                    match self.package_main(int, &path) {
                        Some(e) => (Some(e.path.clone()), Ok(e.content)),
                        None => (Some(path), Err(why)),
                    }
                }
            };
        }
        (
            None,
            Err(format!(
                "{} runs without a script (a REPL or stdin)",
                int.language
            )),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::super::testing::container;
    use super::*;
    use crate::knowledge::Extras;
    use crate::launch::testing::args;
    use crate::shell::ShellKind;
    use crate::source::SourceMap;

    fn node() -> &'static Interpreter {
        knowledge::interpreter("node").unwrap()
    }

    fn python() -> &'static Interpreter {
        knowledge::interpreter("python3").unwrap()
    }

    #[test]
    fn node_dir_runs_the_package_main_or_index_js() {
        let files = [
            ("/srv/package.json", r#"{"main": "lib/server.js"}"#),
            (
                "/srv/lib/server.js",
                "process.on('SIGTERM', () => process.exit(0))",
            ),
            ("/plain/index.js", "setInterval(() => {}, 1000)"),
        ];
        let c = container(ShellKind::Dash, &[], &[], "/", &files);
        let mut sources = SourceMap::default();
        let extras = Extras::default();
        let mut b = Builder::new(&c, &mut sources, &extras);
        assert_eq!(
            b.package_main(node(), "/srv").unwrap().path,
            "/srv/lib/server.js"
        );
        assert_eq!(
            b.package_main(node(), "/plain").unwrap().path,
            "/plain/index.js"
        );
        assert!(b.package_main(node(), "/nothing").is_none());
        // Only node reads package.json.
        assert!(b.package_main(python(), "/srv").is_none());
    }

    #[test]
    fn the_app_source_is_the_script_the_module_or_the_inline_code() {
        let files = [
            ("/app/main.py", "import time"),
            ("/app/pkg/__main__.py", "import signal"),
        ];
        let c = container(ShellKind::Dash, &[], &[], "/app", &files);
        let mut sources = SourceMap::default();
        let extras = Extras::default();
        let mut b = Builder::new(&c, &mut sources, &extras);
        let (name, text) = b.app_source(python(), &args(&["python", "-u", "main.py"]));
        assert_eq!(
            (name.unwrap(), text.unwrap().value),
            ("/app/main.py".into(), "import time".into())
        );
        let (name, text) = b.app_source(python(), &args(&["python", "-m", "pkg"]));
        assert_eq!(
            (name.unwrap(), text.unwrap().value),
            ("-m pkg".into(), "import signal".into())
        );
        let (name, text) = b.app_source(python(), &args(&["python", "-c", "print(1)"]));
        assert_eq!(
            (name.unwrap(), text.unwrap().value),
            ("-c …".into(), "print(1)".into())
        );
        let (_, missing) = b.app_source(python(), &args(&["python", "-m", "absent"]));
        assert!(missing
            .unwrap_err()
            .contains("module absent is not in the build context"));
        let (_, repl) = b.app_source(python(), &args(&["python"]));
        assert!(repl.unwrap_err().contains("without a script"));
    }

    #[test]
    fn a_handler_in_an_imported_module_is_found_and_named() {
        let files = [
            ("/app/main.py", "import worker\nworker.run()\n"),
            (
                "/app/worker.py",
                "import signal, sys\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n",
            ),
            ("/app/idle.py", "import helpers\n"),
            ("/app/helpers.py", "x = 1\n"),
        ];
        let c = container(ShellKind::Dash, &[], &[], "/app", &files);
        let mut sources = SourceMap::default();
        let extras = Extras::default();
        let mut b = Builder::new(&c, &mut sources, &extras);
        match b.handler_in_imports(python(), files[0].1, Some("/app/main.py"), "SIGTERM") {
            Handler::Found(p) => assert!(
                p.ends_with("in /app/worker.py, which the app imports"),
                "{p}"
            ),
            other => panic!("{other:?}"),
        }
        match b.handler_in_imports(python(), files[2].1, Some("/app/idle.py"), "SIGTERM") {
            Handler::NotFound { source } => {
                assert_eq!(source, "/app/idle.py (with the app module it imports)")
            }
            other => panic!("{other:?}"),
        }
    }
}
