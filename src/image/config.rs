//! The image config (`Entrypoint`, `Cmd`, `Env`, …) and its rendering as a source text, so
//! findings can point at `"Cmd": [...]` with a line and column like any other file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{EnvVar, LaunchSetting, Origin, Setting};
use crate::source::{push_json_array, push_json_string, FileId, Provenance, SourceMap, Span, Text};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Docker's `SHELL` (not in the OCI spec; Docker and BuildKit write it).
    #[serde(default)]
    pub shell: Option<Vec<String>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub healthcheck: Option<HealthConfig>,
}

/// The config's `Healthcheck` (only its test matters here).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    #[serde(default)]
    pub test: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// The parts of an OCI/Docker image config initlint reads.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "{what}: not a valid image config (line {}, column {}): {e}",
                e.line(),
                e.column()
            )
        })
    }

    /// A bare runtime config (`{"Entrypoint": …}`) or a full image config, for `--config`.
    pub fn parse_either(bytes: &[u8], what: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "{what}: not JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            )
        })?;
        if value.get("config").is_some() || value.get("rootfs").is_some() {
            return Self::parse(bytes, what);
        }
        let run: RunConfig = serde_json::from_value(value)
            .map_err(|e| format!("{what}: not a valid image config: {e}"))?;
        Ok(ImageConfig {
            config: Some(run),
            ..Default::default()
        })
    }

    /// The uncompressed digests of the layers, in order (empty when the config has none).
    pub fn diff_ids(&self) -> Vec<String> {
        self.rootfs
            .as_ref()
            .map(|r| r.diff_ids.clone())
            .unwrap_or_default()
    }

    pub fn platform(&self) -> String {
        let mut p = format!(
            "{}/{}",
            self.os.as_deref().unwrap_or("?"),
            self.architecture.as_deref().unwrap_or("?")
        );
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            p.push('/');
            p.push_str(v);
        }
        p
    }
}

/// The config as a text in the source map, with the spans of each value.
pub struct Rendered {
    pub file: FileId,
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: Option<Setting<String>>,
    pub stop_signal: Option<Setting<String>>,
    pub user: Option<Setting<String>>,
    pub healthcheck: Option<Setting<crate::model::Healthcheck>>,
    pub shell: Option<Vec<String>>,
    /// The whole text: where a finding about the config as a whole points.
    pub whole: Span,
}

struct Writer {
    text: String,
}

impl Writer {
    /// Append a JSON string; returns its value mapped back to the text.
    fn string(&mut self, file: FileId, s: &str) -> Text {
        push_json_string(&mut self.text, file, s)
    }

    /// Append a JSON array of strings.
    fn array(&mut self, file: FileId, items: &[String]) -> Vec<Text> {
        push_json_array(&mut self.text, file, items)
    }
}

/// Render `config` as `name`; `"Entrypoint": [..]` and `"Cmd": [..]` each on one line.
pub fn render(cfg: &RunConfig, image: &str, sources: &mut SourceMap) -> Rendered {
    let provenance = Provenance::ImageConfig {
        image: image.to_string(),
    };
    // The FileId is needed for the maps before the text is complete: reserve it now.
    let file = sources.add_from(format!("{image} (config)"), String::new(), provenance);
    let origin = |field: &'static str, span: Span| Origin::ImageConfig {
        image: image.to_string(),
        field,
        span,
    };
    let mut w = Writer {
        text: "{\n".to_string(),
    };
    let launch = |w: &mut Writer, key: &'static str, argv: &Option<Vec<String>>| {
        let argv = argv.as_ref()?;
        let start = w.text.len() + 2;
        w.text.push_str(&format!("  \"{key}\": "));
        let texts = w.array(file, argv);
        w.text.push_str(",\n");
        let span = Span {
            file,
            range: start..w.text.len() - 2,
        };
        Some(LaunchSetting {
            shell_form: false,
            dropped: None,
            argv: texts,
            origin: origin(key, span),
        })
    };
    let entrypoint = launch(&mut w, "Entrypoint", &cfg.entrypoint);
    let cmd = launch(&mut w, "Cmd", &cfg.cmd);
    let scalar = |w: &mut Writer, key: &'static str, v: &Option<String>| {
        let v = v.as_ref()?;
        w.text.push_str(&format!("  \"{key}\": "));
        let t = w.string(file, v);
        w.text.push_str(",\n");
        Some(Setting {
            value: v.clone(),
            origin: origin(key, t.span()?),
        })
    };
    let workdir = scalar(&mut w, "WorkingDir", &cfg.working_dir);
    let user = scalar(&mut w, "User", &cfg.user);
    let stop_signal = scalar(&mut w, "StopSignal", &cfg.stop_signal);
    if let Some(shell) = &cfg.shell {
        w.text.push_str("  \"Shell\": ");
        w.array(file, shell);
        w.text.push_str(",\n");
    }
    let healthcheck = cfg
        .healthcheck
        .as_ref()
        .and_then(|h| h.test.as_ref())
        .and_then(|test| {
            let check = crate::model::Healthcheck::from_test(test)?;
            let start = w.text.len() + 2;
            w.text.push_str("  \"Healthcheck\": {\"Test\": ");
            w.array(file, test);
            w.text.push_str("},\n");
            let span = Span {
                file,
                range: start..w.text.len() - 2,
            };
            Some(Setting::new(check, origin("Healthcheck", span)))
        });
    let mut env = Vec::new();
    if let Some(vars) = &cfg.env {
        w.text.push_str("  \"Env\": [\n");
        for (i, var) in vars.iter().enumerate() {
            w.text.push_str("    ");
            let t = w.string(file, var);
            w.text
                .push_str(if i + 1 < vars.len() { ",\n" } else { "\n" });
            let (name, value) = var.split_once('=').unwrap_or((var, ""));
            env.push(EnvVar {
                name: name.to_string(),
                value: value.to_string(),
                origin: t.span().map_or(Origin::Default, |s| origin("Env", s)),
            });
        }
        w.text.push_str("  ],\n");
    }
    if w.text.ends_with(",\n") {
        w.text.truncate(w.text.len() - 2);
        w.text.push('\n');
    }
    w.text.push_str("}\n");
    let len = w.text.len();
    sources.set_text(file, w.text);
    let mut entrypoint = entrypoint;
    let mut cmd = cmd;
    // The builder turned a shell-form instruction into [SHELL…, string].
    let shell = cfg
        .shell
        .clone()
        .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
    for l in [&mut entrypoint, &mut cmd].into_iter().flatten() {
        l.shell_form = l.argv.len() == shell.len() + 1
            && l.argv.iter().zip(&shell).all(|(a, s)| &a.value == s);
    }
    Rendered {
        file,
        entrypoint,
        cmd,
        env,
        workdir,
        stop_signal,
        user,
        healthcheck,
        shell: cfg.shell.clone(),
        whole: Span {
            file,
            range: 0..len,
        },
    }
}
