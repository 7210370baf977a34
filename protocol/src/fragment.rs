//! Splitting a snapshot payload into datagrams, and reassembling fragments.
//!
//! A payload that fits goes out as one `Snapshot` datagram (`0x02` + payload). Otherwise it
//! is cut into `SnapshotFragment` datagrams:
//! ```text
//! u8 tag = 0x03, varint seq, u8 index, u8 count, chunk bytes
//! ```
//! Chunks are concatenated in index order. A partial snapshot is given up only when it is
//! superseded (a newer snapshot completes, or more than [`MAX_PARTIALS`] are pending), and
//! every such loss is counted in [`Reassembler::abandoned`].

use crate::datagram::DatagramKind;
use crate::varint::{self, VarintError};
use thiserror::Error;

/// Most fragments one snapshot may be cut into.
pub const MAX_FRAGMENTS: usize = 64;
/// Incomplete snapshots kept while waiting for their other fragments.
pub const MAX_PARTIALS: usize = 4;

/// Why a snapshot could not be split, or a fragment not taken.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FragmentError {
    #[error("max datagram size {0} is too small to carry a snapshot fragment")]
    DatagramTooSmall(usize),
    #[error("snapshot of {len} bytes needs {needed} fragments, at most {MAX_FRAGMENTS}")]
    TooLarge { len: usize, needed: usize },
    #[error("not a snapshot fragment (tag 0x{0:02x})")]
    WrongTag(u8),
    #[error("fragment header truncated")]
    Truncated,
    #[error("malformed varint in fragment header: {0}")]
    Varint(#[from] VarintError),
    #[error("fragment index {index} out of range for count {count}")]
    BadIndex { index: u8, count: u8 },
    #[error("fragment count {0} out of range 2..={MAX_FRAGMENTS}")]
    BadCount(u8),
    #[error("fragment of snapshot {seq} says count {got}, earlier fragments said {expected}")]
    CountMismatch { seq: u32, expected: u8, got: u8 },
    #[error("empty fragment")]
    Empty,
}

/// Cuts one encoded snapshot into datagrams of at most `max_datagram_size` bytes.
pub fn packetize(
    seq: u32,
    payload: &[u8],
    max_datagram_size: usize,
) -> Result<Vec<Vec<u8>>, FragmentError> {
    if payload.len() < max_datagram_size {
        let mut d = Vec::with_capacity(1 + payload.len());
        d.push(DatagramKind::Snapshot as u8);
        d.extend_from_slice(payload);
        return Ok(vec![d]);
    }
    let header = 1 + varint::len_u32(seq) + 2;
    if max_datagram_size <= header {
        return Err(FragmentError::DatagramTooSmall(max_datagram_size));
    }
    let chunk = max_datagram_size - header;
    let needed = payload.len().div_ceil(chunk);
    if needed > MAX_FRAGMENTS {
        return Err(FragmentError::TooLarge {
            len: payload.len(),
            needed,
        });
    }
    Ok(payload
        .chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let mut d = Vec::with_capacity(header + part.len());
            d.push(DatagramKind::SnapshotFragment as u8);
            varint::put_u32(&mut d, seq);
            d.push(i as u8);
            d.push(needed as u8);
            d.extend_from_slice(part);
            d
        })
        .collect())
}

/// A parsed fragment datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Server tick of the snapshot this fragment belongs to.
    pub seq: u32,
    /// Position of this fragment, `0..count`.
    pub index: u8,
    /// Number of fragments of the snapshot (at most [`MAX_FRAGMENTS`]).
    pub count: u8,
    /// This fragment's share of the snapshot payload.
    pub chunk: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Parses a `SnapshotFragment` datagram (tag byte included) without copying its chunk.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, FragmentError> {
        let (&tag, mut rest) = datagram.split_first().ok_or(FragmentError::Truncated)?;
        if tag != DatagramKind::SnapshotFragment as u8 {
            return Err(FragmentError::WrongTag(tag));
        }
        let seq = varint::get_u32(&mut rest)?;
        let [index, count, chunk @ ..] = rest else {
            return Err(FragmentError::Truncated);
        };
        let (index, count) = (*index, *count);
        if !(2..=MAX_FRAGMENTS).contains(&usize::from(count)) {
            return Err(FragmentError::BadCount(count));
        }
        if index >= count {
            return Err(FragmentError::BadIndex { index, count });
        }
        if chunk.is_empty() {
            return Err(FragmentError::Empty);
        }
        Ok(Fragment {
            seq,
            index,
            count,
            chunk,
        })
    }
}

#[derive(Debug)]
struct Partial {
    seq: u32,
    chunks: Vec<Option<Vec<u8>>>,
    missing: usize,
}

/// Collects fragments into whole snapshot payloads (client side).
#[derive(Debug, Default)]
pub struct Reassembler {
    partials: Vec<Partial>,
    newest_completed: Option<u32>,
    abandoned: u64,
}

