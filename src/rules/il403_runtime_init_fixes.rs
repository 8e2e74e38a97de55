use super::{label, Context, Diag};

super::rule! {
    code: IL403,
    name: "runtime-init-fixes",
    severity: Info,
    summary: "the runtime's init (`init: true`, `docker run --init`) fixes findings the image has on its own: the image stays wrong wherever it runs without it",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let Some(init) = &ctx.container.init else {
        return;
    };
    if ctx.fixed_by_init.is_empty() {
        return;
    }
    let Some(span) = init.span() else { return };
    let mut codes: Vec<String> = ctx
        .fixed_by_init
        .iter()
        .map(|f| f.code.to_string())
        .collect();
    codes.dedup();
    let list = codes.join(", ");
    let (path, _) = crate::launch::runtime_init(init);
    let mut why = vec![super::Why::from(format!(
        "with {} {path} is PID 1: the stop signal reaches the launch as a process that is not PID 1, and orphans are reaped, so these no longer apply",
        init.describe()
    ))];
    for f in ctx.fixed_by_init {
        why.push(super::Why::from(format!("fixed: {} {}", f.code, f.diag.message)));
    }
    why.push(super::Why::from(
        "the image itself is unchanged: `docker run` without --init, Kubernetes and any other runtime still get these".to_string(),
    ));
    out.push(Diag {
        step: None,
        primary: label(span.clone(), format!("fixes {list}")),
        secondary: Vec::new(),
        message: format!(
            "{} fixes {list} here: the same launch without it has them",
            init.describe()
        ),
        why,
        help: "to fix the image wherever it runs, put the init in it: `ENTRYPOINT [\"tini\", \"--\"]` (or the program's own handler and reaper)".into(),
    });
}
