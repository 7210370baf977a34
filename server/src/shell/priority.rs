//! The tick thread first. The tick is bound by wall time (its p99 is what players feel), and
//! on a busy core it shares the CPU with tokio's workers, which run QUIC for every
//! connection. Where the server may (`CAP_SYS_NICE`: root, or a container granted it), the
//! tick thread raises its own priority, so Linux's fair scheduler gives it ~3/4 of a core
//! it contends for with one busy worker instead of half; between ticks it sleeps. Lowering
//! the workers instead needs no privilege, but then any other process on the machine would
//! outrank them, and their delays turn into bursts of datagrams that the rate limit drops
//! (measured: 932 dropped and 289 of 1,000 bots lost beside a compile).

/// What the tick thread adds to its niceness (inherited from the process, 0 by default;
/// lower runs first).
const TICK_NICE: i32 = -5;

/// Raises the calling thread (the tick thread) by `TICK_NICE` where allowed; Linux only,
/// where niceness is per thread (elsewhere it would apply to the whole process).
pub fn put_the_tick_first() {
    #[cfg(target_os = "linux")]
    match rustix::process::nice(TICK_NICE) {
        Ok(nice) => tracing::info!(nice, "tick thread runs ahead of the network workers"),
        Err(e) => {
            tracing::info!("tick thread at normal priority (raising it needs CAP_SYS_NICE): {e}")
        }
    }
}
