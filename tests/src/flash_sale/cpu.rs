//! CPU time spent by processes, read from `/proc/<pid>/stat` (user plus
//! system), so a run can say what each answer cost the server and what it
//! cost the load generator itself.

use std::time::Duration;

use anyhow::{Context, bail};

/// Which process to read: this one, or another by pid.
#[derive(Debug, Clone, Copy)]
pub enum Process {
    This,
    Pid(u32),
}

/// The user plus system CPU time `process` has used so far.
pub fn used(process: Process) -> anyhow::Result<Duration> {
    let path = match process {
        Process::This => "/proc/self/stat".to_owned(),
        Process::Pid(pid) => format!("/proc/{pid}/stat"),
    };
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).with_context(|| format!("parsing {path}"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields.get(index).with_context(|| format!("{path} has too few fields"))?.parse().context("a tick count")
    };
    // Counted from field 3 (the state), utime is the 12th and stime the 13th.
    let (user, system) = (ticks(11)?, ticks(12)?);
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if per_second <= 0 {
        bail!("the clock tick rate is unknown");
    }
    Ok(Duration::from_secs_f64((user + system) as f64 / per_second as f64))
}

/// The CPU time all of `processes` have used so far.
pub fn used_by(processes: &[Process]) -> anyhow::Result<Duration> {
    processes.iter().map(|process| used(*process)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This process's CPU time as the kernel's rusage tells it.
    fn rusage() -> Duration {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            usage
        };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        time(usage.ru_utime) + time(usage.ru_stime)
    }

    #[test]
    fn proc_stat_agrees_with_rusage() {
        let (proc_before, rusage_before) = (used(Process::This).unwrap(), rusage());
        let mut x = 0u64;
        while rusage() - rusage_before < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let (spent, counted) = (used(Process::This).unwrap() - proc_before, rusage() - rusage_before);
        // /proc counts in clock ticks (10 ms here): allow two either way.
        let slack = Duration::from_millis(20);
        assert!(spent + slack >= counted && spent <= counted + slack, "/proc says {spent:?}, rusage {counted:?}");
    }
}
