//! What benches read of a running process: its CPU time and resident
//! memory from `/proc`, and one series of its `GET /metrics`.

use anyhow::Context;

/// CPU seconds `pid` has used (user + system), from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: i32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).with_context(|| format!("parsing {path}"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields.get(index).with_context(|| format!("{path} has too few fields"))?.parse().context("a tick count")
    };
    // Counted from field 3 (the state), utime is the 12th and stime the 13th.
    let (user, system) = (ticks(11)?, ticks(12)?);
    // Safety: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    anyhow::ensure!(per_second > 0, "the clock tick rate is unknown");
    Ok((user + system) as f64 / per_second as f64)
}

/// CPU seconds all of `pids` have used.
pub fn cpu_seconds_of(pids: &[i32]) -> anyhow::Result<f64> {
    pids.iter().map(|pid| cpu_seconds(*pid)).sum()
}

/// Resident set size of `pid`, KB, from `/proc/<pid>/status`.
pub fn rss_kb(pid: i32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).context("VmRSS")?;
    line.split_whitespace().nth(1).context("VmRSS value")?.parse().context("VmRSS value")
}

/// The value of `series` (name and labels, as rendered) in `GET {base}/metrics`.
pub async fn metric(base: &str, series: &str) -> anyhow::Result<Option<f64>> {
    let metrics = reqwest::get(format!("{base}/metrics")).await?.error_for_status()?.text().await?;
    let Some(line) = metrics.lines().find(|line| line.strip_prefix(series).is_some_and(|rest| rest.starts_with(' ')))
    else {
        return Ok(None);
    };
    let value = line.rsplit(' ').next().unwrap_or_default();
    Ok(Some(value.parse().with_context(|| format!("parsing {line}"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This process's CPU seconds as the kernel's rusage tells them.
    fn rusage() -> f64 {
        // Safety: getrusage fills the zeroed struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            usage
        };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    #[test]
    fn proc_stat_agrees_with_rusage() {
        let this = std::process::id() as i32;
        let (proc_before, rusage_before) = (cpu_seconds(this).unwrap(), rusage());
        let mut x = 0u64;
        while rusage() - rusage_before < 0.2 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let (spent, counted) = (cpu_seconds(this).unwrap() - proc_before, rusage() - rusage_before);
        // /proc counts in clock ticks (10 ms here): allow two either way.
        assert!((spent - counted).abs() <= 0.02, "/proc says {spent} s, rusage {counted} s");
    }
}
