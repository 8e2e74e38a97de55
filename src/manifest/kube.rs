//! Kubernetes: every container of every Pod template in the stream (Pod, Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; a `List` of them). `command:` replaces
//! the image's ENTRYPOINT and drops its CMD; `args:` alone replaces the CMD.

use super::yaml::{self, Node};
use super::{At, ImageFrom, ManifestError, Reader, Settings, Workload};

pub fn workloads(r: &Reader<'_>, docs: &[Node]) -> Result<Vec<Workload>, ManifestError> {
    let mut out = Vec::new();
    for doc in docs {
        object(r, doc, &mut out, 0)?;
    }
    if out.is_empty() {
        return Err(ManifestError {
            line: 1,
            column: 1,
            message: "no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob with containers".into(),
        });
    }
    Ok(out)
}

fn object(
    r: &Reader<'_>,
    doc: &Node,
    out: &mut Vec<Workload>,
    depth: usize,
) -> Result<(), ManifestError> {
    let kind = yaml::value(doc, "kind")
        .and_then(yaml::scalar)
        .unwrap_or_default();
    let name = yaml::value(doc, "metadata")
        .and_then(|m| yaml::value(m, "name"))
        .and_then(yaml::scalar)
        .unwrap_or_else(|| "(unnamed)".into());
    let spec = |path: &[&str]| path.iter().try_fold(doc, |n, k| yaml::value(n, k));
    let pod = match kind.as_str() {
        "Pod" => spec(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => spec(&["spec", "template", "spec"]),
        "CronJob" => spec(&["spec", "jobTemplate", "spec", "template", "spec"]),
        "List" if depth == 0 => {
            for item in spec(&["items"]).and_then(yaml::items).unwrap_or_default() {
                object(r, item, out, 1)?;
            }
            return Ok(());
        }
        _ => None,
    };
    let Some(pod) = pod else { return Ok(()) };
    let grace = r.string("terminationGracePeriodSeconds", pod);
    // The pod's pause is PID 1 of every container: it reaps, and each container's process is
    // signalled where it is, not as PID 1.
    let shared = yaml::get(pod, "shareProcessNamespace")
        .filter(|(_, v)| yaml::boolean(v) == Some(true))
        .map(|(k, v)| At {
            value: true,
            key: "shareProcessNamespace",
            span: r.span(k, v),
        });
    let containers = yaml::value(pod, "containers")
        .and_then(yaml::items)
        .unwrap_or_default();
    for c in containers {
        let cname = yaml::value(c, "name")
            .and_then(yaml::scalar)
            .unwrap_or_default();
        let image = match yaml::value(c, "image").and_then(yaml::scalar) {
            Some(reference) => ImageFrom::Image { reference },
            None => {
                return Err(r.error(
                    c,
                    format!("container {cname} of {kind} {name} has no `image:`"),
                ))
            }
        };
        let mut settings = Settings {
            grace: grace.clone(),
            init: shared.clone(),
            ..Settings::default()
        };
        if let Some((k, v)) = yaml::get(c, "command") {
            settings.entrypoint = r.argv("command", k, v, false)?;
        }
        if let Some((k, v)) = yaml::get(c, "args") {
            settings.cmd = r.argv("args", k, v, false)?;
        }
        settings.workdir = r.string("workingDir", c);
        // KEP-4960: the container's own stop signal.
        if let Some(lifecycle) = yaml::value(c, "lifecycle") {
            settings.stop_signal = r.string("stopSignal", lifecycle);
            let hook = yaml::value(lifecycle, "preStop").and_then(|p| yaml::value(p, "exec"));
            if let Some((k, v)) = hook.and_then(|e| yaml::get(e, "command")) {
                settings.pre_stop = r.argv("preStop", k, v, false)?;
            }
        }
        settings.healthcheck = ["livenessProbe", "readinessProbe", "startupProbe"]
            .into_iter()
            .find_map(|p| probe(r, c, p));
        settings.env = yaml::value(c, "env")
            .and_then(yaml::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let n = yaml::value(e, "name").and_then(yaml::scalar)?;
                let v = yaml::value(e, "value").and_then(yaml::scalar)?;
                Some(At {
                    value: (n, v),
                    key: "env",
                    span: r.loc(e),
                })
            })
            .collect();
        out.push(Workload {
            name: format!("{kind} {name}, container {cname}"),
            image,
            settings,
        });
    }
    Ok(())
}

/// An exec probe: its command runs in the container, beside PID 1, as a child of the
/// runtime's exec (no shell unless the command is one).
fn probe(r: &Reader<'_>, c: &Node, key: &'static str) -> Option<At<crate::model::Healthcheck>> {
    let (k, p) = yaml::get(c, key)?;
    let command = yaml::value(yaml::value(p, "exec")?, "command")?;
    let argv: Vec<String> = yaml::items(command)?
        .iter()
        .filter_map(yaml::scalar)
        .collect();
    (!argv.is_empty()).then(|| At {
        value: crate::model::Healthcheck::Test(argv),
        key,
        span: r.span(k, p),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{load, Format, ImageFrom};
    use std::path::Path;

    #[test]
    fn every_container_of_every_pod_template() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n          command: [\"/app/server\"]\n          lifecycle:\n            stopSignal: SIGUSR1\n          livenessProbe:\n            exec:\n              command: [\"sh\", \"-c\", \"curl -f localhost\"]\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: job\n              image: job:1\n              args: [\"--once\"]\n";
        let w = load(Format::Kubernetes, text, Path::new("/")).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, "Deployment api, container app");
        assert!(matches!(&w[0].image, ImageFrom::Image { reference } if reference == "app:1"));
        assert_eq!(w[0].settings.entrypoint.as_ref().unwrap().key, "command");
        assert!(w[0].settings.cmd.is_none());
        assert_eq!(w[0].settings.stop_signal.as_ref().unwrap().value, "SIGUSR1");
        let probe = w[0].settings.healthcheck.as_ref().unwrap();
        assert_eq!(probe.key, "livenessProbe");
        assert!(matches!(&probe.value, crate::model::Healthcheck::Test(a) if a[0] == "sh"));
        assert_eq!(w[1].settings.cmd.as_ref().unwrap().words[0].0, "--once");
        // A string is no list here: Kubernetes takes none.
        let e = load(
            Format::Kubernetes,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x\n      command: /app/server --x\n",
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.message.contains("list of words"), "{}", e.message);
    }
}
