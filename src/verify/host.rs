//! The container's processes seen from this machine's `/proc`, when the engine runs here.

use std::process::{Command, Stdio};

use super::Dispositions;

/// Whether `pid` (a host pid from the engine) is a process this machine can see.
pub fn visible(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}/status")).exists()
}

/// SigCgt, SigIgn and SigBlk of `pid`.
pub fn dispositions(pid: u32) -> Option<Dispositions> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    Some(Dispositions {
        caught: field("SigCgt:")?,
        ignored: field("SigIgn:")?,
        blocked: field("SigBlk:")?,
    })
}

/// Run `script` with this machine's `sh` inside `pid`'s PID namespace (`nsenter -p`): its
/// background children outlive it and are re-parented to the namespace's PID 1, as those of
/// a `docker exec` session are.
pub fn nsenter_orphans(pid: u32, script: &str) -> Result<(), String> {
    let out = Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-p", "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("nsenter cannot run ({e}; util-linux)"))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "nsenter -p into PID 1's namespace failed (root is needed): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// Children of `pid` that are zombies (state Z), from every `/proc/N/stat`.
pub fn zombie_children(pid: u32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // `pid (comm) S ppid …`: comm may hold spaces and parentheses, so read after
            // the last `)`.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let mut fields = rest.split_whitespace();
            let state = fields.next();
            let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
            state == Some("Z") && ppid == Some(pid)
        })
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn masks_tell_caught_from_ignored_from_default() {
        // SIGTERM (15) caught, SIGINT (2) ignored.
        let d = Dispositions {
            caught: 1 << 14,
            ignored: 1 << 1,
            blocked: 0,
        };
        assert_eq!(d.of(15), "caught");
        assert_eq!(d.of(2), "ignored");
        assert_eq!(d.of(3), "default");
        // This process's own masks are readable.
        assert!(dispositions(std::process::id()).is_some());
    }
}
