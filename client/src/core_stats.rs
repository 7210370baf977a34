//! Counters of one connection.

use std::time::Duration;

/// Counters of one connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientStats {
    /// Application bytes received: datagram payloads plus control-stream bytes.
    pub bytes_received: u64,
    /// Application bytes sent: datagram payloads plus control-stream bytes.
    pub bytes_sent: u64,
    /// Datagrams received (snapshots and their fragments).
    pub datagrams_received: u64,
    /// Datagrams sent (inputs).
    pub datagrams_sent: u64,
    /// Snapshots decoded (after reassembly).
    pub snapshots: u64,
    /// Snapshots that did not decode (e.g. a missing baseline).
    pub snapshot_errors: u64,
    /// Partial snapshots dropped before all their fragments came.
    pub fragments_abandoned: u64,
    /// Input datagrams sent (per-tick ones and idle keepalives).
    pub inputs_sent: u64,
    /// Client ticks on which no new input was taken because the player held still.
    pub idle_ticks: u64,
    /// Client ticks that took an input with no fight near, sent at the calm pace
    /// ([`crate::CalmPolicy`]).
    pub calm_ticks: u64,
    /// Floors regenerated and proved to the server.
    pub floors_verified: u64,
    /// Server-reported HASH_MISMATCH errors.
    pub hash_mismatches: u64,
    /// FloorEnters whose hash this client could not reproduce.
    pub local_hash_mismatches: u64,
    /// Times reconciliation moved the predicted own position (a misprediction).
    pub corrections: u64,
    /// UDP level, from quinn's ConnectionStats (filled by the network shell).
    pub udp_rx_bytes: u64,
    /// UDP datagrams received (quinn).
    pub udp_rx_datagrams: u64,
    /// UDP bytes sent (quinn).
    pub udp_tx_bytes: u64,
    /// UDP datagrams sent (quinn).
    pub udp_tx_datagrams: u64,
    /// QUIC DATAGRAM frames received (snapshots; quinn). Packets beyond these carried
    /// only ACKs, probes or stream data.
    pub datagram_frames_rx: u64,
    /// QUIC DATAGRAM frames sent (inputs; quinn).
    pub datagram_frames_tx: u64,
    /// PING frames received: the server's loss probes, when an ACK came late.
    pub pings_rx: u64,
    /// QUIC's smoothed round-trip time, once the shell has reported it.
    pub rtt: Option<Duration>,
}

/// Transport-level counters the shell copies from quinn's `ConnectionStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// UDP bytes received.
    pub udp_rx_bytes: u64,
    /// UDP datagrams received.
    pub udp_rx_datagrams: u64,
    /// UDP bytes sent.
    pub udp_tx_bytes: u64,
    /// UDP datagrams sent.
    pub udp_tx_datagrams: u64,
    /// DATAGRAM frames received.
    pub datagram_frames_rx: u64,
    /// DATAGRAM frames sent.
    pub datagram_frames_tx: u64,
    /// PING frames received.
    pub pings_rx: u64,
    /// QUIC's smoothed round-trip time.
    pub rtt: Duration,
}
