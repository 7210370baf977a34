//! The floor hash: SHA3-256 over the canonical encoding.

use std::fmt;
use std::str::FromStr;

use sha3::{Digest, Sha3_256};

use crate::types::Floor;

/// SHA3-256 over the canonical encoding (see docs/floors.md).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FloorHash(pub [u8; 32]);

impl FloorHash {
    /// SHA3-256 of arbitrary bytes (the canonical encoding of a floor, normally).
    pub fn of_bytes(bytes: &[u8]) -> FloorHash {
        FloorHash(Sha3_256::digest(bytes).into())
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for FloorHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for FloorHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FloorHash({self})")
    }
}

/// Why a string is not a floor hash.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    #[error("a floor hash has 64 hex digits, got {0} characters")]
    Length(usize),
    #[error("not a hex digit: {0:?}")]
    NotHex(char),
}

impl FromStr for FloorHash {
    type Err = HashParseError;

    /// Accepts 64 hex digits, upper or lower case, with no prefix or whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(HashParseError::NotHex(c));
        }
        if s.len() != 64 {
            return Err(HashParseError::Length(s.chars().count()));
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            *byte = (hex_val(pair[0]) << 4) | hex_val(pair[1]);
        }
        Ok(FloorHash(out))
    }
}

/// Value of an ASCII hex digit already checked with `is_ascii_hexdigit`.
fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

impl Floor {
    /// SHA3-256 over [`Floor::encode`].
    pub fn hash(&self) -> FloorHash {
        FloorHash::of_bytes(&self.encode())
    }
}
