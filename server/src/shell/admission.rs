//! Who may open a connection and take a player slot. The decisions are pure functions of
//! counts, so they are tested without sockets; [`PreLoginBook`] only keeps the counts.
//!
//! A connection is *pre-login* from the moment the endpoint accepts it until the core
//! welcomes it (a ticket or a resume token it accepted). Pre-login connections cost the
//! server memory and a task while proving nothing, so they are bounded in total, per source
//! IP and per network prefix (/24 IPv4, /56 IPv6 by default: what one attacker easily
//! holds many addresses of). The last quarter of the total is kept for prefixes that hold
//! fewer than [`NEWCOMER_QUOTA`] connections, so a flood from a few prefixes cannot turn
//! away an honest player from elsewhere. Under pressure a client must first prove it owns
//! its address (QUIC Retry) before it counts, and new connections get a shorter handshake
//! deadline ([`handshake_timeout`]), so a flood must keep paying round trips to stay.

use prometheus::IntGauge;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A prefix holding fewer pre-login connections than this may use the reserve (the last
/// quarter of [`PreLoginLimits::total`]).
pub const NEWCOMER_QUOTA: usize = 4;

/// Bounds on pre-login connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreLoginLimits {
    /// At most this many at once, from everywhere.
    pub total: usize,
    /// At most this many at once from one IP address.
    pub per_address: usize,
    /// At most this many at once from one network prefix ([`Prefixes`]).
    pub per_prefix: usize,
    /// How addresses are grouped into prefixes.
    pub prefixes: Prefixes,
    /// From this many on, a client whose address QUIC has not validated yet is sent a
    /// Retry first (it costs the client a round trip and the server no state); and new
    /// connections get [`PreLoginLimits::pressure_handshake_timeout`].
    pub retry_from: usize,
    /// The handshake deadline of a connection accepted at or after `retry_from`.
    pub pressure_handshake_timeout: Duration,
}

impl PreLoginLimits {
    /// From this many pre-login connections on, only newcomer prefixes are admitted.
    pub fn reserve_from(&self) -> usize {
        self.total - self.total / 4
    }
}

/// Prefix lengths that group source addresses: one attacker typically owns a whole IPv4 /24
/// or IPv6 /56 (a home or cloud customer gets a /56 to /64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefixes {
    pub v4_bits: u8,
    pub v6_bits: u8,
}

impl Default for Prefixes {
    fn default() -> Self {
        Prefixes {
            v4_bits: 24,
            v6_bits: 56,
        }
    }
}

impl Prefixes {
    /// The network `ip` belongs to (its address with the host bits zeroed). IPv4-mapped
    /// IPv6 addresses (a dual-stack socket) count as IPv4.
    pub fn of(&self, ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let bits = u32::from(self.v4_bits.min(32));
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let bits = u32::from(self.v6_bits.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }
}

/// The pre-login connections open now that a new one from some address would join.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreLoginCounts {
    pub total: usize,
    pub from_address: usize,
    pub from_prefix: usize,
}

/// Why a new connection was refused (the `reason` label of
/// `tower_prelogin_refused_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefuseReason {
    Total,
    PerAddress,
    PerPrefix,
    /// The reserve is full enough that only prefixes below [`NEWCOMER_QUOTA`] get in.
    Reserve,
}

