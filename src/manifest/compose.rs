//! Compose: each service of `services:` is a workload. Its image is `build:` (the Dockerfile
//! in that context: Compose builds it and runs the result) or else `image:`; `entrypoint:`,
//! `command:`, `init:`, `stop_signal:`, `user:`, `working_dir:` and `environment:` go over it.

use std::path::Path;

use super::yaml::{self, Node};
use super::{At, ImageFrom, ManifestError, Reader, Settings, Workload};
use crate::model::Healthcheck;

pub fn workloads(
    r: &Reader<'_>,
    docs: &[Node],
    dir: &Path,
    partial: bool,
) -> Result<Vec<Workload>, ManifestError> {
    let Some(doc) = docs.first() else {
        return Err(ManifestError {
            line: 1,
            column: 1,
            message: "the Compose file is empty".into(),
        });
    };
    let Some(services) = yaml::value(doc, "services") else {
        return Err(r.error(
            doc,
            "no `services:` mapping; is this a Compose file?".into(),
        ));
    };
    let entries = yaml::entries(services);
    if entries.is_empty() {
        return Err(r.error(services, "`services:` has no service".into()));
    }
    entries
        .into_iter()
        .map(|(name, service)| {
            let name = yaml::scalar(name).unwrap_or_default();
            workload(r, &name, service, dir, partial)
        })
        .collect()
}

fn workload(
    r: &Reader<'_>,
    name: &str,
    service: &Node,
    dir: &Path,
    partial: bool,
) -> Result<Workload, ManifestError> {
    let image = match image(r, service, dir) {
        Err(_) if partial => ImageFrom::None(NO_IMAGE.into()),
        image => image?,
    };
    let mut settings = Settings::default();
    if let Some((k, v)) = yaml::get(service, "entrypoint") {
        settings.entrypoint = r.argv("entrypoint", k, v, true)?;
        // `entrypoint: []` or `""` clears the image's ENTRYPOINT (and, as any new one, its CMD).
        if settings.entrypoint.is_none() {
            settings.entrypoint = Some(super::Argv {
                key: "entrypoint",
                words: Vec::new(),
                span: r.span(k, v),
                dropped: None,
            });
        }
    }
    if let Some((k, v)) = yaml::get(service, "command") {
        settings.cmd = r.argv("command", k, v, true)?;
    }
    if let Some((k, v)) = yaml::get(service, "init") {
        let value = yaml::boolean(v).ok_or_else(|| {
            r.error(
                v,
                format!("`init:` must be true or false, not {}", yaml::kind(v)),
            )
        })?;
        settings.init = Some(At {
            value,
            key: "init",
            span: r.span(k, v),
        });
    }
    settings.stop_signal = r.string("stop_signal", service);
    settings.user = r.string("user", service);
    settings.workdir = r.string("working_dir", service);
    settings.grace = r.string("stop_grace_period", service);
    if let Some((_, env)) = yaml::get(service, "environment") {
        settings.env = environment(r, env)?;
    }
    if let Some((k, h)) = yaml::get(service, "healthcheck") {
        settings.healthcheck = healthcheck(r, k, h)?;
    }
    Ok(Workload {
        name: format!("service {name}"),
        image,
        settings,
    })
}

/// What a service of a merged-over file without `image:` or `build:` has: the file below's.
const NO_IMAGE: &str = "the service has neither `image:` nor `build:`";

