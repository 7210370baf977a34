//! Control-stream framing: each message is a LEB128 length prefix followed by that many
//! bytes of protobuf (`ClientControl` / `ServerControl`), at most [`MAX_FRAME_LEN`] bytes.
//!
//! [`FrameDecoder`] is incremental: feed it whatever a stream read returned, in any
//! pieces, and pull complete frames out. An oversized or malformed length prefix is an
//! error as soon as the prefix is seen, before any of the body is buffered.

use crate::varint::{self, VarintError};
use thiserror::Error;

/// Largest frame body accepted or produced (16 KiB).
pub const MAX_FRAME_LEN: usize = 16 * 1024;

/// Why the control stream's length-prefixed framing failed.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the maximum of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("malformed frame length prefix: {0}")]
    MalformedLength(VarintError),
    #[error("stream ended inside a frame: {buffered} bytes buffered, frame needs {needed}")]
    Truncated { buffered: usize, needed: usize },
}

/// Frames `body` (length prefix + body).
pub fn encode_frame(body: &[u8]) -> Result<Vec<u8>, FrameError> {
    if body.len() > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge {
            len: body.len(),
            max: MAX_FRAME_LEN,
        });
    }
    let len = body.len() as u32; // <= 16 KiB, checked above
    let mut out = Vec::with_capacity(varint::len_u32(len) + body.len());
    varint::put_u32(&mut out, len);
    out.extend_from_slice(body);
    Ok(out)
}

/// Incremental frame decoder for one stream direction.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Read position in `buf`; consumed bytes are dropped lazily.
    start: usize,
}

impl FrameDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete frame body, `Ok(None)` if more bytes are needed. After an error
    /// the stream is unusable (the framing is lost) and should be closed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let mut rest = &self.buf[self.start..];
        let len = match varint::get_u32(&mut rest) {
            Ok(len) => len as usize,
            Err(VarintError::Truncated) => return Ok(None),
            Err(e) => return Err(FrameError::MalformedLength(e)),
        };
        if len > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge {
                len,
                max: MAX_FRAME_LEN,
            });
        }
        if rest.len() < len {
            return Ok(None);
        }
        let prefix = self.buffered() - rest.len();
        let body = rest[..len].to_vec();
        self.start += prefix + len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > MAX_FRAME_LEN {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(Some(body))
    }

    /// Call at the end of the stream: an error if a partial frame is left over.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buffered() == 0 {
            return Ok(());
        }
        let mut rest = &self.buf[self.start..];
        let needed = match varint::get_u32(&mut rest) {
            Ok(len) => self.buffered() - rest.len() + len as usize,
            Err(_) => self.buffered() + 1,
        };
        Err(FrameError::Truncated {
            buffered: self.buffered(),
            needed,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden() {
        assert_eq!(encode_frame(b"abc").unwrap(), [3, b'a', b'b', b'c']);
        assert_eq!(encode_frame(b"").unwrap(), [0]);
    }

    #[test]
    fn oversize_is_rejected_both_ways() {
        let big = vec![0u8; MAX_FRAME_LEN + 1];
        assert_eq!(
            encode_frame(&big),
            Err(FrameError::TooLarge {
                len: MAX_FRAME_LEN + 1,
                max: MAX_FRAME_LEN
            })
        );
        let mut d = FrameDecoder::new();
        let mut prefix = Vec::new();
        varint::put_u32(&mut prefix, (MAX_FRAME_LEN + 1) as u32);
        d.push(&prefix); // rejected from the prefix alone
        assert!(matches!(d.next_frame(), Err(FrameError::TooLarge { .. })));
        // exactly the maximum is fine
        let max = vec![7u8; MAX_FRAME_LEN];
        let mut d = FrameDecoder::new();
        d.push(&encode_frame(&max).unwrap());
        assert_eq!(d.next_frame().unwrap().unwrap().len(), MAX_FRAME_LEN);
    }

    #[test]
    fn malformed_prefix() {
        let mut d = FrameDecoder::new();
        d.push(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::MalformedLength(VarintError::Overflow))
        ));
    }

    #[test]
    fn truncated_at_end_of_stream() {
        let mut d = FrameDecoder::new();
        d.push(&[5, 1, 2]);
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(
            d.finish(),
            Err(FrameError::Truncated {
                buffered: 3,
                needed: 6
            })
        );
        let mut d = FrameDecoder::new();
        d.push(&[0x80]);
        assert_eq!(d.next_frame(), Ok(None));
        assert!(d.finish().is_err());
        assert_eq!(FrameDecoder::new().finish(), Ok(()));
    }

    proptest! {
        /// Any split of a stream of frames yields the same frames.
        #[test]
        fn partial_reads(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
                         cuts in proptest::collection::vec(1usize..64, 1..40)) {
            let stream: Vec<u8> = bodies.iter().flat_map(|b| encode_frame(b).unwrap()).collect();
            let mut d = FrameDecoder::new();
            let mut got = Vec::new();
            let mut pos = 0;
            let mut i = 0;
            while pos < stream.len() {
                let n = cuts[i % cuts.len()].min(stream.len() - pos);
                d.push(&stream[pos..pos + n]);
                pos += n;
                i += 1;
                while let Some(f) = d.next_frame().unwrap() { got.push(f); }
            }
            prop_assert_eq!(got, bodies);
            prop_assert_eq!(d.finish(), Ok(()));
        }
    }
}
