use super::{label, Context, Diag};

super::rule! {
    code: IL404,
    name: "prestop-program-missing",
    severity: Warning,
    summary: "a Kubernetes preStop exec hook names a program the image does not have: the hook fails, and only an event says so",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some((why, Some(span))) = &ctx.chain.pre_stop_missing else {
        return;
    };
    let Some(hook) = &ctx.container.pre_stop else {
        return;
    };
    let program = hook.argv.first().map_or("", |t| t.value.as_str());
    out.push(Diag {
        step: None,
        primary: label(span.clone(), format!("`{program}` is not in the image")),
        secondary: Vec::new(),
        message: format!("the preStop hook runs `{program}`, which the image does not have"),
        why: super::whys![
            why.clone(),
            "the kubelet runs the hook in the container before it sends the stop signal; a hook that cannot start fails, the kubelet records a FailedPreStopHook event and goes on to the signal",
            "so whatever the hook was for (draining connections, deregistering) never happens, and nothing in the pod's logs says so",
        ],
        help: format!(
            "name a program the image has (a full path), or add `{program}` to the image; for a plain delay, `preStop: {{sleep: {{seconds: N}}}}` needs no program"
        ),
    });
}