impl RefuseReason {
    pub fn label(self) -> &'static str {
        match self {
            RefuseReason::Total => "total",
            RefuseReason::PerAddress => "per_address",
            RefuseReason::PerPrefix => "per_prefix",
            RefuseReason::Reserve => "reserve",
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

/// The decision for a new connection, given the pre-login connections open now in total,
/// from its IP and from its prefix, and whether QUIC validated its address (it came back
/// with a Retry token).
pub fn admit(
    counts: PreLoginCounts,
    address_validated: bool,
    limits: &PreLoginLimits,
) -> Admission {
    if counts.total >= limits.total {
        return Admission::Refuse(RefuseReason::Total);
    }
    if counts.total >= limits.retry_from && !address_validated {
        return Admission::Retry;
    }
    if counts.from_address >= limits.per_address {
        return Admission::Refuse(RefuseReason::PerAddress);
    }
    if counts.from_prefix >= limits.per_prefix {
        return Admission::Refuse(RefuseReason::PerPrefix);
    }
    if counts.total >= limits.reserve_from() && counts.from_prefix >= NEWCOMER_QUOTA {
        return Admission::Refuse(RefuseReason::Reserve);
    }
    Admission::Accept
}

/// The handshake deadline of a connection accepted with `total` pre-login connections open:
/// shorter under pressure, so connections that never log in give their place up sooner.
pub fn handshake_timeout(total: usize, normal: Duration, limits: &PreLoginLimits) -> Duration {
    if total >= limits.retry_from {
        normal.min(limits.pressure_handshake_timeout)
    } else {
        normal
    }
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
    by_prefix: HashMap<IpAddr, usize>,
}

fn uncount(map: &mut HashMap<IpAddr, usize>, key: IpAddr) {
    if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// The pre-login connections open now, by source IP and prefix, mirrored in a gauge.
#[derive(Clone, Default)]
pub struct PreLoginBook {
    counts: Arc<Mutex<Counts>>,
    prefixes: Prefixes,
    gauge: Option<IntGauge>,
}

impl PreLoginBook {
    /// A book that groups addresses by `prefixes` and keeps `gauge` at its total.
    pub fn new(prefixes: Prefixes, gauge: IntGauge) -> PreLoginBook {
        PreLoginBook {
            counts: Arc::default(),
            prefixes,
            gauge: Some(gauge),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Counts stay consistent across a panic (single updates), so keep using them.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a new connection from `ip` would join.
    pub fn counts(&self, ip: IpAddr) -> PreLoginCounts {
        let ip = ip.to_canonical();
        let prefix = self.prefixes.of(ip);
        let c = self.lock();
        PreLoginCounts {
            total: c.total,
            from_address: c.by_ip.get(&ip).copied().unwrap_or(0),
            from_prefix: c.by_prefix.get(&prefix).copied().unwrap_or(0),
        }
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
        let ip = ip.to_canonical();
        let prefix = self.prefixes.of(ip);
        let mut c = self.lock();
        c.total += 1;
        *c.by_ip.entry(ip).or_insert(0) += 1;
        *c.by_prefix.entry(prefix).or_insert(0) += 1;
        self.set_gauge(c.total);
        PreLoginGuard {
            book: self.clone(),
            ip,
            prefix,
        }
    }
}

/// One pre-login connection; dropping it (login done, or connection gone) uncounts it.
pub struct PreLoginGuard {
    book: PreLoginBook,
    ip: IpAddr,
    prefix: IpAddr,
}

impl Drop for PreLoginGuard {
    fn drop(&mut self) {
        let mut c = self.book.lock();
        c.total = c.total.saturating_sub(1);
        uncount(&mut c.by_ip, self.ip);
        uncount(&mut c.by_prefix, self.prefix);
        self.book.set_gauge(c.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PreLoginLimits = PreLoginLimits {
        total: 16,
        per_address: 3,
        per_prefix: 6,
        prefixes: Prefixes {
            v4_bits: 24,
            v6_bits: 56,
        },
        retry_from: 5,
        pressure_handshake_timeout: Duration::from_secs(2),
    };

    fn counts(total: usize, from_address: usize, from_prefix: usize) -> PreLoginCounts {
        PreLoginCounts {
            total,
            from_address,
            from_prefix,
        }
    }

    #[test]
    fn quiet_servers_accept_up_to_the_per_address_and_prefix_bounds() {
        assert_eq!(admit(counts(0, 0, 0), false, &LIMITS), Admission::Accept);
        assert_eq!(admit(counts(4, 2, 2), false, &LIMITS), Admission::Accept);
        assert_eq!(
            admit(counts(4, 3, 3), false, &LIMITS),
            Admission::Refuse(RefuseReason::PerAddress)
        );
        assert_eq!(
            admit(counts(9, 0, 6), true, &LIMITS),
            Admission::Refuse(RefuseReason::PerPrefix)
        );
    }

    #[test]
    fn under_pressure_unvalidated_addresses_are_retried_first() {
        assert_eq!(admit(counts(5, 0, 0), false, &LIMITS), Admission::Retry);
        assert_eq!(admit(counts(5, 0, 0), true, &LIMITS), Admission::Accept);
        assert_eq!(
            admit(counts(5, 3, 3), true, &LIMITS),
            Admission::Refuse(RefuseReason::PerAddress)
        );
        assert_eq!(
            admit(counts(16, 0, 0), true, &LIMITS),
            Admission::Refuse(RefuseReason::Total)
        );
        assert_eq!(
            admit(counts(16, 0, 0), false, &LIMITS),
            Admission::Refuse(RefuseReason::Total)
        );
    }

    #[test]
    fn under_pressure_the_handshake_deadline_is_shorter() {
        let normal = Duration::from_secs(10);
        assert_eq!(handshake_timeout(4, normal, &LIMITS), normal);
        assert_eq!(
            handshake_timeout(5, normal, &LIMITS),
            Duration::from_secs(2)
        );
        assert_eq!(
            handshake_timeout(5, Duration::from_secs(1), &LIMITS),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn prefixes_group_v4_by_24_v6_by_56_and_mapped_v4_as_v4() {
        let p = Prefixes::default();
        let ip = |s: &str| s.parse::<IpAddr>().expect("an address");
        assert_eq!(p.of(ip("203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(p.of(ip("::ffff:203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(p.of(ip("2001:db8:aa:bbcc::1")), ip("2001:db8:aa:bb00::"));
        let all = Prefixes {
            v4_bits: 0,
            v6_bits: 128,
        };
        assert_eq!(all.of(ip("10.1.2.3")), ip("0.0.0.0"));
        assert_eq!(all.of(ip("2001:db8::5")), ip("2001:db8::5"));
    }

    /// Drives the book and the decision the way the shell does: an attacker with many
    /// addresses in a few prefixes opens everything it can; an honest newcomer from another
    /// prefix still gets in.
    fn flood(prefixes: Prefixes, attacker: &[IpAddr], newcomer: IpAddr) -> (usize, Admission) {
        let limits = PreLoginLimits {
            total: 1024,
            per_address: 64,
            per_prefix: 256,
            prefixes,
            retry_from: 128,
            pressure_handshake_timeout: Duration::from_secs(3),
        };
        let book = PreLoginBook::default();
        let book = PreLoginBook { prefixes, ..book };
        let mut held = Vec::new();
        for _round in 0..100 {
            for ip in attacker {
                if admit(book.counts(*ip), true, &limits) == Admission::Accept {
                    held.push(book.enter(*ip));
                }
            }
        }
        (held.len(), admit(book.counts(newcomer), true, &limits))
    }

    #[test]
    fn a_flood_from_a_few_prefixes_leaves_room_for_a_newcomer() {
        // 64 addresses in each of 4 IPv4 /24s: today's bound alone (16 addresses × 64)
        // fills all 1,024.
        let v4: Vec<IpAddr> = (0..4u8)
            .flat_map(|net| (1..=64u8).map(move |host| IpAddr::from([198, 51, net, host])))
            .collect();
        let (held, newcomer) = flood(Prefixes::default(), &v4, IpAddr::from([203, 0, 113, 9]));
        assert_eq!(held, 768, "3 prefixes × 256, then the reserve refuses them");
        assert_eq!(newcomer, Admission::Accept);
        // Billions of IPv6 addresses in one /56 count as one prefix.
        let v6: Vec<IpAddr> = (0..200u16)
            .map(|i| IpAddr::from([0x2001, 0xdb8, 0, 0x42, i, 1, 2, 3]))
            .collect();
        let newcomer = IpAddr::from([0x2001, 0xdb8, 0, 0x4300, 0, 0, 0, 1]);
        let (held, admitted) = flood(Prefixes::default(), &v6, newcomer);
        assert_eq!(held, 256);
        assert_eq!(admitted, Admission::Accept);
    }

    #[test]
    fn without_prefixes_the_same_flood_locks_everybody_out() {
        // The control: prefixes as long as addresses (each address its own prefix), as
        // before the per-prefix budget, and the reserve filled by 4-connection prefixes.
        let per_host = Prefixes {
            v4_bits: 32,
            v6_bits: 128,
        };
        let v4: Vec<IpAddr> = (0..4u8)
            .flat_map(|net| (1..=64u8).map(move |host| IpAddr::from([198, 51, net, host])))
            .collect();
        let (held, newcomer) = flood(per_host, &v4, IpAddr::from([203, 0, 113, 9]));
        assert_eq!(held, 1024);
        assert_eq!(newcomer, Admission::Refuse(RefuseReason::Total));
    }

    #[test]
    fn full_means_every_slot_taken() {
        assert!(!server_full(9, 10));
        assert!(server_full(10, 10));
        assert!(server_full(0, 0));
    }

    #[test]
    fn guards_count_by_address_and_prefix_until_dropped() {
        let book = PreLoginBook::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let g1 = book.enter(a);
        let g2 = book.enter(a);
        let g3 = book.enter(b);
        assert_eq!(book.counts(a), counts(3, 2, 3));
        drop(g1);
        assert_eq!(book.counts(a), counts(2, 1, 2));
        drop((g2, g3));
        assert_eq!(book.counts(b), counts(0, 0, 0));
        let c = book.lock();
        assert!(c.by_ip.is_empty() && c.by_prefix.is_empty());
    }
}
