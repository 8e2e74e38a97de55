//! `--format json`: the output contract of RULES.md.

use serde_json::{json, Value};

use super::{position, Report};
use crate::launch::StepKind;
use crate::model::{Healthcheck, Origin};

pub fn render(r: &Report<'_>) -> Value {
    let c = r.container;
    let shell =
        json!({"kind": c.shell.kind.name(), "basis": c.shell.basis, "assumed": c.shell.assumed});
    let target = match r.image {
        None => {
            let mut t = json!({
                "kind": "dockerfile",
                "path": r.target,
                "stage": r.stage,
                "base_image": c.base.describe(),
                "shell": shell,
                "stop_signal": c.stop_signal_name(),
            });
            if let Some(base) = r.base {
                t["base"] = match &base.read {
                    Ok(img) => {
                        let mut b = image_json(img);
                        b["reference"] = json!(base.reference);
                        b["read"] = json!(true);
                        b
                    }
                    Err(why) => json!({"reference": base.reference, "read": false, "why": why}),
                };
            }
            t
        }
        Some(img) => {
            let mut t = image_json(img);
            t["kind"] = json!("image");
            t["path"] = json!(r.target);
            t["shell"] = shell;
            t["stop_signal"] = json!(c.stop_signal_name());
            t
        }
    };
    let chain: Vec<Value> = r
        .chain
        .steps
        .iter()
        .map(|s| {
            let mut v = json!({
                "argv": s.argv.iter().map(|a| a.text.value.clone()).collect::<Vec<_>>(),
                "pid1": s.pid1,
                "kind": kind_name(&s.kind),
                "note": s.note,
            });
            if let Some(b) = &s.binary {
                v["binary"] = binary_json(b);
            }
            if let StepKind::Built(b) = &s.kind {
                let hit = |h: &Option<crate::model::SourceHit>| {
                    h.as_ref()
                        .map_or(Value::Null, |h| json!({"what": h.what, "at": h.place}))
                };
                v["built"] = json!({
                    "stage": b.stage,
                    "language": b.language.name(),
                    "source_files": b.files,
                    "incomplete": b.incomplete,
                    "handler": hit(&b.handler),
                    "reaper": hit(&b.reaper),
                });
            }
            if let Some(span) = &s.at {
                let (path, line, column, ..) = position(r.sources, span);
                v["path"] = json!(path);
                v["line"] = json!(line);
                v["column"] = json!(column);
            }
            v
        })
        .collect();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let (path, line, column, end_line, end_column) = position(r.sources, &f.diag.primary.span);
            json!({
                "code": f.code,
                "name": crate::rules::meta(f.code).name,
                "severity": f.severity,
                "message": f.diag.message,
                "path": path,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "label": f.diag.primary.text,
                "related": f.diag.secondary.iter().map(|l| {
                    let (path, line, column, end_line, end_column) = position(r.sources, &l.span);
                    json!({"path": path, "line": line, "column": column, "end_line": end_line, "end_column": end_column, "label": l.text})
                }).collect::<Vec<_>>(),
                "help": f.diag.help,
                "why": f.diag.why,
            })
        })
        .collect();
    let v = r.verdict;
    let reasons = |list: &[crate::launch::Cause]| -> Vec<Value> {
        list.iter()
            .map(|x| {
                json!({
                    "text": crate::verdict::wording::text(&x.kind, &v.signal),
                    "evidence": x.evidence.as_ref().map(|e| super::evidence_json(r.sources, e)),
                })
            })
            .collect()
    };
    let verdict = json!({
        "stop_signal": v.signal_fate.as_str(),
        "zombies": v.zombies.as_str(),
        "pid1": v.pid1,
        "signal": v.signal,
        "reasons": reasons(&v.reasons),
        "zombie_reasons": reasons(&v.zombie_reasons),
    });
    json!({"version": 1, "target": target, "settings": settings(r), "verdict": verdict, "launch_chain": chain, "findings": findings})
}

/// Where an image came from and what reading it took.
fn image_json(img: &super::ImageInfo) -> Value {
    let st = img.stats.clone().unwrap_or_default();
    let reads: Vec<Value> = st
        .reads
        .iter()
        .map(|r| json!({"digest": r.digest, "read": r.how.name()}))
        .collect();
    json!({
        "source": img.source,
        "platform": img.platform,
        "manifest_digest": img.manifest_digest,
        "layers": st.layers,
        "stored_bytes": st.stored_bytes,
        "uncompressed_bytes": st.tar_bytes,
        "layer_rereads": st.rereads,
        "toc_file_reads": st.toc_reads,
        "layers_skipped": st.skipped(),
        "layer_reads": reads,
    })
}

