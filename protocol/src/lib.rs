//! Tower wire protocol: control messages (protobuf), datagram codecs, quantization and the
//! snapshot delta codec. Everything here is pure: bytes in, values out, no I/O and no
//! clock; every decoder returns an error (never panics) on malformed input.
//!
//! See docs/protocol.md for the byte layouts and the reasons behind them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bits;
pub mod control;
pub mod datagram;
pub mod entity;
pub mod fragment;
pub mod framing;
pub mod history;
pub mod input;
pub mod names;
pub mod snapshot;
pub mod varint;

/// Generated protobuf types of `proto/tower.proto` (package `tower.v1`).
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/tower.v1.rs"));
}

pub use control::{
    ControlError, HASH_LEN, decode_client, decode_server, encode_client, encode_server,
};
pub use datagram::{DatagramKind, DatagramKindError};
pub use fragment::{Fragment, FragmentError, MAX_FRAGMENTS, Reassembler, packetize};
pub use framing::{FrameDecoder, FrameError, MAX_FRAME_LEN, encode_frame};
pub use history::{DEFAULT_HISTORY, SnapshotHistory};
pub use input::{Buttons, InputCmd, InputDatagram, InputError, MAX_INPUTS_PER_DATAGRAM};
pub use names::{
    MAX_NAME_BYTES, MAX_NAME_CHARS, MAX_ROSTER_ENTRIES, name_within_bounds, sanitize_name,
};
pub use snapshot::{
    EntityFlags, EntityKind, EntitySet, EntityState, MAX_PREDICT_AHEAD, MAX_PREDICT_SPAN,
    MAX_SNAPSHOT_ENTITIES, REMOTE_POSITION_UNIT, Snapshot, SnapshotError, SnapshotHeader,
    decode_header, decode_snapshot, encode_snapshot, encode_snapshot_with, predict,
    predictor_usable,
};

/// Version carried in `Hello.protocol_version`; the server rejects any other.
/// 2: `TicketLogin` no longer carries the player's Nakama session token.
/// 3: an input with ATTACK carries the client's render tick (lag compensation).
/// 4: snapshot entities carry no guild (the Roster names guilds); the delta mask is 3 bits.
/// 5: other entities' positions travel in [`REMOTE_POSITION_UNIT`]s (1/16 tile); the
/// repeated inputs of an Input datagram claim positions as differences.
/// 6: an Input datagram carries up to 6 inputs (was 4), for clients sending every 3 ticks.
pub const PROTOCOL_VERSION: u32 = 6;

/// TLS ALPN protocol id of Tower over QUIC.
pub const ALPN: &[u8] = b"tower/1";

/// Snapshot and input sequence numbers start at 1; 0 means "none".
pub const NO_SEQ: u32 = 0;
