//! Counters of one connection.

use std::time::Duration;

/// Counters of one connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientStats {
    /// Application bytes received: datagram payloads plus control-stream bytes.
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub datagrams_received: u64,
    pub datagrams_sent: u64,
    /// Snapshots decoded (after reassembly).
    pub snapshots: u64,
    pub snapshot_errors: u64,
    pub fragments_abandoned: u64,
    /// Input datagrams sent (per-tick ones and idle keepalives).
    pub inputs_sent: u64,
    /// Client ticks on which no new input was taken because the player held still.
    pub idle_ticks: u64,
    pub floors_verified: u64,
    /// Server-reported HASH_MISMATCH errors.
    pub hash_mismatches: u64,
    /// FloorEnters whose hash this client could not reproduce.
    pub local_hash_mismatches: u64,
    pub corrections: u64,
    /// UDP level, from quinn's ConnectionStats (filled by the network shell).
    pub udp_rx_bytes: u64,
    pub udp_rx_datagrams: u64,
    pub udp_tx_bytes: u64,
    pub udp_tx_datagrams: u64,
    pub rtt: Option<Duration>,
}

/// Transport-level counters the shell copies from quinn's `ConnectionStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransportStats {
    pub udp_rx_bytes: u64,
    pub udp_rx_datagrams: u64,
    pub udp_tx_bytes: u64,
    pub udp_tx_datagrams: u64,
    pub rtt: Duration,
}
