//! LEB128 varints (the protobuf encoding) and zigzag, with explicit errors so that an
//! incremental reader can tell "need more bytes" from "malformed".

use thiserror::Error;

/// Longest LEB128 encoding of a `u32`.
pub const MAX_VARINT_U32_LEN: usize = 5;

/// Why a LEB128 varint could not be read.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    #[error("varint truncated: input ended inside a varint")]
    Truncated,
    #[error("varint overflows u32")]
    Overflow,
}

/// Appends `value` as LEB128.
pub fn put_u32(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Number of bytes `put_u32` writes for `value`.
pub fn len_u32(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// Reads a LEB128 `u32` from the front of `input` and advances it. Rejects encodings that
/// do not fit in 32 bits (including over-long ones).
pub fn get_u32(input: &mut &[u8]) -> Result<u32, VarintError> {
    let mut value: u32 = 0;
    for i in 0..MAX_VARINT_U32_LEN {
        let Some((&byte, rest)) = input.split_first() else {
            return Err(VarintError::Truncated);
        };
        *input = rest;
        let payload = u32::from(byte & 0x7f);
        if i == MAX_VARINT_U32_LEN - 1 && payload > 0x0f {
            return Err(VarintError::Overflow);
        }
        value |= payload << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(VarintError::Overflow)
}

/// Maps signed to unsigned so that small magnitudes stay small: 0,-1,1,-2 -> 0,1,2,3.
pub fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Inverse of [`zigzag`].
pub fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden_bytes() {
        let mut out = Vec::new();
        put_u32(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        out.clear();
        put_u32(&mut out, u32::MAX);
        assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            get_u32(&mut &[0x80u8, 0x80][..]),
            Err(VarintError::Truncated)
        );
        assert_eq!(get_u32(&mut &[][..]), Err(VarintError::Truncated));
        assert_eq!(
            get_u32(&mut &[0xff, 0xff, 0xff, 0xff, 0x1f][..]),
            Err(VarintError::Overflow)
        );
        assert_eq!(
            get_u32(&mut &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00][..]),
            Err(VarintError::Overflow)
        );
    }

    #[test]
    fn zigzag_golden() {
        assert_eq!([0, -1, 1, -2].map(zigzag), [0, 1, 2, 3]);
        assert_eq!(zigzag(i32::MIN), u32::MAX);
    }

    proptest! {
        #[test]
        fn roundtrip(v: u32) {
            let mut out = Vec::new();
            put_u32(&mut out, v);
            prop_assert_eq!(out.len(), len_u32(v));
            let mut slice = &out[..];
            prop_assert_eq!(get_u32(&mut slice), Ok(v));
            prop_assert!(slice.is_empty());
        }

        #[test]
        fn zigzag_roundtrip(v: i32) {
            prop_assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
