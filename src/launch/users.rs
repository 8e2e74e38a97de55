//! User switches that run their command through a shell: `su [-] [USER] -c CMD` and
//! `runuser` without `-u` run CMD in `-s SHELL` or in USER's login shell.

use super::{explicit_exec, Arg, Builder};
use crate::model::Lookup;
use crate::source::Text;

impl Builder<'_> {
    /// `su [-] [USER] -c CMD`: CMD runs in `-s SHELL`, or in USER's login shell from the
    /// container's /etc/passwd; when that cannot be read, the shell is not known.
    pub(super) fn su_command(&mut self, args: &[Arg], with_value: &[&str]) -> Vec<Arg> {
        let value = |names: &[&str]| {
            args.iter()
                .position(|a| names.contains(&a.text.value.as_str()))
                .and_then(|p| args.get(p + 1))
        };
        let Some(cmd) = value(&["-c", "--command", "--session-command"]) else {
            return Vec::new();
        };
        let shell = match value(&["-s", "--shell"]) {
            Some(s) => s.clone(),
            None => {
                let user = su_user(args, with_value);
                match self.login_shell(&user) {
                    Some(shell) => Arg::known(Text::synthetic(shell)),
                    // Every shell execs an explicit `exec`: which one runs it does not matter.
                    None if explicit_exec(&cmd.text.value) => Arg::known(Text::synthetic("sh")),
                    None => Arg {
                        text: Text::synthetic(format!("the login shell of {user}")),
                        known: false,
                    },
                }
            }
        };
        vec![shell, Arg::known(Text::synthetic("-c")), cmd.clone()]
    }

    /// USER's shell in the container's /etc/passwd.
    fn login_shell(&mut self, user: &str) -> Option<String> {
        let Lookup::Found(passwd) = self.c.files.lookup("/etc/passwd", self.sources) else {
            return None;
        };
        passwd.content.value.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() == 7 && fields[0] == user && !fields[6].is_empty())
                .then(|| fields[6].to_string())
        })
    }
}

/// The user `su` switches to: its first operand, root by default.
fn su_user(args: &[Arg], with_value: &[&str]) -> String {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let v = a.text.value.as_str();
        if with_value.contains(&v) || v == "--session-command" {
            i += 2;
        } else if v.starts_with('-') {
            i += 1;
        } else {
            return v.to_string();
        }
    }
    "root".into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::container;
    use super::*;
    use crate::knowledge::Extras;
    use crate::shell::ShellKind;
    use crate::source::SourceMap;

    /// su's options that take a value (the knowledge base's list).
    const SU: &[&str] = &["-c", "--command", "-s", "--shell", "-g", "-G", "-w"];

    fn args(words: &[&str]) -> Vec<Arg> {
        words
            .iter()
            .map(|w| Arg::known(Text::synthetic(*w)))
            .collect()
    }

    fn words(args: &[Arg]) -> Vec<(String, bool)> {
        args.iter()
            .map(|a| (a.text.value.clone(), a.known))
            .collect()
    }

    #[test]
    fn the_user_is_the_first_operand_else_root() {
        assert_eq!(su_user(&args(&["-", "app", "-c", "x"]), SU), "app");
        assert_eq!(
            su_user(&args(&["-c", "x", "-s", "/bin/bash", "www"]), SU),
            "www"
        );
        assert_eq!(su_user(&args(&["-l", "-c", "x"]), SU), "root");
        assert_eq!(su_user(&args(&["--session-command", "x"]), SU), "root");
    }

    #[test]
    fn the_command_runs_in_the_given_shell_or_the_users_login_shell() {
        let passwd = [(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        )];
        let c = container(ShellKind::Dash, &[], &[], "/", &passwd);
        let mut sources = SourceMap::default();
        let extras = Extras::default();
        let mut b = Builder::new(&c, &mut sources, &extras);
        let given = b.su_command(&args(&["-s", "/bin/zsh", "app", "-c", "serve"]), SU);
        assert_eq!(
            words(&given),
            [
                ("/bin/zsh".into(), true),
                ("-c".into(), true),
                ("serve".into(), true)
            ]
        );
        let login = b.su_command(&args(&["app", "-c", "serve"]), SU);
        assert_eq!(login[0].text.value, "/bin/sh");
        let root = b.su_command(&args(&["-c", "serve"]), SU);
        assert_eq!(root[0].text.value, "/bin/bash");
        // No -c: su runs a login shell, not a command.
        assert!(b.su_command(&args(&["app"]), SU).is_empty());
    }

    #[test]
    fn without_a_passwd_the_shell_is_unknown_unless_the_command_execs() {
        let c = container(ShellKind::Dash, &[], &[], "/", &[]);
        let mut sources = SourceMap::default();
        let extras = Extras::default();
        let mut b = Builder::new(&c, &mut sources, &extras);
        let unknown = b.su_command(&args(&["app", "-c", "serve"]), SU);
        assert_eq!(
            words(&unknown)[0],
            ("the login shell of app".to_string(), false)
        );
        // Every shell performs an explicit exec, so which one runs it does not matter.
        let execs = b.su_command(&args(&["app", "-c", "exec serve"]), SU);
        assert_eq!(words(&execs)[0], ("sh".to_string(), true));
    }
}