/// `over` merged over `base`, as Compose merges `-f base -f over`: a service in both takes
/// each setting `over` gives (`image:`/`build:`, `command:`, `entrypoint:` replaced whole),
/// `environment:` merges by name; a service only in `over` is added.
pub fn merge(base: Vec<Workload>, over: Vec<Workload>) -> Vec<Workload> {
    let mut out = base;
    for o in over {
        let Some(b) = out.iter_mut().find(|b| b.name == o.name) else {
            out.push(o);
            continue;
        };
        if !matches!(&o.image, ImageFrom::None(why) if why == NO_IMAGE) {
            b.image = o.image;
        }
        let (s, t) = (&mut b.settings, o.settings);
        s.entrypoint = t.entrypoint.or(s.entrypoint.take());
        s.cmd = t.cmd.or(s.cmd.take());
        s.init = t.init.or(s.init.take());
        s.stop_signal = t.stop_signal.or(s.stop_signal.take());
        s.user = t.user.or(s.user.take());
        s.workdir = t.workdir.or(s.workdir.take());
        s.grace = t.grace.or(s.grace.take());
        s.healthcheck = t.healthcheck.or(s.healthcheck.take());
        s.env
            .retain(|e| !t.env.iter().any(|n| n.value.0 == e.value.0));
        s.env.extend(t.env);
    }
    out
}

fn image(r: &Reader<'_>, service: &Node, dir: &Path) -> Result<ImageFrom, ManifestError> {
    if let Some(build) = yaml::value(service, "build") {
        // `build: ./dir`, or `build: {context, dockerfile, target}`.
        let (context, dockerfile, target) = match yaml::scalar(build) {
            Some(context) => (context, None, None),
            None => {
                if yaml::value(build, "dockerfile_inline").is_some() {
                    return Ok(ImageFrom::None(
                        "the service is built from `dockerfile_inline:`, which initlint does not read".into(),
                    ));
                }
                let get = |k| yaml::value(build, k).and_then(yaml::scalar);
                (
                    get("context").unwrap_or_else(|| ".".into()),
                    get("dockerfile"),
                    get("target"),
                )
            }
        };
        if context.contains("://") || context.starts_with("git@") {
            return Ok(ImageFrom::None(format!(
                "the build context {context} is remote; initlint reads local contexts only"
            )));
        }
        let context = dir.join(context);
        let dockerfile = context.join(dockerfile.unwrap_or_else(|| "Dockerfile".into()));
        return Ok(ImageFrom::Build {
            context,
            dockerfile,
            target,
        });
    }
    match yaml::value(service, "image").and_then(yaml::scalar) {
        Some(reference) => Ok(ImageFrom::Image { reference }),
        None => Err(r.error(
            service,
            "the service has neither `image:` nor `build:`".into(),
        )),
    }
}

/// `healthcheck: {test: …}` (a list as HEALTHCHECK's, or a string run by the shell), or
/// `disable: true`.
fn healthcheck(
    r: &Reader<'_>,
    key: &Node,
    h: &Node,
) -> Result<Option<At<Healthcheck>>, ManifestError> {
    let at = |value| {
        Some(At {
            value,
            key: "healthcheck",
            span: r.span(key, h),
        })
    };
    if yaml::value(h, "disable").and_then(yaml::boolean) == Some(true) {
        return Ok(at(Healthcheck::Disabled));
    }
    let Some(test) = yaml::value(h, "test") else {
        return Ok(None);
    };
    let words: Vec<String> = match yaml::items(test) {
        Some(items) => items.iter().filter_map(yaml::scalar).collect(),
        None => match yaml::scalar(test) {
            Some(s) => vec!["CMD-SHELL".into(), s],
            None => return Err(r.error(test, "`test:` must be a list or a string".into())),
        },
    };
    Ok(Healthcheck::from_test(&words).and_then(at))
}

