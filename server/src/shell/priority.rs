//! The tick thread first. The tick is wall-time bound (its p99 is what players feel), and on
//! a busy core it shares the CPU with tokio's workers, which run QUIC for every connection,
//! and the floor-prep worker. Raising the tick thread needs `CAP_SYS_NICE`, which a
//! container or an Agones pod does not have; lowering one's own thread is always allowed. So
//! every other server thread lowers itself: at nice 5 against the tick thread's 0, Linux's
//! fair scheduler gives the tick thread ~3/4 of a core it contends for with one busy worker,
//! instead of half. Between ticks the tick thread sleeps, and the workers get the core.

/// Niceness every thread but the tick thread adds to its own.
const BACKGROUND_NICE: i32 = 5;

/// Lowers the calling thread's scheduling priority below the tick thread's (Linux, where
/// niceness is per thread; elsewhere nothing, as it would lower the whole process).
/// Best effort: a failure is logged and changes nothing else.
pub fn yield_to_the_tick() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::nice(BACKGROUND_NICE) {
        tracing::debug!("cannot lower this thread's priority: {e}");
    }
}
