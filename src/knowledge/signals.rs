//! Linux signal names and numbers, as the runtime parses `STOPSIGNAL`.

pub const SIGNALS: &[(&str, u8)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGIOT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPOLL", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

const SIGRTMIN: u8 = 34;
const SIGRTMAX: u8 = 64;

/// The canonical name (`SIGTERM`, `SIGRTMIN+3`) of a `STOPSIGNAL` value, or `None` when the
/// runtime would reject it. Accepts `TERM`, `sigterm`, `SIGTERM`, `15`, `SIGRTMIN+3`.
pub fn normalize(value: &str) -> Option<String> {
    let v = value.trim();
    if let Ok(n) = v.parse::<u32>() {
        return name_of(u8::try_from(n).ok()?);
    }
    let upper = v.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    if let Some((_, n)) = SIGNALS.iter().find(|(name, _)| *name == full) {
        return name_of(*n);
    }
    for (prefix, base, sign) in [("SIGRTMIN+", SIGRTMIN, 1i32), ("SIGRTMAX-", SIGRTMAX, -1)] {
        if let Some(off) = full
            .strip_prefix(prefix)
            .and_then(|o| o.parse::<i32>().ok())
        {
            let n = i32::from(base) + sign * off;
            if (i32::from(SIGRTMIN)..=i32::from(SIGRTMAX)).contains(&n) {
                return name_of(u8::try_from(n).ok()?);
            }
        }
    }
    match full.as_str() {
        "SIGRTMIN" => name_of(SIGRTMIN),
        "SIGRTMAX" => name_of(SIGRTMAX),
        _ => None,
    }
}

/// The number of a canonical signal name (`SIGTERM` → 15, `SIGRTMIN+3` → 37).
pub fn number(name: &str) -> Option<i32> {
    if let Some((_, n)) = SIGNALS.iter().find(|(s, _)| *s == name) {
        return Some(i32::from(*n));
    }
    (1..=SIGRTMAX)
        .find(|n| name_of(*n).as_deref() == Some(name))
        .map(i32::from)
}

/// A signal number as a name for messages: `SIGINT`, or the number when it is none.
pub fn name(n: i64) -> String {
    u8::try_from(n)
        .ok()
        .and_then(name_of)
        .unwrap_or_else(|| n.to_string())
}

/// Signal numbers as names for messages: `SIGINT, SIGCHLD`.
pub fn names(numbers: &[i64]) -> String {
    numbers
        .iter()
        .map(|n| name(*n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn name_of(n: u8) -> Option<String> {
    if n == 0 || n > SIGRTMAX {
        return None;
    }
    if let Some((name, _)) = SIGNALS.iter().find(|(_, num)| *num == n) {
        return Some((*name).to_string());
    }
    (SIGRTMIN..=SIGRTMAX)
        .contains(&n)
        .then(|| format!("SIGRTMIN+{}", n - SIGRTMIN))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::normalize;

    #[test]
    fn accepted_forms() {
        assert_eq!(normalize("SIGQUIT").as_deref(), Some("SIGQUIT"));
        assert_eq!(normalize("term").as_deref(), Some("SIGTERM"));
        assert_eq!(normalize("9").as_deref(), Some("SIGKILL"));
        assert_eq!(normalize("SIGRTMIN+3").as_deref(), Some("SIGRTMIN+3"));
        assert_eq!(normalize("37").as_deref(), Some("SIGRTMIN+3"));
    }

    #[test]
    fn rejected_forms() {
        for bad in ["SIGTERMM", "0", "65", "", "SIG", "SIGRTMIN+31", "-15"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
