//! The tick thread first. The tick is bound by wall time (its p99 is what players feel), and
//! on a busy core it shares the CPU with tokio's workers, which run QUIC for every
//! connection. Where the server may (`CAP_SYS_NICE`: root, or a container granted it and
//! real-time runtime), the tick thread runs `SCHED_FIFO`: a woken network worker never
//! preempts it, and between ticks it sleeps, so the workers get the rest of the core
//! (measured, 1,000 players on one core: tick p99 10.9 → 6.9 ms). A real-time thread that
//! cannot keep up would starve the network, so a tick that overruns its period drops the
//! thread back to the fair scheduler ([`Guard`]) until ticks have fit for a while. Where
//! real-time is refused, the thread raises its niceness instead (~3/4 of a core it
//! contends for with one busy worker, instead of half). Lowering the workers needs no
//! privilege, but then any other process on the machine would outrank them, and their
//! delays turn into bursts of datagrams that the rate limit drops (measured: 932 dropped
//! and 289 of 1,000 bots lost beside a compile).

use std::time::Duration;

/// What the tick thread's niceness is set to under the fair scheduler (lower runs first).
const TICK_NICE: i32 = -5;

/// How long ticks must fit their period before a demoted tick thread is real-time again.
const FIT_BEFORE_PROMOTION: Duration = Duration::from_secs(30);

/// How the tick thread is scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sched {
    /// `SCHED_FIFO`: ahead of every normal thread.
    Realtime,
    /// The fair scheduler, at [`TICK_NICE`] where allowed.
    Fair,
}

/// Decides, tick by tick, whether a real-time tick thread steps down. Pure: it is told how
/// long each tick took.
#[derive(Debug)]
pub struct Guard {
    /// `None` when real-time was refused: nothing to decide.
    now: Option<Sched>,
    period: Duration,
    fitting: Duration,
}

impl Guard {
    pub fn new(start: Sched, realtime_allowed: bool, period: Duration) -> Guard {
        Guard {
            now: realtime_allowed.then_some(start),
            period,
            fitting: Duration::ZERO,
        }
    }

    /// After a tick that took `took`: the change to make, if any. An overrun demotes at
    /// once; promotion waits for [`FIT_BEFORE_PROMOTION`] of ticks that fit.
    pub fn after_tick(&mut self, took: Duration) -> Option<Sched> {
        let now = self.now?;
        let overran = took >= self.period;
        self.fitting = if overran {
            Duration::ZERO
        } else {
            self.fitting + self.period
        };
        let next = match now {
            Sched::Realtime if overran => Sched::Fair,
            Sched::Fair if self.fitting >= FIT_BEFORE_PROMOTION => Sched::Realtime,
            same => same,
        };
        self.now = Some(next);
        (next != now).then_some(next)
    }
}

/// Called on the tick thread: makes it real-time where allowed (else raises its niceness)
/// and returns the guard that steps it down on overruns ([`apply`] its decisions).
pub fn put_the_tick_first(period: Duration) -> Guard {
    let realtime = apply(Sched::Realtime);
    if realtime {
        tracing::info!("tick thread runs real-time (SCHED_FIFO) ahead of the network workers");
    } else if apply(Sched::Fair) {
        tracing::info!(
            nice = TICK_NICE,
            "tick thread runs ahead of the network workers (real-time refused)"
        );
    } else {
        tracing::info!("tick thread at normal priority (raising it needs CAP_SYS_NICE)");
    }
    Guard::new(Sched::Realtime, realtime, period)
}

/// Schedules the calling thread as `sched`; whether the system allowed it. Linux only,
/// where scheduling and niceness are per thread (elsewhere it would be the whole process).
pub fn apply(sched: Sched) -> bool {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::unix::*;
        use thread_priority::{RealtimeThreadSchedulePolicy, ThreadPriority};
        let id = thread_native_id();
        match sched {
            Sched::Realtime => set_thread_priority_and_policy(
                id,
                ThreadPriority::Min,
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
            )
            .is_ok(),
            Sched::Fair => {
                // The crate sets a niceness of its own choosing with the policy; ours follows.
                let _ = set_thread_priority_and_policy(
                    id,
                    ThreadPriority::Min,
                    ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
                );
                rustix::process::setpriority_process(None, TICK_NICE).is_ok()
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = sched;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_millis(33);
    const FITS: Duration = Duration::from_millis(5);

    #[test]
    fn an_overrun_demotes_at_once_and_30_s_of_fitting_ticks_promote_again() {
        let mut g = Guard::new(Sched::Realtime, true, PERIOD);
        assert_eq!(g.after_tick(FITS), None);
        assert_eq!(g.after_tick(PERIOD), Some(Sched::Fair));
        let ticks_in_30_s = FIT_BEFORE_PROMOTION.as_millis() / PERIOD.as_millis() + 1;
        for _ in 1..ticks_in_30_s {
            assert_eq!(g.after_tick(FITS), None);
        }
        // another overrun before the end starts the wait again
        assert_eq!(g.after_tick(PERIOD * 2), None);
        for _ in 1..ticks_in_30_s {
            assert_eq!(g.after_tick(FITS), None);
        }
        assert_eq!(g.after_tick(FITS), Some(Sched::Realtime));
        assert_eq!(g.after_tick(FITS), None);
    }

    #[test]
    fn without_real_time_there_is_nothing_to_decide() {
        let mut g = Guard::new(Sched::Realtime, false, PERIOD);
        assert_eq!(g.after_tick(PERIOD * 3), None);
        assert_eq!(g.after_tick(FITS), None);
    }
}