impl Reassembler {
    /// A reassembler holding no partial snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one `SnapshotFragment` datagram; returns the payload once it is complete.
    /// Fragments of snapshots older than the newest completed one are ignored (counted as
    /// abandoned when they were pending).
    pub fn push(&mut self, datagram: &[u8]) -> Result<Option<Vec<u8>>, FragmentError> {
        let f = Fragment::decode(datagram)?;
        if self.newest_completed.is_some_and(|n| f.seq <= n) {
            return Ok(None);
        }
        let idx = match self.partials.iter().position(|p| p.seq == f.seq) {
            Some(i) => {
                let expected = self.partials[i].chunks.len() as u8;
                if expected != f.count {
                    return Err(FragmentError::CountMismatch {
                        seq: f.seq,
                        expected,
                        got: f.count,
                    });
                }
                i
            }
            None => {
                if self.partials.len() >= MAX_PARTIALS {
                    // give up the oldest pending snapshot
                    if let Some((oldest, _)) =
                        self.partials.iter().enumerate().min_by_key(|(_, p)| p.seq)
                    {
                        self.partials.swap_remove(oldest);
                        self.abandoned += 1;
                    }
                }
                let count = usize::from(f.count);
                self.partials.push(Partial {
                    seq: f.seq,
                    chunks: vec![None; count],
                    missing: count,
                });
                self.partials.len() - 1
            }
        };
        let p = &mut self.partials[idx];
        let slot = &mut p.chunks[usize::from(f.index)];
        if slot.is_none() {
            *slot = Some(f.chunk.to_vec());
            p.missing -= 1;
        }
        if p.missing > 0 {
            return Ok(None);
        }
        let done = self.partials.swap_remove(idx);
        self.newest_completed = Some(done.seq);
        let before = self.partials.len();
        self.partials.retain(|p| p.seq > done.seq);
        self.abandoned += (before - self.partials.len()) as u64;
        Ok(Some(done.chunks.into_iter().flatten().flatten().collect()))
    }

    /// Snapshots given up before all their fragments arrived.
    pub fn abandoned(&self) -> u64 {
        self.abandoned
    }

    /// Snapshots currently waiting for fragments.
    pub fn pending(&self) -> usize {
        self.partials.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_payload_is_one_datagram() {
        assert_eq!(
            packetize(5, &[1, 2, 3], 1200).unwrap(),
            vec![vec![2, 1, 2, 3]]
        );
    }

    #[test]
    fn golden_fragments() {
        let d = packetize(300, &[1, 2, 3, 4, 5, 6, 7, 8], 8).unwrap();
        assert_eq!(
            d,
            vec![
                vec![3, 0xac, 0x02, 0, 3, 1, 2, 3],
                vec![3, 0xac, 0x02, 1, 3, 4, 5, 6],
                vec![3, 0xac, 0x02, 2, 3, 7, 8],
            ]
        );
    }

    #[test]
    fn reassembles_out_of_order() {
        let payload: Vec<u8> = (0..=255).collect();
        let mut d = packetize(9, &payload, 100).unwrap();
        assert_eq!(d.len(), 3);
        d.reverse();
        let mut r = Reassembler::new();
        assert_eq!(r.push(&d[0]).unwrap(), None);
        assert_eq!(r.push(&d[0]).unwrap(), None); // duplicate is harmless
        assert_eq!(r.push(&d[1]).unwrap(), None);
        assert_eq!(r.push(&d[2]).unwrap(), Some(payload));
        assert_eq!(r.push(&d[1]).unwrap(), None); // late duplicate of a completed snapshot
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn losses_are_counted() {
        let payload = vec![1u8; 300];
        let mut r = Reassembler::new();
        let old = packetize(1, &payload, 100).unwrap();
        let new = packetize(2, &payload, 100).unwrap();
        r.push(&old[0]).unwrap();
        for f in &new {
            r.push(f).unwrap();
        }
        assert_eq!(r.abandoned(), 1);
        for seq in 10..10 + MAX_PARTIALS as u32 + 1 {
            r.push(&packetize(seq, &payload, 100).unwrap()[0]).unwrap();
        }
        assert_eq!(r.abandoned(), 2);
        assert_eq!(r.pending(), MAX_PARTIALS);
    }

    #[test]
    fn errors() {
        assert_eq!(
            packetize(1, &[0; 100], 4),
            Err(FragmentError::DatagramTooSmall(4))
        );
        assert_eq!(
            packetize(1, &[0; 1000], 10),
            Err(FragmentError::TooLarge {
                len: 1000,
                needed: 167
            })
        );
        let mut r = Reassembler::new();
        assert_eq!(r.push(&[]), Err(FragmentError::Truncated));
        assert_eq!(r.push(&[2, 1, 0, 2, 9]), Err(FragmentError::WrongTag(2)));
        assert_eq!(
            r.push(&[3, 0x80]),
            Err(FragmentError::Varint(VarintError::Truncated))
        );
        assert_eq!(r.push(&[3, 1, 0]), Err(FragmentError::Truncated));
        assert_eq!(r.push(&[3, 1, 0, 1, 9]), Err(FragmentError::BadCount(1)));
        assert_eq!(r.push(&[3, 1, 0, 65, 9]), Err(FragmentError::BadCount(65)));
        assert_eq!(
            r.push(&[3, 1, 2, 2, 9]),
            Err(FragmentError::BadIndex { index: 2, count: 2 })
        );
        assert_eq!(r.push(&[3, 1, 0, 2]), Err(FragmentError::Empty));
        assert_eq!(r.push(&[3, 1, 0, 2, 9]), Ok(None));
        assert_eq!(
            r.push(&[3, 1, 1, 3, 9]),
            Err(FragmentError::CountMismatch {
                seq: 1,
                expected: 2,
                got: 3
            })
        );
    }

    proptest! {
        #[test]
        fn roundtrip(payload in proptest::collection::vec(any::<u8>(), 0..3000), max in 60usize..1400, seq in 1u32..) {
            let datagrams = packetize(seq, &payload, max).unwrap();
            prop_assert!(datagrams.iter().all(|d| d.len() <= max));
            if datagrams.len() == 1 && datagrams[0][0] == 2 {
                prop_assert_eq!(&datagrams[0][1..], &payload[..]);
            } else {
                let mut r = Reassembler::new();
                let mut out = None;
                for d in &datagrams { if let Some(p) = r.push(d).unwrap() { out = Some(p); } }
                prop_assert_eq!(out, Some(payload));
            }
        }
    }
}
