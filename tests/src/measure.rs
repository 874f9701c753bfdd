//! What benches read of a running process: its CPU time and resident
//! memory from `/proc`, and one series of its `GET /metrics`.

use anyhow::Context;

/// CPU seconds `pid` has used (user + system), from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: i32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')').context("stat")?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // Safety: sysconf only reads a constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / per_second)
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
