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

/// What the tick thread adds to the process's niceness under the fair scheduler (lower
/// runs first).
const TICK_NICE: i32 = -5;

/// How long ticks must fit their period before a demoted tick thread is real-time again.
const FIT_BEFORE_PROMOTION: Duration = Duration::from_secs(30);

/// How the tick thread is scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sched {
    /// `SCHED_FIFO`: ahead of every normal thread.
    Realtime,
    /// The fair scheduler, [`TICK_NICE`] below the process's niceness.
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
    pub fn new(realtime: bool, period: Duration) -> Guard {
        Guard {
            now: realtime.then_some(Sched::Realtime),
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

/// The tick thread's scheduling, owned by that thread.
#[derive(Debug)]
pub struct TickPriority {
    guard: Guard,
    /// The niceness of [`Sched::Fair`]: the process's at start plus [`TICK_NICE`].
    fair_nice: Option<i32>,
}

impl TickPriority {
    /// Steps a real-time tick thread down after an overrun, and up again ([`Guard`]).
    pub fn after_tick(&mut self, took: Duration) {
        if let Some(sched) = self.guard.after_tick(took) {
            let applied = os::set(sched, self.fair_nice);
            tracing::warn!(?sched, ?took, applied, "tick thread scheduling changed");
        }
    }
}

/// Called on the tick thread: makes it real-time where allowed, else raises its niceness
/// where allowed, else leaves it as it is.
pub fn put_the_tick_first(period: Duration) -> TickPriority {
    if os::raise_cap_sys_nice() {
        tracing::debug!("CAP_SYS_NICE raised from permitted to effective on the tick thread");
    }
    let fair_nice = os::nice().map(|n| n + TICK_NICE);
    let realtime = os::set(Sched::Realtime, fair_nice);
    if realtime {
        tracing::info!("tick thread runs real-time (SCHED_FIFO) ahead of the network workers");
    } else if fair_nice.is_some_and(os::set_nice) {
        tracing::info!(
            nice = TICK_NICE,
            "tick thread runs ahead of the network workers (real-time refused)"
        );
    } else {
        tracing::info!("tick thread at normal priority (raising it needs CAP_SYS_NICE)");
    }
    TickPriority {
        guard: Guard::new(realtime, period),
        fair_nice,
    }
}

/// Linux only, where scheduling and niceness are per thread (elsewhere they would be the
/// whole process's): every call applies to the calling thread.
#[cfg(target_os = "linux")]
mod os {
    use super::Sched;
    use thread_priority::unix::*;
    use thread_priority::{RealtimeThreadSchedulePolicy, ThreadPriority};

    pub fn nice() -> Option<i32> {
        rustix::process::getpriority_process(None).ok()
    }

    /// Makes `CAP_SYS_NICE` effective on the calling thread where the process holds it only
    /// as permitted: a non-root server started from a binary with the file capability
    /// `cap_sys_nice+p` (our image's) where the container grants it (`cap_add`). The file
    /// capability has no effective bit, so the binary still starts where it is not granted,
    /// and only this thread ever uses it. Whether it was raised.
    pub fn raise_cap_sys_nice() -> bool {
        use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
        let Ok(mut caps) = capabilities(None) else {
            return false;
        };
        if caps.effective.contains(CapabilitySet::SYS_NICE)
            || !caps.permitted.contains(CapabilitySet::SYS_NICE)
        {
            return false;
        }
        caps.effective.insert(CapabilitySet::SYS_NICE);
        set_capabilities(None, caps).is_ok()
    }

    pub fn set_nice(nice: i32) -> bool {
        rustix::process::setpriority_process(None, nice).is_ok()
    }

    /// Whether the system allowed it.
    pub fn set(sched: Sched, fair_nice: Option<i32>) -> bool {
        // The lowest real-time priority: above every normal thread, below the kernel's and
        // any other real-time thread's. For a normal policy the crate also sets a niceness
        // (the highest, for `Max`); ours follows at once.
        let (policy, priority) = match sched {
            Sched::Realtime => (
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
                ThreadPriority::Min,
            ),
            Sched::Fair => (
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
                ThreadPriority::Max,
            ),
        };
        set_thread_priority_and_policy(thread_native_id(), priority, policy).is_ok()
            && (sched == Sched::Realtime || fair_nice.is_some_and(set_nice))
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    use super::Sched;

    pub fn nice() -> Option<i32> {
        None
    }

    pub fn raise_cap_sys_nice() -> bool {
        false
    }

    pub fn set_nice(_: i32) -> bool {
        false
    }

    pub fn set(_: Sched, _: Option<i32>) -> bool {
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
        let mut g = Guard::new(true, PERIOD);
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

    /// What a test thread holds of `CAP_SYS_NICE` (capabilities are per thread on Linux).
    #[cfg(target_os = "linux")]
    #[derive(Clone, Copy)]
    enum Holds {
        /// As the test process does (root in CI: effective).
        AsTheProcess,
        /// Permitted only, like a non-root server from a `cap_sys_nice+p` binary.
        PermittedOnly,
        Nothing,
    }

    /// Runs `f` on a fresh thread holding `holds`; whether the thread could use the
    /// capability at all (it was permitted).
    #[cfg(target_os = "linux")]
    fn on_a_thread<T: Send + 'static>(holds: Holds, f: fn() -> T) -> (bool, T) {
        use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
        std::thread::spawn(move || {
            let mut caps = capabilities(None).expect("read capabilities");
            match holds {
                Holds::AsTheProcess => {}
                Holds::PermittedOnly => caps.effective.remove(CapabilitySet::SYS_NICE),
                Holds::Nothing => {
                    caps.effective.remove(CapabilitySet::SYS_NICE);
                    caps.permitted.remove(CapabilitySet::SYS_NICE);
                }
            }
            set_capabilities(None, caps).expect("drop CAP_SYS_NICE");
            (caps.permitted.contains(CapabilitySet::SYS_NICE), f())
        })
        .join()
        .expect("thread")
    }

    #[cfg(target_os = "linux")]
    fn policy() -> thread_priority::unix::ThreadSchedulePolicy {
        thread_priority::unix::thread_schedule_policy().expect("read policy")
    }

    #[cfg(target_os = "linux")]
    fn rt_priority() -> i32 {
        let (_, params) = thread_priority::unix::thread_schedule_policy_param(
            thread_priority::unix::thread_native_id(),
        )
        .expect("read priority");
        params.sched_priority
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_tick_thread_without_cap_sys_nice_is_left_as_it_was() {
        use thread_priority::unix::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let (_, (before, after, policy)) = on_a_thread(Holds::Nothing, || {
            let before = os::nice();
            let mut tp = put_the_tick_first(PERIOD);
            tp.after_tick(PERIOD * 2);
            (before, os::nice(), policy())
        });
        assert_eq!(after, before, "niceness unchanged, not lowered");
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other)
        );
    }

    /// Where the test runs with `CAP_SYS_NICE` (root in CI): real-time, and after an overrun
    /// the fair scheduler at the process's niceness + TICK_NICE. Without it, as above.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_privileged_tick_thread_runs_real_time_and_an_overrun_steps_it_down() {
        runs_real_time_and_an_overrun_steps_it_down(Holds::AsTheProcess);
    }

    /// The container's case: the capability permitted but not effective, which the tick
    /// thread raises itself (that no other thread holds it: scripts/compose-test.sh).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tick_thread_permitted_cap_sys_nice_raises_it_and_runs_real_time() {
        runs_real_time_and_an_overrun_steps_it_down(Holds::PermittedOnly);
    }

    #[cfg(target_os = "linux")]
    fn runs_real_time_and_an_overrun_steps_it_down(holds: Holds) {
        use thread_priority::RealtimeThreadSchedulePolicy;
        use thread_priority::unix::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let (privileged, (before, (first, rt_priority), demoted, nice)) =
            on_a_thread(holds, || {
                let before = os::nice();
                let mut tp = put_the_tick_first(PERIOD);
                let first = (policy(), rt_priority());
                tp.after_tick(FITS);
                tp.after_tick(PERIOD * 2);
                (before, first, policy(), os::nice())
            });
        let other = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other);
        if privileged {
            assert_eq!(
                first,
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo)
            );
            assert_eq!(rt_priority, 1, "the lowest real-time priority");
            assert_eq!(demoted, other);
            assert_eq!(nice, before.map(|n| n + TICK_NICE));
        } else {
            assert_eq!((first, demoted, nice), (other, other, before));
        }
    }

    #[test]
    fn without_real_time_there_is_nothing_to_decide() {
        let mut g = Guard::new(false, PERIOD);
        assert_eq!(g.after_tick(PERIOD * 3), None);
        assert_eq!(g.after_tick(FITS), None);
    }
}
