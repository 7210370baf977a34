//! Who may open a connection and take a player slot. The decisions are pure functions of
//! counts, so they are tested without sockets; [`PreLoginBook`] only keeps the counts.
//!
//! A connection is *pre-login* from the moment the endpoint accepts it until the core
//! welcomes it (a ticket or a resume token it accepted). Pre-login connections cost the
//! server memory and a task while proving nothing, so they are bounded in total and per
//! source IP, and under pressure a client must first prove it owns its address (QUIC Retry)
//! before it counts against that address.

use prometheus::IntGauge;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Bounds on pre-login connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreLoginLimits {
    /// At most this many at once, from everywhere.
    pub total: usize,
    /// At most this many at once from one IP address.
    pub per_address: usize,
    /// From this many on, a client whose address QUIC has not validated yet is sent a
    /// Retry first (it costs the client a round trip and the server no state).
    pub retry_from: usize,
}

/// Why a new connection was refused (the `reason` label of
/// `tower_prelogin_refused_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefuseReason {
    Total,
    PerAddress,
}

impl RefuseReason {
    pub fn label(self) -> &'static str {
        match self {
            RefuseReason::Total => "total",
            RefuseReason::PerAddress => "per_address",
        }
    }
}

/// What to do with a new QUIC connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Accept,
    /// Ask the client to prove its address (`quinn::Incoming::retry`).
    Retry,
    Refuse(RefuseReason),
}

/// The decision for a new connection, given the pre-login connections open now in total and
/// from its IP, and whether QUIC validated its address (it came back with a Retry token).
pub fn admit(
    total: usize,
    from_address: usize,
    address_validated: bool,
    limits: &PreLoginLimits,
) -> Admission {
    if total >= limits.total {
        return Admission::Refuse(RefuseReason::Total);
    }
    if total >= limits.retry_from && !address_validated {
        return Admission::Retry;
    }
    if from_address >= limits.per_address {
        return Admission::Refuse(RefuseReason::PerAddress);
    }
    Admission::Accept
}

/// Whether a fresh login must be turned away before it is authenticated: `slots_in_use`
/// is the core's player slots (held ones included) as of the last tick. The core makes the
/// final decision when the login arrives; this only spares the auth round trip when the
/// answer is already known.
pub fn server_full(slots_in_use: u32, max_players: usize) -> bool {
    usize::try_from(slots_in_use).unwrap_or(usize::MAX) >= max_players
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// The pre-login connections open now, by source IP, mirrored in a gauge.
#[derive(Clone, Default)]
pub struct PreLoginBook {
    counts: Arc<Mutex<Counts>>,
    gauge: Option<IntGauge>,
}

impl PreLoginBook {
    /// A book that keeps `gauge` at its total.
    pub fn with_gauge(gauge: IntGauge) -> PreLoginBook {
        PreLoginBook {
            counts: Arc::default(),
            gauge: Some(gauge),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Counts stay consistent across a panic (single updates), so keep using them.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (total, from `ip`).
    pub fn counts(&self, ip: IpAddr) -> (usize, usize) {
        let c = self.lock();
        (c.total, c.by_ip.get(&ip).copied().unwrap_or(0))
    }

    pub fn total(&self) -> usize {
        self.lock().total
    }

    fn set_gauge(&self, total: usize) {
        if let Some(g) = &self.gauge {
            g.set(i64::try_from(total).unwrap_or(i64::MAX));
        }
    }

    /// Counts a connection from `ip` until the returned guard is dropped.
    pub fn enter(&self, ip: IpAddr) -> PreLoginGuard {
        let mut c = self.lock();
        c.total += 1;
        *c.by_ip.entry(ip).or_insert(0) += 1;
        self.set_gauge(c.total);
        PreLoginGuard {
            book: self.clone(),
            ip,
        }
    }
}

/// One pre-login connection; dropping it (login done, or connection gone) uncounts it.
pub struct PreLoginGuard {
    book: PreLoginBook,
    ip: IpAddr,
}

impl Drop for PreLoginGuard {
    fn drop(&mut self) {
        let mut c = self.book.lock();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_ip.remove(&self.ip);
            }
        }
        self.book.set_gauge(c.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PreLoginLimits = PreLoginLimits {
        total: 10,
        per_address: 3,
        retry_from: 5,
    };

    #[test]
    fn quiet_servers_accept_up_to_the_per_address_bound() {
        assert_eq!(admit(0, 0, false, &LIMITS), Admission::Accept);
        assert_eq!(admit(4, 2, false, &LIMITS), Admission::Accept);
        assert_eq!(
            admit(4, 3, false, &LIMITS),
            Admission::Refuse(RefuseReason::PerAddress)
        );
    }

    #[test]
    fn under_pressure_unvalidated_addresses_are_retried_first() {
        assert_eq!(admit(5, 0, false, &LIMITS), Admission::Retry);
        assert_eq!(admit(5, 0, true, &LIMITS), Admission::Accept);
        assert_eq!(
            admit(5, 3, true, &LIMITS),
            Admission::Refuse(RefuseReason::PerAddress)
        );
        assert_eq!(
            admit(10, 0, true, &LIMITS),
            Admission::Refuse(RefuseReason::Total)
        );
        assert_eq!(
            admit(10, 0, false, &LIMITS),
            Admission::Refuse(RefuseReason::Total)
        );
    }

    #[test]
    fn full_means_every_slot_taken() {
        assert!(!server_full(9, 10));
        assert!(server_full(10, 10));
        assert!(server_full(0, 0));
    }

    #[test]
    fn guards_count_by_address_until_dropped() {
        let book = PreLoginBook::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let g1 = book.enter(a);
        let g2 = book.enter(a);
        let g3 = book.enter(b);
        assert_eq!(book.counts(a), (3, 2));
        drop(g1);
        assert_eq!(book.counts(a), (2, 1));
        drop((g2, g3));
        assert_eq!(book.counts(b), (0, 0));
        assert!(book.lock().by_ip.is_empty());
    }
}
