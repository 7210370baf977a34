//! Datagram kinds: every QUIC datagram starts with a one-byte tag.

use thiserror::Error;

/// The first byte of every datagram.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatagramKind {
    /// Client -> server: inputs + snapshot ack ([`crate::input`]).
    Input = 0x01,
    /// Server -> client: one whole snapshot ([`crate::snapshot`]).
    Snapshot = 0x02,
    /// Server -> client: one fragment of a snapshot too big for one datagram ([`crate::fragment`]).
    SnapshotFragment = 0x03,
}

/// Why a datagram's first byte names no known kind.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum DatagramKindError {
    #[error("empty datagram")]
    Empty,
    #[error("unknown datagram kind 0x{0:02x}")]
    Unknown(u8),
}

impl DatagramKind {
    /// The kind a tag byte names.
    pub fn from_u8(tag: u8) -> Result<Self, DatagramKindError> {
        match tag {
            0x01 => Ok(Self::Input),
            0x02 => Ok(Self::Snapshot),
            0x03 => Ok(Self::SnapshotFragment),
            other => Err(DatagramKindError::Unknown(other)),
        }
    }

    /// Splits a datagram into its kind and the bytes after the tag.
    pub fn split(datagram: &[u8]) -> Result<(Self, &[u8]), DatagramKindError> {
        let (&tag, rest) = datagram.split_first().ok_or(DatagramKindError::Empty)?;
        Ok((Self::from_u8(tag)?, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(
            DatagramKind::split(&[2, 9]),
            Ok((DatagramKind::Snapshot, &[9u8][..]))
        );
        assert_eq!(DatagramKind::split(&[]), Err(DatagramKindError::Empty));
        assert_eq!(
            DatagramKind::split(&[0]),
            Err(DatagramKindError::Unknown(0))
        );
        for k in [
            DatagramKind::Input,
            DatagramKind::Snapshot,
            DatagramKind::SnapshotFragment,
        ] {
            assert_eq!(DatagramKind::from_u8(k as u8), Ok(k));
        }
    }
}
