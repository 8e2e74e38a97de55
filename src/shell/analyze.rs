//! Parse a `-c` string or a script with tree-sitter-bash and find what it ends by running.
//! tree-sitter is error tolerant, so half-broken scripts still give an answer (and say so).

use std::collections::HashMap;
use std::ops::Range;
use tree_sitter::{Node, Parser};

/// Where the terminal command sits; decides whether a shell can exec it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The last statement, a plain command.
    Tail,
    /// The last command of an `a && b` / `a || b` list, or of `a; b`.
    AfterList,
    /// The last command after a background job (`a & b`).
    AfterBackground,
    /// The last command, with redirections.
    Redirected,
    /// Inside `if`/`case`/`{ }`.
    Compound,
    Pipeline,
    Background,
    Subshell,
    Loop,
    Negated,
    /// Not the last thing the shell does: more commands follow.
    FollowedBy,
}

/// A piece of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(String),
    VarDefault(String, String),
    /// `$1`…`$9`.
    Positional(usize),
    /// `"$@"` (quoted: one word per argument).
    AllArgsQuoted,
    /// `$@`, `$*`, `"$*"`: argument values, re-split or joined.
    AllArgsUnquoted,
    /// `$0`.
    Zero,
    /// A command substitution or anything not evaluated statically.
    Dynamic(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordNode {
    pub raw: String,
    pub range: Range<usize>,
    pub parts: Vec<Part>,
}

impl WordNode {
    /// The literal value when the word has no expansions.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }
}

/// The working directory `cd "$(dirname "$0")"` moves to: the script's own directory, which
/// the launch chain knows (the script's path), not the analysis.
pub const SCRIPT_DIR: &str = "$(dirname \"$0\")";

/// `"$(dirname "$0")"`, `"$(dirname -- "$0")"`, `` `dirname $0` `` (also through `readlink -f` or
/// `realpath`, which only resolve links): the script's directory.
fn script_dir(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | ' '))
        .collect();
    let inner = compact
        .strip_prefix("$(")
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| compact.strip_prefix('`').and_then(|r| r.strip_suffix('`')))?;
    let arg = inner.strip_prefix("dirname")?;
    let arg = arg.strip_prefix("--").unwrap_or(arg);
    let zero = [
        "$0",
        "${0}",
        "$(readlink-f$0)",
        "$(readlink-f--$0)",
        "$(realpath$0)",
        "$(realpath--$0)",
    ];
    zero.contains(&arg).then(|| SCRIPT_DIR.to_string())
}

/// A command that runs a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    /// The command's words; `exec` itself removed when `explicit_exec`.
    pub words: Vec<WordNode>,
    pub range: Range<usize>,
    pub explicit_exec: bool,
}

impl Cmd {
    pub fn name(&self) -> Option<String> {
        self.words.first().and_then(WordNode::literal)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// The command the shell ends by running, and where it sits.
    Command { cmd: Cmd, place: Position },
    /// `app & … wait`: the shell stays, waiting on a background job.
    BackgroundWait { job: Cmd, wait: Range<usize> },
    /// Nothing but builtins (`echo`, `exit`, …).
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// Normalised names: `SIGTERM`, `EXIT`.
    pub signals: Vec<String>,
    pub range: Range<usize>,
    /// The trap's action as written (`kill -TERM "$pid"; wait`, `exit 0`, a function name).
    pub action: String,
    /// What the action runs: the action, or the body of the function it names.
    pub runs: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellFacts {
    pub terminal: Option<Terminal>,
    /// Other branches' terminal commands (`if … exec a; else b; fi`), for scripts.
    pub alternatives: Vec<Terminal>,
    pub traps: Vec<Trap>,
    /// `set -- …` at the top level before the terminal, in order.
    pub set_args: Vec<Vec<WordNode>>,
    /// `set -- PROGRAM… "$@"` inside a top-level `if`: the official images' "first argument is
    /// an option or not a command" rule (node, postgres, redis, mysql entrypoints). The words
    /// before `"$@"`.
    pub conditional_prepends: Vec<Vec<WordNode>>,
    /// The parser had to recover from syntax errors: results are best effort.
    pub syntax_errors: bool,
    /// The text was not analysed, and why, at this byte: it nests deeper than
    /// [`MAX_NESTING`] (the walks recurse once per level), is larger than [`MAX_TEXT`], or did
    /// not parse within [`PARSE_DEADLINE`].
    pub refused: Option<(usize, String)>,
    /// The directory a literal `cd DIR` at the top level (or in an `&&` list) changes to
    /// before the terminal command, as written (relative to the working directory or not).
    pub cwd: Option<String>,
}

/// Commands that never become the long-running program.
const TRIVIAL: &[&str] = &[
    "echo", "printf", "exit", "return", "true", "false", ":", "set", "export", "unset", "shift",
    "cd", "trap", "local", "readonly", "umask", "ulimit", "[", "[[", "test", "source", ".",
    "declare", "typeset", "eval", "shopt", "wait", "mkdir", "chown", "chmod", "ln", "rm", "cp",
    "mv", "touch", "sed", "envsubst", "id", "whoami", "sleep",
];

/// Syntax nesting analysed at most: real scripts stay far below; hostile ones (`a && a && …`,
/// `$( $( … ) )`) would otherwise overflow the stack.
pub const MAX_NESTING: usize = 400;
/// Shell text analysed at most (a shell-form string or a script).
pub const MAX_TEXT: usize = 1 << 20;
/// tree-sitter's error recovery is super-linear on some input (`${${${…`): parsing stops here.
pub const PARSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The byte where the tree first nests deeper than `max`, walked with a cursor (no recursion).
fn too_deep(root: Node<'_>, max: usize) -> Option<usize> {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        if depth > max {
            return Some(cursor.node().start_byte());
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
            depth -= 1;
        }
    }
}