/// `environment:` as a mapping (`KEY: value`) or a list (`KEY=value`); a name with no value
/// takes the host's, which initlint does not know, and is left out.
fn environment(r: &Reader<'_>, env: &Node) -> Result<Vec<At<(String, String)>>, ManifestError> {
    if let Some(items) = yaml::items(env) {
        return Ok(items
            .iter()
            .filter_map(|item| {
                let kv = yaml::scalar(item)?;
                let (k, v) = kv.split_once('=')?;
                let span = r.loc(item);
                Some(At {
                    value: (k.to_string(), v.to_string()),
                    key: "environment",
                    span,
                })
            })
            .collect());
    }
    Ok(yaml::entries(env)
        .into_iter()
        .filter_map(|(k, v)| {
            let name = yaml::scalar(k)?;
            let value = yaml::scalar(v)?;
            Some(At {
                value: (name, value),
                key: "environment",
                span: r.span(k, v),
            })
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{load, Format, ImageFrom};
    use std::path::Path;

    #[test]
    fn services_with_their_image_and_settings() {
        let text = "x-common: &common\n  init: true\nservices:\n  web:\n    <<: *common\n    build:\n      context: ./web\n      target: prod\n    command: ./handler && echo x\n    environment:\n      - MODE=prod\n  worker:\n    image: app:dev\n    healthcheck:\n      test: curl -f localhost\n    entrypoint: [\"/app/worker\"]\n    stop_signal: SIGINT\n";
        let w = load(Format::Compose, text, Path::new("/p")).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, "service web");
        let ImageFrom::Build {
            context,
            dockerfile,
            target,
        } = &w[0].image
        else {
            panic!("{:?}", w[0].image)
        };
        assert_eq!(context, Path::new("/p/./web"));
        assert_eq!(dockerfile, Path::new("/p/./web/Dockerfile"));
        assert_eq!(target.as_deref(), Some("prod"));
        assert!(w[0].settings.init.as_ref().unwrap().value);
        let cmd = w[0].settings.cmd.as_ref().unwrap();
        assert_eq!(cmd.words.len(), 1);
        let (rest, at) = cmd.dropped.clone().unwrap();
        assert_eq!(rest, "&& echo x");
        assert_eq!(&text[at.range], "&& echo x");
        assert_eq!(w[0].settings.env[0].value, ("MODE".into(), "prod".into()));
        let ep = w[1].settings.entrypoint.as_ref().unwrap();
        assert_eq!(ep.words[0].0, "/app/worker");
        assert_eq!(
            &text[ep.span.range.clone()],
            "entrypoint: [\"/app/worker\"]"
        );
        assert_eq!(w[1].settings.stop_signal.as_ref().unwrap().value, "SIGINT");
        let h = &w[1].settings.healthcheck.as_ref().unwrap().value;
        assert!(matches!(h, crate::model::Healthcheck::Test(a) if a[..2] == ["/bin/sh", "-c"]));
    }

    #[test]
    fn a_file_merged_over_replaces_what_it_gives() {
        let base = "services:\n  web:\n    image: app:1\n    command: [\"a\"]\n    environment: {A: '1', B: '2'}\n";
        let over = "services:\n  web:\n    init: true\n    environment: {B: '3'}\n  extra:\n    image: x\n";
        let dir = Path::new("/");
        let b = super::super::load_file(Format::Compose, base, dir, 0, false).unwrap();
        let o = super::super::load_file(Format::Compose, over, dir, 1, true).unwrap();
        let m = super::merge(b, o);
        assert_eq!(m.len(), 2);
        assert!(matches!(&m[0].image, ImageFrom::Image { reference } if reference == "app:1"));
        let s = &m[0].settings;
        assert_eq!(s.cmd.as_ref().unwrap().span.file, 0);
        assert_eq!(s.init.as_ref().unwrap().span.file, 1);
        let env: Vec<_> = s.env.iter().map(|e| e.value.clone()).collect();
        assert_eq!(env, [("A".into(), "1".into()), ("B".into(), "3".into())]);
    }

    #[test]
    fn what_is_not_a_compose_service_is_said_with_its_place() {
        let e = load(
            Format::Compose,
            "services:\n  web:\n    image: x\n    init: maybe\n",
            Path::new("/"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (4, 11));
        assert!(e.message.contains("true or false"), "{}", e.message);
        let e = load(Format::Compose, "version: '3'\n", Path::new("/")).unwrap_err();
        assert!(e.message.contains("services"), "{}", e.message);
        let e = load(
            Format::Compose,
            "services:\n  web:\n    image: x\n    command: echo 'a\n",
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.message.contains("unterminated"), "{}", e.message);
    }
}
