//! Control-stream messages: protobuf bodies inside [`crate::framing`] frames.

use crate::framing::{self, FrameError};
use crate::pb::{ClientControl, ServerControl, client_control, server_control};
use prost::Message;
use thiserror::Error;

/// Length of a floor hash (SHA3-256) on the wire.
pub const HASH_LEN: usize = 32;

/// Why a control-stream frame could not be turned into a message.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ControlError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("malformed protobuf: {0}")]
    Malformed(#[from] prost::DecodeError),
    #[error("message carries no known message type (empty or from a newer protocol)")]
    UnknownMessage,
    #[error("hash field has {0} bytes, expected 32")]
    BadHashLength(usize),
}

/// Encodes and frames a client -> server message.
pub fn encode_client(msg: client_control::Msg) -> Result<Vec<u8>, FrameError> {
    framing::encode_frame(&ClientControl { msg: Some(msg) }.encode_to_vec())
}

/// Encodes and frames a server -> client message.
pub fn encode_server(msg: server_control::Msg) -> Result<Vec<u8>, FrameError> {
    framing::encode_frame(&ServerControl { msg: Some(msg) }.encode_to_vec())
}

/// Decodes one frame body (from [`framing::FrameDecoder`]) sent by a client.
pub fn decode_client(frame: &[u8]) -> Result<client_control::Msg, ControlError> {
    ClientControl::decode(frame)?
        .msg
        .ok_or(ControlError::UnknownMessage)
}

/// Decodes one frame body sent by the server.
pub fn decode_server(frame: &[u8]) -> Result<server_control::Msg, ControlError> {
    ServerControl::decode(frame)?
        .msg
        .ok_or(ControlError::UnknownMessage)
}

/// Checks a `bytes hash` field and returns it as an array.
pub fn hash_from_bytes(bytes: &[u8]) -> Result<[u8; HASH_LEN], ControlError> {
    bytes
        .try_into()
        .map_err(|_| ControlError::BadHashLength(bytes.len()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pb::{DevLogin, FloorEnter, Hello, hello};

    #[test]
    fn floor_enter_fits_64_bytes_framed() {
        let worst = FloorEnter {
            seed: u64::MAX,
            floor: u32::MAX,
            generator_version: u32::MAX,
            hash: vec![0xff; HASH_LEN],
        };
        let framed = encode_server(server_control::Msg::FloorEnter(worst)).unwrap();
        // 1 len + 2 oneof tag/len + 9 seed + 6 floor + 6 version + 34 hash = 58
        assert_eq!(framed.len(), 58);
        assert!(framed.len() <= 64);
        let typical = FloorEnter {
            seed: 0x0123_4567_89ab_cdef,
            floor: 12,
            generator_version: 1,
            hash: vec![7; 32],
        };
        let framed = encode_server(server_control::Msg::FloorEnter(typical.clone())).unwrap();
        assert_eq!(framed.len(), 50);
        let mut d = framing::FrameDecoder::new();
        d.push(&framed);
        let body = d.next_frame().unwrap().unwrap();
        assert_eq!(
            decode_server(&body).unwrap(),
            server_control::Msg::FloorEnter(typical)
        );
    }

    #[test]
    fn hello_golden_bytes() {
        let hello = Hello {
            protocol_version: 1,
            credentials: Some(hello::Credentials::Dev(DevLogin { name: "ab".into() })),
            resume_token: vec![],
        };
        let framed = encode_client(client_control::Msg::Hello(hello)).unwrap();
        assert_eq!(framed, [10, 0x0a, 8, 0x08, 1, 0x12, 4, 0x0a, 2, b'a', b'b']);
    }

    /// The sizes docs/protocol.md quotes, measured.
    #[test]
    fn typical_message_sizes() {
        use crate::pb::{FloorAdmitted, FloorProof, Leave, Welcome};
        let hello = Hello {
            protocol_version: 1,
            credentials: Some(hello::Credentials::Dev(DevLogin {
                name: "bot123".into(),
            })),
            resume_token: vec![],
        };
        assert_eq!(
            encode_client(client_control::Msg::Hello(hello))
                .unwrap()
                .len(),
            15
        );
        let welcome = Welcome {
            entity_id: 1234,
            tick_rate_hz: 30,
            resume_token: vec![0xaa; 16],
            server_tick: 100_000,
            display_name: "bot123".into(),
            resumed: false,
        };
        assert_eq!(
            encode_server(server_control::Msg::Welcome(welcome))
                .unwrap()
                .len(),
            38
        );
        let proof = FloorProof {
            floor: 12,
            hash: vec![7; 32],
            generator_version: 1,
        };
        assert_eq!(
            encode_client(client_control::Msg::FloorProof(proof))
                .unwrap()
                .len(),
            41
        );
        let admitted = FloorAdmitted {
            floor: 12,
            spawn_x: 8320,
            spawn_y: 4224,
            server_tick: 100_000,
        };
        assert_eq!(
            encode_server(server_control::Msg::FloorAdmitted(admitted))
                .unwrap()
                .len(),
            16
        );
        assert_eq!(
            encode_client(client_control::Msg::Leave(Leave {}))
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn errors() {
        assert_eq!(decode_client(&[]), Err(ControlError::UnknownMessage));
        // field 15 (unknown oneof arm) is skipped by protobuf -> no known message
        assert_eq!(decode_client(&[0x7a, 0]), Err(ControlError::UnknownMessage));
        assert!(matches!(
            decode_client(&[0x0a, 5, 1]),
            Err(ControlError::Malformed(_))
        ));
        assert!(matches!(
            decode_server(&[0xff]),
            Err(ControlError::Malformed(_))
        ));
        assert_eq!(
            hash_from_bytes(&[1, 2]),
            Err(ControlError::BadHashLength(2))
        );
        assert_eq!(hash_from_bytes(&[9; 32]), Ok([9; 32]));
    }
}