pub fn analyze(source: &str) -> ShellFacts {
    analyze_in(source, None)
}

/// The container's environment as a script starts in it: a variable's value (`Some(None)`
/// when it is unset), or `None` when that is not known (a base image that was not read).
pub type Env<'e> = &'e dyn Fn(&str) -> Option<Option<String>>;

/// [`analyze`], for a script that runs in a container whose environment is known: an `if`
/// whose condition only tests variables the script never assigns (`[ -n "$VAR" ]`, `[ "$VAR"
/// = x ]`, `&&`, `||`, `!`) takes the branch that environment takes, as it runs unless
/// `docker run -e` sets more.
pub fn analyze_in(source: &str, env: Option<Env<'_>>) -> ShellFacts {
    let mut parser = Parser::new();
    if parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .is_err()
    {
        return ShellFacts::default();
    }
    let refused = |at: usize, why: String| ShellFacts {
        refused: Some((at, why)),
        ..ShellFacts::default()
    };
    if source.len() > MAX_TEXT {
        return refused(
            0,
            format!(
                "is {} bytes, more than the {} MiB initlint analyses",
                source.len(),
                MAX_TEXT >> 20
            ),
        );
    }
    let start = std::time::Instant::now();
    let mut past_deadline = |_: &tree_sitter::ParseState| start.elapsed() > PARSE_DEADLINE;
    let bytes = source.as_bytes();
    let tree = parser.parse_with_options(
        &mut |i, _| bytes.get(i..).unwrap_or_default(),
        None,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut past_deadline)),
    );
    let Some(tree) = tree else {
        return refused(
            0,
            format!("did not parse within {} s", PARSE_DEADLINE.as_secs()),
        );
    };
    let root = tree.root_node();
    if let Some(at) = too_deep(root, MAX_NESTING) {
        return refused(at, format!("nests more than {MAX_NESTING} levels deep"));
    }
    let mut a = Walker {
        src: source,
        env,
        assigned: std::cell::OnceCell::new(),
        functions: HashMap::new(),
        analysis: ShellFacts {
            syntax_errors: root.has_error(),
            ..ShellFacts::default()
        },
        depth: 0,
    };
    a.collect_functions(root);
    a.collect_traps(root);
    let stmts = statements(root);
    a.collect_set_args(&stmts);
    let mut terminals = a.body_terminals(&stmts, Position::Tail);
    let before = terminals.first().and_then(|t| match t {
        Terminal::Command { cmd, .. } => Some(cmd.range.start),
        Terminal::BackgroundWait { job, .. } => Some(job.range.start),
        Terminal::Nothing => None,
    });
    if let Some(end) = before {
        for (n, _) in &stmts {
            a.collect_cd(*n, end);
        }
    }
    if !terminals.is_empty() {
        let pick = pick_representative(&terminals);
        let t = terminals.remove(pick);
        a.analysis.terminal = Some(t);
        a.analysis.alternatives = terminals;
    } else {
        a.analysis.terminal = Some(Terminal::Nothing);
    }
    a.analysis
}

/// Among branch terminals, report the one that is a problem (a foreground command without exec)
/// first; else the one that execs the container's arguments (`exec "$@"`); else the last.
fn pick_representative(ts: &[Terminal]) -> usize {
    let non_exec = ts.iter().position(|t| {
        matches!(t, Terminal::Command { cmd, .. } if !cmd.explicit_exec)
            || matches!(t, Terminal::BackgroundWait { .. })
    });
    let uses_args = ts.iter().position(|t| {
        matches!(t, Terminal::Command { cmd, .. } if cmd.words.iter().any(|w| w.parts.contains(&Part::AllArgsQuoted)))
    });
    non_exec.or(uses_args).unwrap_or(ts.len() - 1)
}

struct Walker<'s, 't> {
    src: &'s str,
    env: Option<Env<'s>>,
    /// What [`Walker::assigns`] reads, found in one pass when first asked.
    assigned: std::cell::OnceCell<(bool, std::collections::HashSet<String>)>,
    functions: HashMap<String, Node<'t>>,
    analysis: ShellFacts,
    depth: usize,
}

/// A statement node and whether it was followed by `&`.
type Stmt<'t> = (Node<'t>, bool);