/// Every launch setting the container ends up with, and where each came from (its
/// provenance: a Dockerfile instruction, an image's config, a flag, or the default).
fn settings(r: &Report<'_>) -> Value {
    let c = r.container;
    let from = |o: &Origin| origin_json(r, o);
    let launch = |l: &Option<crate::model::LaunchSetting>| match l {
        None => Value::Null,
        Some(l) => json!({
            "value": l.argv.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(),
            "shell_form": l.shell_form,
            "from": from(&l.origin),
        }),
    };
    // An unset scalar is the runtime's default, said as such.
    let scalar = |s: Option<&crate::model::Setting<String>>, default: &str| match s {
        None => json!({"value": default, "from": from(&Origin::Default)}),
        Some(s) => json!({"value": s.value, "from": from(&s.origin)}),
    };
    let healthcheck = match &c.healthcheck {
        None => Value::Null,
        Some(h) => json!({
            "value": match &h.value {
                Healthcheck::Test(argv) => json!(argv),
                Healthcheck::Disabled => json!("NONE"),
            },
            "from": from(&h.origin),
        }),
    };
    let env: Vec<Value> = c
        .env
        .iter()
        .map(|v| json!({"name": v.name, "value": v.value, "from": from(&v.origin)}))
        .collect();
    json!({
        "entrypoint": launch(&c.entrypoint),
        "cmd": launch(&c.cmd),
        "stop_signal": scalar(c.stop_signal.as_ref(), "SIGTERM"),
        // No default claimed: a base image initlint did not read may set one.
        "user": c.user.as_ref().map_or(Value::Null, |u| json!({"value": u.value, "from": from(&u.origin)})),
        "workdir": scalar(Some(&c.workdir), "/"),
        "healthcheck": healthcheck,
        "env": env,
        // `--init`, Compose `init: true`: docker-init runs the launch.
        "init": c.init.as_ref().map_or(Value::Null, |o| json!({"value": true, "from": from(o)})),
    })
}

fn origin_json(r: &Report<'_>, o: &Origin) -> Value {
    let mut v = json!({"kind": o.kind()});
    if let Some(key) = o.key() {
        v["key"] = json!(key);
    }
    if let Origin::ImageConfig { image, .. } = o {
        v["image"] = json!(image);
    }
    if let Some(span) = o.span() {
        let (path, line, column, ..) = position(r.sources, span);
        v["path"] = json!(path);
        v["line"] = json!(line);
        v["column"] = json!(column);
    }
    v
}

fn kind_name(k: &StepKind) -> &'static str {
    match k {
        StepKind::ShellString { .. } => "shell-string",
        StepKind::Script { .. } => "script",
        StepKind::Wrapper { program, .. } => match program.role {
            crate::knowledge::Role::ExecWrapper => "exec-wrapper",
            crate::knowledge::Role::Init => "init",
            crate::knowledge::Role::ForkingUserSwitch => "user-switch",
            crate::knowledge::Role::Launcher => "launcher",
            _ => "program",
        },
        StepKind::Interpreter { .. } => "interpreter",
        StepKind::Program { .. } => "program",
        StepKind::Built(_) => "built",
        StepKind::Unknown { .. } => "unknown",
    }
}

fn binary_json(b: &crate::launch::Binary) -> Value {
    let mut out = json!({"path": b.path});
    match &b.facts {
        Ok(f) => {
            out["interpreter"] = json!(f.interpreter);
            out["needed"] = json!(f.needed);
            out["static"] = json!(f.is_static);
            out["libc"] = json!(format!("{:?}", f.libc).to_lowercase());
            out["imports"] = json!(f
                .imports
                .iter()
                .map(|i| match &i.version {
                    Some(v) => format!("{}@{v}", i.name),
                    None => i.name.clone(),
                })
                .collect::<Vec<_>>());
            if let Some(go) = &f.go {
                out["go"] = json!({"version": go.version, "main_module": go.main_module});
            }
            out["rust"] = json!(f.rust);
        }
        Err(e) => out["error"] = json!(e),
    }
    if let Some((name, why)) = &b.identified {
        out["identified"] = json!({"as": name, "by": why});
    }
    out
}
