//! CPU time from `getrusage`, for this process and for its waited-for children.

use std::time::Duration;

/// User plus system CPU time so far.
pub fn used(who: Who) -> Duration {
    let who = match who {
        Who::Process => libc::RUSAGE_SELF,
        Who::Children => libc::RUSAGE_CHILDREN,
    };
    // Safety: `getrusage` only writes the zero-initialised struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[derive(Clone, Copy)]
pub enum Who {
    Process,
    Children,
}