fn statements(node: Node<'_>) -> Vec<Stmt<'_>> {
    let mut out: Vec<Stmt<'_>> = Vec::new();
    let mut cursor = node.walk();
    let mut after_then = !matches!(node.kind(), "if_statement" | "elif_clause");
    let mut after_paren = node.kind() != "case_item";
    for (i, child) in node.children(&mut cursor).enumerate() {
        let field = u32::try_from(i)
            .ok()
            .and_then(|i| node.field_name_for_child(i));
        match child.kind() {
            "then" => after_then = true,
            ")" => after_paren = true,
            "&" => {
                if let Some(last) = out.last_mut() {
                    last.1 = true;
                }
            }
            "comment" | "elif_clause" | "else_clause" => {}
            _ if !child.is_named() || !after_then || !after_paren => {}
            _ if matches!(field, Some("condition" | "value" | "name")) => {}
            _ => out.push((child, false)),
        }
    }
    out
}

impl<'s, 't> Walker<'s, 't> {
    fn text(&self, n: Node<'_>) -> &'s str {
        self.src.get(n.byte_range()).unwrap_or("")
    }

    fn collect_functions(&mut self, root: Node<'t>) {
        for (n, _) in statements(root) {
            if n.kind() == "function_definition" {
                if let (Some(name), Some(body)) =
                    (n.child_by_field_name("name"), n.child_by_field_name("body"))
                {
                    self.functions.insert(self.text(name).to_string(), body);
                }
            }
        }
    }

    fn collect_traps(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.kind() == "command" {
                if let Some(cmd) = self.command(child) {
                    if cmd.name().as_deref() == Some("trap") {
                        self.add_trap(&cmd);
                    }
                }
            }
            self.collect_traps(child);
        }
    }

    fn add_trap(&mut self, cmd: &Cmd) {
        let mut words: Vec<String> = cmd
            .words
            .iter()
            .skip(1)
            .map(|w| w.literal().unwrap_or_else(|| w.raw.clone()))
            .collect();
        if words.first().is_some_and(|w| w == "--") {
            words.remove(0);
        }
        if words.first().is_some_and(|w| w == "-p" || w == "-l") || words.len() < 2 {
            return;
        }
        // `trap - TERM` restores the default: not a handler.
        if words[0] == "-" {
            return;
        }
        let signals = words[1..]
            .iter()
            .filter_map(|s| match s.to_ascii_uppercase().as_str() {
                "EXIT" | "0" => Some("EXIT".to_string()),
                other => crate::knowledge::signals::normalize(other),
            })
            .collect();
        self.analysis.traps.push(Trap {
            signals,
            range: cmd.range.clone(),
            // `trap on_term TERM`: the function's body is what runs.
            runs: match self.functions.get(&words[0]) {
                Some(body) => self.text(*body).to_string(),
                None => words[0].clone(),
            },
            action: words[0].clone(),
        });
    }

    /// `cd DIR` before byte `end`, at the top level or inside `a && b` lists; later ones are
    /// joined onto earlier ones (`cd /srv && cd app` → /srv/app). Lists nest one level per
    /// `&&`, so they are walked with a stack, not by recursion.
    fn collect_cd(&mut self, n: Node<'_>, end: usize) {
        let mut stack = vec![n];
        while let Some(n) = stack.pop() {
            if n.start_byte() >= end {
                continue;
            }
            match n.kind() {
                "list" => {
                    let mut cursor = n.walk();
                    let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
                    // In source order: the stack pops the last pushed first.
                    stack.extend(children.into_iter().rev());
                }
                "command" => self.cd(n),
                _ => {}
            }
        }
    }

    fn cd(&mut self, n: Node<'_>) {
        let Some(cmd) = self.command(n) else { return };
        if cmd.name().as_deref() != Some("cd") {
            return;
        }
        // `cd -P -- DIR`: the options and `--` before the directory.
        let word = cmd.words.iter().skip(1).find(|w| {
            !matches!(
                w.literal().as_deref(),
                Some("-P" | "-L" | "-e" | "-@" | "--")
            )
        });
        let dir = word.and_then(|w| w.literal().or_else(|| script_dir(&w.raw)));
        self.analysis.cwd = match (self.analysis.cwd.take(), dir) {
            (Some(prev), Some(d)) if !d.starts_with('/') && !d.starts_with(SCRIPT_DIR) => {
                Some(format!("{prev}/{d}"))
            }
            (_, Some(d)) => Some(d),
            // `cd "$X"`, `cd` alone: the directory is no longer known.
            (_, None) => None,
        };
    }

    fn collect_set_args(&mut self, stmts: &[Stmt<'_>]) {
        for (n, _) in stmts {
            match n.kind() {
                "command" => {
                    if let Some(words) = self.set_dashdash(*n) {
                        self.analysis.set_args.push(words);
                    }
                }
                "if_statement" => {
                    for body in branches(*n) {
                        for (c, _) in statements(body) {
                            let Some(words) = self.set_dashdash(c) else {
                                continue;
                            };
                            if let [prefix @ .., last] = words.as_slice() {
                                if !prefix.is_empty() && last.parts == [Part::AllArgsQuoted] {
                                    self.analysis.conditional_prepends.push(prefix.to_vec());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The words after `set --`, when `n` is that command.
    fn set_dashdash(&self, n: Node<'_>) -> Option<Vec<WordNode>> {
        if n.kind() != "command" {
            return None;
        }
        let cmd = self.command(n)?;
        (cmd.name().as_deref() == Some("set")
            && cmd.words.get(1).and_then(WordNode::literal).as_deref() == Some("--"))
        .then(|| cmd.words[2..].to_vec())
    }

    /// The terminal command(s) of a statement list.
    fn body_terminals(&mut self, stmts: &[Stmt<'t>], place: Position) -> Vec<Terminal> {
        // The last statement that does real work decides; a background job followed by
        // `wait` is the forwarding pattern.
        let mut last_real: Option<usize> = None;
        let mut saw_wait_after_bg = None;
        let mut bg: Option<Cmd> = None;
        for (i, (n, background)) in stmts.iter().enumerate() {
            if *background {
                if let Some(c) = self.first_command(*n) {
                    bg = Some(c);
                }
                last_real = Some(i);
                continue;
            }
            if let Some(name) = self.simple_name(*n) {
                if name == "wait" && bg.is_some() {
                    saw_wait_after_bg = Some(n.byte_range());
                    last_real = Some(i);
                    continue;
                }
                // `sleep` is skipped on the way (`sleep 2; exec app`), but as the last statement
                // it is the program the shell ends by running (`echo ready; sleep infinity`):
                // busybox ash execs it, even after a background job (measured).
                let keeps_alive = name == "sleep" && i + 1 == stmts.len();
                if self.is_trivial(*n, &name) && !keeps_alive {
                    continue;
                }
            } else if matches!(
                n.kind(),
                "function_definition"
                    | "variable_assignment"
                    | "declaration_command"
                    | "test_command"
                    | "unset_command"
                    | "variable_assignments"
            ) {
                continue;
            }
            last_real = Some(i);
        }
        let Some(i) = last_real else {
            return Vec::new();
        };
        let (node, background) = stmts[i];
        if let (Some(wait), Some(job)) = (saw_wait_after_bg, bg.clone()) {
            if i == stmts.len() - 1 || stmts[i..].iter().all(|(n, _)| self.is_trivial_stmt(*n)) {
                return vec![Terminal::BackgroundWait { job, wait }];
            }
        }
        let followed = stmts[i + 1..].iter().any(|(n, _)| self.runs_after(*n));
        let place = if background {
            Position::Background
        } else if followed {
            Position::FollowedBy
        } else if place == Position::Tail && stmts[..i].iter().any(|(_, bg)| *bg) {
            Position::AfterBackground
        } else if place == Position::Tail && i > 0 {
            Position::AfterList
        } else {
            place
        };
        self.statement_terminals(node, place)
    }

    /// Statements that still run after the candidate, so the shell cannot have exec'd it.
    /// (`exit` and plain `echo` still need the shell.)
    fn runs_after(&self, n: Node<'_>) -> bool {
        !matches!(n.kind(), "function_definition" | "comment")
    }

    fn is_trivial_stmt(&self, n: Node<'_>) -> bool {
        self.simple_name(n)
            .is_some_and(|name| self.is_trivial(n, &name))
    }

    fn is_trivial(&self, n: Node<'_>, name: &str) -> bool {
        if self.functions.contains_key(name) {
            return false;
        }
        if name == "exec" {
            // `exec >log 2>&1` only redirects.
            return self.command(n).is_some_and(|c| c.words.is_empty());
        }
        TRIVIAL.contains(&name)
    }

    /// The command name of a plain (possibly redirected) command statement.
    fn simple_name(&self, n: Node<'_>) -> Option<String> {
        let n = if n.kind() == "redirected_statement" {
            n.child_by_field_name("body")?
        } else {
            n
        };
        if n.kind() != "command" {
            return None;
        }
        let name = n.child_by_field_name("name")?;
        Some(self.text(name).to_string())
    }

    fn first_command(&self, n: Node<'_>) -> Option<Cmd> {
        if n.kind() == "command" {
            return self.command(n);
        }
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
        children.into_iter().find_map(|c| self.first_command(c))
    }

    fn statement_terminals(&mut self, n: Node<'t>, place: Position) -> Vec<Terminal> {
        let inner = |p: Position, strongest: Position| match p {
            Position::Tail
            | Position::AfterList
            | Position::AfterBackground
            | Position::Redirected => strongest,
            other => other,
        };
        match n.kind() {
            "command" => {
                let Some(cmd) = self.command(n) else {
                    return Vec::new();
                };
                if let Some(body) = cmd.name().and_then(|n| self.functions.get(&n).copied()) {
                    if self.depth < 8 {
                        return self.function_terminals(body, place);
                    }
                }
                vec![Terminal::Command { cmd, place }]
            }
            "redirected_statement" => match n.child_by_field_name("body") {
                Some(body) => self.statement_terminals(body, inner(place, Position::Redirected)),
                None => Vec::new(),
            },
            "list" => {
                let mut cursor = n.walk();
                let last = n.named_children(&mut cursor).last();
                match last {
                    Some(last) => self.statement_terminals(last, inner(place, Position::AfterList)),
                    None => Vec::new(),
                }
            }
            "pipeline" => {
                let mut cursor = n.walk();
                let last = n.named_children(&mut cursor).last();
                match last {
                    Some(last) => self.statement_terminals(last, Position::Pipeline),
                    None => Vec::new(),
                }
            }
            "negated_command" => self.children_terminals(n, Position::Negated),
            "subshell" => {
                let stmts = statements(n);
                self.body_terminals(&stmts, Position::Subshell)
            }
            "compound_statement" => {
                let stmts = statements(n);
                self.body_terminals(&stmts, inner(place, Position::Compound))
            }
            "if_statement" | "case_statement" => {
                let mut out = Vec::new();
                for body in branches(n) {
                    let taken = self.branch_taken(body);
                    if taken == Some(false) {
                        continue;
                    }
                    let stmts = statements(body);
                    out.extend(self.body_terminals(&stmts, inner(place, Position::Compound)));
                    // The environment decides this branch: the later ones never run.
                    if taken == Some(true) {
                        break;
                    }
                }
                out
            }
            "while_statement" | "for_statement" | "c_style_for_statement" => {
                match n.child_by_field_name("body") {
                    Some(body) => {
                        let stmts = statements(body);
                        self.body_terminals(&stmts, Position::Loop)
                    }
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Whether the container's environment takes this branch of an `if` (`else`: yes, once
    /// reached); `None` when it cannot be said.
    fn branch_taken(&self, branch: Node<'_>) -> Option<bool> {
        self.env?;
        let conditions: Vec<Node<'_>> = match branch.kind() {
            "if_statement" => {
                let mut cursor = branch.walk();
                let mut out = Vec::new();
                for (i, c) in branch.children(&mut cursor).enumerate() {
                    let field = u32::try_from(i)
                        .ok()
                        .and_then(|i| branch.field_name_for_child(i));
                    if c.is_named() && field == Some("condition") {
                        out.push(c);
                    }
                }
                out
            }
            "elif_clause" => {
                let mut cursor = branch.walk();
                let mut out = Vec::new();
                for c in branch.children(&mut cursor) {
                    if c.kind() == "then" {
                        break;
                    }
                    if c.is_named() && c.kind() != "comment" {
                        out.push(c);
                    }
                }
                out
            }
            "else_clause" => return Some(true),
            _ => return None,
        };
        match conditions.as_slice() {
            [one] => self.condition(*one, 0),
            _ => None,
        }
    }

    /// A condition's value: tests of variables the script never assigns, combined with
    /// `&&`, `||` and `!`.
    fn condition(&self, n: Node<'_>, depth: usize) -> Option<bool> {
        if depth > 16 {
            return None;
        }
        match n.kind() {
            "list" => {
                let kids = named(n);
                let mut cursor = n.walk();
                let op = n
                    .children(&mut cursor)
                    .find(|c| matches!(c.kind(), "&&" | "||"))?
                    .kind();
                let [a, b] = kids.as_slice() else { return None };
                let (a, b) = (self.condition(*a, depth + 1), self.condition(*b, depth + 1));
                match op {
                    "&&" => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    _ => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                }
            }
            "negated_command" => named(n)
                .first()
                .and_then(|c| self.condition(*c, depth + 1))
                .map(|v| !v),
            "test_command" => match named(n).as_slice() {
                [e] => self.test(*e),
                _ => None,
            },
            _ => None,
        }
    }

    /// `-n W`, `-z W`, `W = W`, `W != W` (also `==`), with words the environment decides.
    fn test(&self, e: Node<'_>) -> Option<bool> {
        let mut cursor = e.walk();
        let kids: Vec<Node<'_>> = e.named_children(&mut cursor).collect();
        match e.kind() {
            "unary_expression" => {
                let [op, w] = kids.as_slice() else {
                    return None;
                };
                let v = self.value(*w)?;
                match self.text(*op) {
                    "-n" => Some(!v.is_empty()),
                    "-z" => Some(v.is_empty()),
                    _ => None,
                }
            }
            "binary_expression" => {
                let left = e.child_by_field_name("left")?;
                let right = e.child_by_field_name("right")?;
                let op = e.child_by_field_name("operator")?;
                let (l, r) = (self.value(left)?, self.value(right)?);
                match self.text(op) {
                    "=" | "==" => Some(l == r),
                    "!=" => Some(l != r),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A word's value in the container's environment: literals and variables the script
    /// never assigns (so the environment's value, or empty).
    fn value(&self, n: Node<'_>) -> Option<String> {
        let env = self.env?;
        // The right of `!=`/`==` parses as a pattern: a literal one is its text.
        if n.kind() == "extglob_pattern" {
            let t = self.text(n);
            return (!t.contains(['*', '?', '[', '(', '$', '\\'])).then(|| t.to_string());
        }
        let mut parts = Vec::new();
        self.parts(n, false, &mut parts);
        let mut out = String::new();
        for p in parts {
            match p {
                Part::Lit(l) => out.push_str(&l),
                Part::Var(v) if !self.assigns(&v) => out.push_str(&env(&v)?.unwrap_or_default()),
                Part::VarDefault(v, d) if !self.assigns(&v) => {
                    out.push_str(&env(&v)?.filter(|x| !x.is_empty()).unwrap_or(d))
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// The script may set `name` itself (`NAME=`, `export NAME`, `read NAME`, `for NAME`,
    /// `${NAME:=…}`, `local`, `declare`; with `getopts` anywhere, any name): its value is
    /// then not the environment's.
    fn assigns(&self, name: &str) -> bool {
        let (getopts, names) = self.assigned.get_or_init(|| assigned_names(self.src));
        *getopts || names.contains(name)
    }

    fn children_terminals(&mut self, n: Node<'t>, place: Position) -> Vec<Terminal> {
        let mut cursor = n.walk();
        let children: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
        children
            .into_iter()
            .flat_map(|c| self.statement_terminals(c, place))
            .collect()
    }

    fn function_terminals(&mut self, body: Node<'t>, place: Position) -> Vec<Terminal> {
        self.depth += 1;
        let stmts = statements(body);
        // A function called last is as good as inlined there.
        let place = if place == Position::AfterList {
            Position::Tail
        } else {
            place
        };
        let out = self.body_terminals(&stmts, place);
        self.depth -= 1;
        out
    }

    /// A `command` node as words. `exec` is folded into `explicit_exec`.
    fn command(&self, n: Node<'_>) -> Option<Cmd> {
        let mut words = Vec::new();
        let mut cursor = n.walk();
        for (i, child) in n.children(&mut cursor).enumerate() {
            let field = u32::try_from(i)
                .ok()
                .and_then(|i| n.field_name_for_child(i));
            match field {
                Some("name") | Some("argument") => words.push(self.word(child)),
                _ => {}
            }
        }
        let mut explicit_exec = false;
        if words.first().and_then(WordNode::literal).as_deref() == Some("exec") {
            explicit_exec = true;
            words.remove(0);
            // exec's own options: -a NAME, -c, -l.
            while let Some(opt) = words.first().and_then(WordNode::literal) {
                match opt.as_str() {
                    "-a" => {
                        words.drain(..words.len().min(2));
                    }
                    "-c" | "-l" | "-cl" | "-lc" | "--" => {
                        words.remove(0);
                    }
                    _ => break,
                }
            }
        }
        Some(Cmd {
            words,
            range: n.byte_range(),
            explicit_exec,
        })
    }

    fn word(&self, n: Node<'_>) -> WordNode {
        let mut parts = Vec::new();
        self.parts(n, false, &mut parts);
        WordNode {
            raw: self.text(n).to_string(),
            range: n.byte_range(),
            parts,
        }
    }

    fn parts(&self, n: Node<'_>, quoted: bool, out: &mut Vec<Part>) {
        let text = self.text(n);
        match n.kind() {
            "command_name" | "concatenation" => {
                let mut cursor = n.walk();
                for c in n.named_children(&mut cursor) {
                    self.parts(c, quoted, out);
                }
                if n.named_child_count() == 0 {
                    out.push(Part::Lit(unescape(text)));
                }
            }
            "word" | "number" => out.push(Part::Lit(if quoted {
                text.to_string()
            } else {
                unescape(text)
            })),
            "raw_string" => out.push(Part::Lit(
                text.trim_start_matches('\'')
                    .trim_end_matches('\'')
                    .to_string(),
            )),
            "string_content" => out.push(Part::Lit(
                text.replace("\\\"", "\"")
                    .replace("\\\\", "\\")
                    .replace("\\$", "$"),
            )),
            "string" => {
                let mut cursor = n.walk();
                let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
                if children.is_empty() {
                    out.push(Part::Lit(String::new()));
                }
                for c in children {
                    self.parts(c, true, out);
                }
            }
            "simple_expansion" | "expansion" => out.push(expansion(text, quoted)),
            _ => out.push(Part::Dynamic(text.to_string())),
        }
    }
}

fn expansion(text: &str, quoted: bool) -> Part {
    let inner = text
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    match inner {
        "@" if quoted => Part::AllArgsQuoted,
        "@" | "*" => Part::AllArgsUnquoted,
        "0" => Part::Zero,
        _ => {
            if let Ok(n) = inner.parse::<usize>() {
                return Part::Positional(n);
            }
            let is_name =
                |s: &str| !s.is_empty() && s.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
            if is_name(inner) {
                return Part::Var(inner.to_string());
            }
            if let Some((name, default)) = inner.split_once(":-").or_else(|| inner.split_once('-'))
            {
                if is_name(name) && !default.contains('$') {
                    return Part::VarDefault(name.to_string(), default.to_string());
                }
            }
            Part::Dynamic(text.to_string())
        }
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The bodies of an `if`/`case`: the node itself (its consequence), elif/else clauses, case items.
/// Every name the script may assign, in one pass over its identifiers (bounded by the
/// script's size, whatever a hostile one repeats), and whether it uses `getopts`.
fn assigned_names(src: &str) -> (bool, std::collections::HashSet<String>) {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = src.as_bytes();
    let mut names = std::collections::HashSet::new();
    let mut getopts = false;
    let mut prev_word = "";
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphabetic() || b[i] == b'_') || (i > 0 && ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && ident(b[i]) {
            i += 1;
        }
        let word = &src[start..i];
        let after = &src[i..];
        getopts |= word == "getopts";
        let assigned = after.starts_with('=')
            || after.starts_with("+=")
            || after.starts_with(":=")
            || matches!(prev_word, "export" | "read" | "for" | "local" | "declare");
        if assigned {
            names.insert(word.to_string());
        }
        prev_word = word;
    }
    (getopts, names)
}

fn named<'a>(n: Node<'a>) -> Vec<Node<'a>> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor).collect()
}

fn branches(n: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    if n.kind() == "if_statement" {
        out.push(n);
    }
    let mut cursor = n.walk();
    for c in n.named_children(&mut cursor) {
        if matches!(c.kind(), "elif_clause" | "else_clause" | "case_item") {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn term(s: &str) -> (Option<String>, Position, bool) {
        match analyze(s).terminal {
            Some(Terminal::Command { cmd, place }) => (cmd.name(), place, cmd.explicit_exec),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn places() {
        assert_eq!(term("app"), (Some("app".into()), Position::Tail, false));
        assert_eq!(
            term("VAR=x app --f"),
            (Some("app".into()), Position::Tail, false)
        );
        assert_eq!(
            term("a && app"),
            (Some("app".into()), Position::AfterList, false)
        );
        assert_eq!(
            term("a; app"),
            (Some("app".into()), Position::AfterList, false)
        );
        assert_eq!(
            term("app > log"),
            (Some("app".into()), Position::Redirected, false)
        );
        assert_eq!(
            term("if true; then app; fi"),
            (Some("app".into()), Position::Compound, false)
        );
        assert_eq!(
            term("app | tee log"),
            (Some("tee".into()), Position::Pipeline, false)
        );
        assert_eq!(
            term("app &"),
            (Some("app".into()), Position::Background, false)
        );
        assert_eq!(term("exec app"), (Some("app".into()), Position::Tail, true));
        assert_eq!(
            term("a && exec app"),
            (Some("app".into()), Position::AfterList, true)
        );
        assert_eq!(
            term("app; echo done"),
            (Some("app".into()), Position::FollowedBy, false)
        );
        assert_eq!(
            term("( app )"),
            (Some("app".into()), Position::Subshell, false)
        );
    }

    #[test]
    fn exec_redirect_only_is_not_the_program() {
        assert_eq!(
            term("exec >/dev/null 2>&1\napp"),
            (Some("app".into()), Position::AfterList, false)
        );
    }

    #[test]
    fn functions_are_followed() {
        let (name, _, exec) = term("run() {\n  exec gosu app \"$@\"\n}\nrun \"$@\"\n");
        assert_eq!(name.as_deref(), Some("gosu"));
        assert!(exec);
    }

    #[test]
    fn background_wait_and_traps() {
        let a = analyze("trap 'kill -TERM $pid' TERM INT\napp &\npid=$!\nwait $pid\n");
        assert!(matches!(a.terminal, Some(Terminal::BackgroundWait { .. })));
        assert_eq!(a.traps[0].signals, vec!["SIGTERM", "SIGINT"]);
    }

    #[test]
    fn branches_prefer_the_problem() {
        let a = analyze("if [ \"$1\" = x ]; then exec a; else b; fi\n");
        assert!(
            matches!(a.terminal, Some(Terminal::Command { ref cmd, .. }) if cmd.name().as_deref() == Some("b"))
        );
        assert_eq!(a.alternatives.len(), 1);
    }

    #[test]
    fn the_environment_takes_its_branch() {
        // minio's entrypoint: without MINIO_USERNAME, the else branch execs.
        let script = "f() {\n  if [ -n \"${MINIO_USERNAME}\" ] && [ -n \"$MINIO_GROUPNAME\" ]; then\n    chroot --userspec=x / \"$@\"\n  else\n    exec \"$@\"\n  fi\n}\nf \"$@\"\n";
        let name = |a: &ShellFacts| match &a.terminal {
            Some(Terminal::Command { cmd, .. }) => (cmd.name(), cmd.explicit_exec),
            other => panic!("{other:?}"),
        };
        let unset = |_: &str| Some(None);
        let a = analyze_in(script, Some(&unset));
        assert!(name(&a).1, "{a:?}");
        assert!(a.alternatives.is_empty());
        // Set: the chroot branch, which stays the parent.
        let set = |_: &str| Some(Some("minio".to_string()));
        assert_eq!(
            name(&analyze_in(script, Some(&set))).0.as_deref(),
            Some("chroot")
        );
        // Unknown (an unread base): both branches, the problem first, as without an env.
        let unknown = |_: &str| None;
        let a = analyze_in(script, Some(&unknown));
        assert_eq!(name(&a).0.as_deref(), Some("chroot"));
        assert_eq!(a.alternatives.len(), 1);
        // A variable the script assigns is not the environment's.
        let assigned = "MODE=dev\nif [ \"$MODE\" = prod ]; then exec a; else b; fi\n";
        assert_eq!(
            name(&analyze_in(assigned, Some(&unset))).0.as_deref(),
            Some("b")
        );
        assert_eq!(analyze_in(assigned, Some(&unset)).alternatives.len(), 1);
        // `=`, `!=`, `-z`, `!` and elif.
        let elif = "if [ -z \"$A\" ]; then exec a; elif [ \"$B\" != x ]; then exec b; else c; fi\n";
        let b_is = |v: &str| {
            let v = v.to_string();
            move |n: &str| Some((n == "A" || n == "B").then(|| v.clone()))
        };
        assert_eq!(
            name(&analyze_in(elif, Some(&b_is("1")))).0.as_deref(),
            Some("b")
        );
        assert_eq!(
            name(&analyze_in(elif, Some(&b_is("x")))).0.as_deref(),
            Some("c")
        );
        assert_eq!(
            name(&analyze_in(elif, Some(&unset))).0.as_deref(),
            Some("a")
        );
    }

    #[test]
    fn assigned_names_in_one_pass() {
        let (getopts, names) =
            assigned_names("export A\nB=1\nread C\nfor D in x; do :; done\nE+=y\n[ \"$F\" = 1 ]\n");
        assert!(!getopts);
        for n in ["A", "B", "C", "D", "E"] {
            assert!(names.contains(n), "{n}: {names:?}");
        }
        assert!(!names.contains("F"));
        assert!(assigned_names("while getopts ab o; do :; done").0);
    }

    #[test]
    fn exec_args_in_if() {
        let a = analyze("if [ \"$1\" = serve ]; then\n  exec gosu app \"$@\"\nfi\nexec \"$@\"\n");
        match a.terminal {
            Some(Terminal::Command { cmd, .. }) => {
                assert!(cmd.explicit_exec);
                assert_eq!(cmd.words[0].parts, vec![Part::AllArgsQuoted]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_conditional_prepend_is_recorded_apart() {
        // node's docker-entrypoint.sh
        let node = "#!/bin/sh\nset -e\nif [ \"${1#-}\" != \"${1}\" ] || [ -z \"$(command -v \"${1}\")\" ] || { [ -f \"${1}\" ] && ! [ -x \"${1}\" ]; }; then\n  set -- node \"$@\"\nfi\nexec \"$@\"\n";
        let a = analyze(node);
        assert!(a.set_args.is_empty());
        assert_eq!(a.conditional_prepends.len(), 1);
        assert_eq!(
            a.conditional_prepends[0][0].literal().as_deref(),
            Some("node")
        );
        // A `set --` in an if that does not keep the arguments is not a prepend.
        let a = analyze("if [ -n \"$X\" ]; then set -- a b; fi\nexec \"$@\"\n");
        assert!(a.conditional_prepends.is_empty());
    }

    #[test]
    fn a_last_sleep_is_the_program() {
        assert_eq!(term("echo x; sleep 1000").0.as_deref(), Some("sleep"));
        assert_eq!(term("sleep 1000").0.as_deref(), Some("sleep"));
        let (name, place, _) = term("/app/handler & sleep 1000");
        assert_eq!(
            (name.as_deref(), place),
            (Some("sleep"), Position::AfterBackground)
        );
        // On the way, it is not.
        assert_eq!(
            term("sleep 2; exec /app/server").0.as_deref(),
            Some("/app/server")
        );
    }

    #[test]
    fn set_args_recorded() {
        let a = analyze("set -- node \"$@\"\nexec \"$@\"\n");
        assert_eq!(a.set_args.len(), 1);
        assert_eq!(a.set_args[0][0].literal().as_deref(), Some("node"));
    }

    #[test]
    fn cd_before_the_terminal_moves_the_working_directory() {
        assert_eq!(analyze("cd /app && ./server").cwd.as_deref(), Some("/app"));
        assert_eq!(
            analyze("cd /srv && cd app && exec ./server").cwd.as_deref(),
            Some("/srv/app")
        );
        assert_eq!(analyze("cd \"$DIR\" && ./server").cwd, None);
        // Phoenix's release overlay bin/server, and the other ways to name the script's dir.
        for cd in [
            "cd -P -- \"$(dirname -- \"$0\")\"",
            "cd \"$(dirname \"$0\")\"",
            "cd `dirname $0`",
            "cd \"$(dirname \"$(readlink -f \"$0\")\")\"",
        ] {
            let script = format!("#!/bin/sh\n{cd}\nexec ./app start\n");
            assert_eq!(analyze(&script).cwd.as_deref(), Some(SCRIPT_DIR), "{cd}");
        }
        assert_eq!(
            analyze("cd -P /srv && ./server").cwd.as_deref(),
            Some("/srv")
        );
        assert_eq!(analyze("cd \"$(dirname \"$1\")\" && ./server").cwd, None);
        // A cd after the terminal command does not count.
        assert_eq!(analyze("./server; cd /tmp").cwd, None);
        // `&&` lists nest one level per `&&`: long ones are walked up to the nesting limit,
        // and beyond it not analysed at all (the walks recurse once per level).
        let long = format!("cd /app && {}./server", "true && ".repeat(300));
        assert_eq!(analyze(&long).cwd.as_deref(), Some("/app"));
        let too_long = format!("cd /app && {}./server", "true && ".repeat(1_000));
        let a = analyze(&too_long);
        assert!(a.refused.is_some() && a.terminal.is_none());
    }

    #[test]
    fn a_trap_naming_a_function_runs_its_body() {
        let a =
            analyze("on_term() { kill -TERM \"$pid\"; }\ntrap on_term TERM\napp & pid=$!\nwait\n");
        assert_eq!(a.traps[0].action, "on_term");
        assert!(a.traps[0].runs.contains("kill -TERM"));
    }
}
