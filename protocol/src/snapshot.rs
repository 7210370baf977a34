//! The snapshot codec: the entity state a client should see at one server tick, delta
//! encoded against a baseline the client acknowledged, bit-packed.
//!
//! The codec encodes exactly the states it is given: the server decides which entities a
//! client sees (area of interest) and how often each one is refreshed (update tiers), by
//! building the `current` set (an entity not due this tick keeps its last-sent state).
//!
//! Payload layout (after the datagram tag; bit fields LSB-first, see docs/protocol.md):
//! ```text
//! varint seq               server tick, >= 1
//! varint baseline_distance 0 = full snapshot, else baseline = seq - distance
//! [varint predictor_distance, only with a baseline: 0 = none, else predictor = baseline - distance]
//! varint last_input_seq    newest input of this client the server has applied (0 = none)
//! bits:
//!   var(COUNT) n_changed
//!   n_changed × { var(ID) id_gap, bit full,
//!                 full:  kind:3, var(POS_ABS) zz(x), var(POS_ABS) zz(y), var(HEALTH) health,
//!                        flags:4
//!                 delta (against the *predicted* state, see [`predict`]): bit pos_only, [mask:3 = pos|health|flags unless pos_only],
//!                        pos: var(POS_DELTA) zz(dx), var(POS_DELTA) zz(dy); health; flags:4 }
//!   var(COUNT) n_removed
//!   n_removed × var(ID) id_gap
//!   zero padding to a byte
//! ```
//! Baseline entities not mentioned take their predicted state (with no predictor: the
//! baseline state). `var(T)` is a 2-bit class choosing a width from table `T`. Ids are strictly increasing:
//! the first is sent as is, the next as `id - previous - 1`.

use crate::bits::{BitReader, BitWriter, EndOfBits, WidthTable};
pub use crate::entity::{EntityFlags, EntityKind, EntitySet, EntityState, REMOTE_POSITION_UNIT};
use crate::varint::{self, VarintError, unzigzag, zigzag};
use thiserror::Error;

/// Most entities one snapshot may hold (bounds decoder allocations).
pub const MAX_SNAPSHOT_ENTITIES: usize = 4096;

const COUNT: WidthTable = [0, 4, 8, 13];
const ID: WidthTable = [4, 8, 16, 32];
const POS_ABS: WidthTable = [12, 16, 20, 32];
const POS_DELTA: WidthTable = [0, 4, 9, 16];
const HEALTH: WidthTable = [4, 8, 12, 16];
const KIND_BITS: u8 = 3;
use crate::entity::FLAG_BITS;
/// Largest zigzagged position delta a delta record carries; larger moves are sent in full.
const MAX_POS_DELTA_ZZ: u32 = (1 << 16) - 1;

const MASK_POS: u32 = 1;
const MASK_HEALTH: u32 = 2;
const MASK_FLAGS: u32 = 4;
const MASK_BITS: u8 = 3;

/// The byte-aligned start of a snapshot payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotHeader {
    /// Server tick this snapshot describes; >= 1.
    pub seq: u32,
    /// The snapshot this one is a delta against; `None` = full snapshot.
    pub baseline: Option<u32>,
    /// An older acknowledged snapshot used with the baseline to extrapolate motion
    /// (dead reckoning); only with a baseline.
    pub predictor: Option<u32>,
    /// Newest input seq of this client applied by the server (0 = none).
    pub last_input_seq: u32,
}

/// A decoded snapshot: the complete entity state at `header.seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Seq, baseline, predictor and the acknowledged input.
    pub header: SnapshotHeader,
    /// Every entity the client sees at that tick (baseline merged with the changes).
    pub entities: EntitySet,
}

/// Why a snapshot could not be encoded or decoded (never a panic).
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("snapshot seq 0 is reserved")]
    ZeroSeq,
    #[error("baseline {baseline} is not older than snapshot {seq}")]
    BadBaseline { seq: u32, baseline: u32 },
    #[error("predictor {predictor} unusable with baseline {baseline} for snapshot {seq}")]
    BadPredictor {
        seq: u32,
        baseline: u32,
        predictor: u32,
    },
    #[error("malformed snapshot header: {0}")]
    Header(#[from] VarintError),
    #[error("snapshot body truncated")]
    Truncated,
    #[error("snapshot is a delta against {0}, which this side does not have")]
    BaselineMissing(u32),
    #[error("{0} entities in one snapshot, at most {MAX_SNAPSHOT_ENTITIES}")]
    TooManyEntities(usize),
    #[error("entity id overflows u32")]
    IdOverflow,
    #[error("unknown entity kind {0}")]
    UnknownKind(u8),
    #[error("delta for entity {0}, which is not in the baseline")]
    UnknownEntity(u32),
    #[error("removal of entity {0}, which is not in the baseline")]
    RemoveUnknown(u32),
    #[error("entity {0} is both changed and removed")]
    ChangedAndRemoved(u32),
    #[error("delta record for entity {0} changes nothing")]
    EmptyDelta(u32),
    #[error("health {0} out of range")]
    BadHealth(u32),
    #[error("non-zero padding or trailing bytes after the snapshot")]
    Trailing,
}

impl From<EndOfBits> for SnapshotError {
    fn from(_: EndOfBits) -> Self {
        SnapshotError::Truncated
    }
}

/// Longest gap between predictor and baseline that prediction is used for (ticks).
pub const MAX_PREDICT_SPAN: u32 = 16;
/// Furthest past the baseline that motion is extrapolated (ticks).
pub const MAX_PREDICT_AHEAD: u32 = 32;

/// Whether the predictor `p` may be used with baseline `b` for snapshot `seq`.
pub fn predictor_usable(seq: u32, b: u32, p: u32) -> bool {
    p >= 1 && p < b && b < seq && b - p <= MAX_PREDICT_SPAN && seq - b <= MAX_PREDICT_AHEAD
}

/// Where entity `b` (its state at tick `b_seq`) is expected at `seq`: moved on at the
/// velocity it had between `p` (its state at `p_seq`) and `b`; all other fields as in `b`.
/// Integer arithmetic (truncation towards zero), identical on both ends.
pub fn predict(
    b: &EntityState,
    p: Option<&EntityState>,
    b_seq: u32,
    p_seq: u32,
    seq: u32,
) -> EntityState {
    match p {
        Some(p) if p.kind == b.kind && p_seq < b_seq && b_seq < seq => {
            let span = i64::from(b_seq - p_seq);
            let ahead = i64::from(seq - b_seq);
            let ex = |now: i32, before: i32| -> i32 {
                let moved = (i64::from(now) - i64::from(before)) * ahead / span;
                (i64::from(now) + moved).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
            };
            EntityState {
                x: ex(b.x, p.x),
                y: ex(b.y, p.y),
                ..*b
            }
        }
        _ => *b,
    }
}

/// Encodes `current` as a delta against `baseline` (`None` = full snapshot).
pub fn encode_snapshot(
    seq: u32,
    last_input_seq: u32,
    baseline: Option<(u32, &EntitySet)>,
    current: &EntitySet,
) -> Result<Vec<u8>, SnapshotError> {
    encode_snapshot_with(seq, last_input_seq, baseline, None, current)
}

/// Encodes `current` as a delta against `baseline`, with the motion between `predictor`
/// (an older state the client also has) and `baseline` extrapolated: an entity that keeps
/// moving the same way costs nothing, others send their difference from the prediction.
pub fn encode_snapshot_with(
    seq: u32,
    last_input_seq: u32,
    baseline: Option<(u32, &EntitySet)>,
    predictor: Option<(u32, &EntitySet)>,
    current: &EntitySet,
) -> Result<Vec<u8>, SnapshotError> {
    if seq == 0 {
        return Err(SnapshotError::ZeroSeq);
    }
    if current.len() > MAX_SNAPSHOT_ENTITIES {
        return Err(SnapshotError::TooManyEntities(current.len()));
    }
    // header, then at most ~10 bytes per entity (a full state); one allocation
    let mut out = Vec::with_capacity(16 + current.len() * 10);
    varint::put_u32(&mut out, seq);
    match (baseline, predictor) {
        (Some((b, _)), _) if b == 0 || b >= seq => {
            return Err(SnapshotError::BadBaseline { seq, baseline: b });
        }
        (Some((b, _)), Some((p, _))) if !predictor_usable(seq, b, p) => {
            return Err(SnapshotError::BadPredictor {
                seq,
                baseline: b,
                predictor: p,
            });
        }
        (Some((b, _)), p) => {
            varint::put_u32(&mut out, seq - b);
            varint::put_u32(&mut out, p.map_or(0, |(p, _)| b - p));
        }
        (None, Some((p, _))) => {
            return Err(SnapshotError::BadPredictor {
                seq,
                baseline: 0,
                predictor: p,
            });
        }
        (None, None) => varint::put_u32(&mut out, 0),
    }
    varint::put_u32(&mut out, last_input_seq);
    let b_seq = baseline.map_or(0, |(b, _)| b);
    let p_seq = predictor.map_or(0, |(p, _)| p);
    // ids ascend in every set: the predictor is walked alongside the baseline
    let mut older = predictor
        .map_or(&[][..], |(_, set)| set.as_slice())
        .iter()
        .peekable();

    let empty = EntitySet::new();
    let base = baseline.map_or(&empty, |(_, set)| set);
    let mut changed: Vec<(&EntityState, Option<EntityState>)> = Vec::with_capacity(current.len());
    let mut removed: Vec<u32> = Vec::new();
    let (mut bi, mut ci) = (0, 0);
    let (bs, cs) = (base.as_slice(), current.as_slice());
    while bi < bs.len() || ci < cs.len() {
        match (bs.get(bi), cs.get(ci)) {
            (Some(b), Some(c)) if b.id == c.id => {
                while older.next_if(|p| p.id < b.id).is_some() {}
                let p = older.next_if(|p| p.id == b.id);
                let pred = predict(b, p, b_seq, p_seq, seq);
                if pred != *c {
                    changed.push((c, Some(pred)));
                }
                bi += 1;
                ci += 1;
            }
            (Some(b), Some(c)) if b.id < c.id => {
                removed.push(b.id);
                bi += 1;
            }
            (Some(b), None) => {
                removed.push(b.id);
                bi += 1;
            }
            (_, Some(c)) => {
                changed.push((c, None));
                ci += 1;
            }
            (None, None) => break,
        }
    }

    let mut w = BitWriter::appending_to(out);
    w.write_var(changed.len() as u32, &COUNT);
    let mut prev: Option<u32> = None;
    for (c, b) in &changed {
        write_id(&mut w, &mut prev, c.id);
        match b {
            Some(b) if can_delta(b, c) => write_delta(&mut w, b, c),
            _ => write_full(&mut w, c),
        }
    }
    w.write_var(removed.len() as u32, &COUNT);
    let mut prev = None;
    for id in removed {
        write_id(&mut w, &mut prev, id);
    }
    Ok(w.finish())
}

fn write_id(w: &mut BitWriter, prev: &mut Option<u32>, id: u32) {
    let gap = match *prev {
        None => id,
        Some(p) => id - p - 1, // ids strictly increase
    };
    w.write_var(gap, &ID);
    *prev = Some(id);
}

fn can_delta(b: &EntityState, c: &EntityState) -> bool {
    b.kind == c.kind
        && zigzag(c.x.wrapping_sub(b.x)) <= MAX_POS_DELTA_ZZ
        && zigzag(c.y.wrapping_sub(b.y)) <= MAX_POS_DELTA_ZZ
}

fn write_full(w: &mut BitWriter, c: &EntityState) {
    w.write_bool(true);
    w.write(u32::from(c.kind as u8), KIND_BITS);
    w.write_var(zigzag(c.x), &POS_ABS);
    w.write_var(zigzag(c.y), &POS_ABS);
    w.write_var(u32::from(c.health), &HEALTH);
    w.write(u32::from(c.flags.bits()), FLAG_BITS);
}

fn write_delta(w: &mut BitWriter, b: &EntityState, c: &EntityState) {
    w.write_bool(false);
    let mut mask = 0;
    if (b.x, b.y) != (c.x, c.y) {
        mask |= MASK_POS;
    }
    if b.health != c.health {
        mask |= MASK_HEALTH;
    }
    if b.flags != c.flags {
        mask |= MASK_FLAGS;
    }
    let pos_only = mask == MASK_POS;
    w.write_bool(pos_only);
    if !pos_only {
        w.write(mask, MASK_BITS);
    }
    if mask & MASK_POS != 0 {
        w.write_var(zigzag(c.x.wrapping_sub(b.x)), &POS_DELTA);
        w.write_var(zigzag(c.y.wrapping_sub(b.y)), &POS_DELTA);
    }
    if mask & MASK_HEALTH != 0 {
        w.write_var(u32::from(c.health), &HEALTH);
    }
    if mask & MASK_FLAGS != 0 {
        w.write(u32::from(c.flags.bits()), FLAG_BITS);
    }
}

/// Reads the byte-aligned header; returns it and the offset of the bit-packed body.
pub fn decode_header(payload: &[u8]) -> Result<(SnapshotHeader, usize), SnapshotError> {
    let mut rest = payload;
    let seq = varint::get_u32(&mut rest)?;
    let distance = varint::get_u32(&mut rest)?;
    let predictor_distance = if distance == 0 {
        0
    } else {
        varint::get_u32(&mut rest)?
    };
    let last_input_seq = varint::get_u32(&mut rest)?;
    if seq == 0 {
        return Err(SnapshotError::ZeroSeq);
    }
    let baseline = match distance {
        0 => None,
        d if d >= seq => {
            return Err(SnapshotError::BadBaseline {
                seq,
                baseline: seq.wrapping_sub(d),
            });
        }
        d => Some(seq - d),
    };
    let predictor = match (baseline, predictor_distance) {
        (_, 0) => None,
        (Some(b), d) if d < b && predictor_usable(seq, b, b - d) => Some(b - d),
        (b, d) => {
            let b = b.unwrap_or(0);
            return Err(SnapshotError::BadPredictor {
                seq,
                baseline: b,
                predictor: b.wrapping_sub(d),
            });
        }
    };
    Ok((
        SnapshotHeader {
            seq,
            baseline,
            predictor,
            last_input_seq,
        },
        payload.len() - rest.len(),
    ))
}

enum Change {
    Full(EntityState),
    Delta {
        id: u32,
        mask: u32,
        dx: i32,
        dy: i32,
        health: u16,
        flags: EntityFlags,
    },
}

impl Change {
    fn id(&self) -> u32 {
        match self {
            Change::Full(e) => e.id,
            Change::Delta { id, .. } => *id,
        }
    }
}

/// Decodes a snapshot payload. `baseline` is asked for the state of the baseline seq named
/// in the header (only if the snapshot is a delta).
pub fn decode_snapshot<'b>(
    payload: &[u8],
    baseline: impl Fn(u32) -> Option<&'b EntitySet>,
) -> Result<Snapshot, SnapshotError> {
    let (header, offset) = decode_header(payload)?;
    let empty = EntitySet::new();
    let base = match header.baseline {
        None => &empty,
        Some(seq) => baseline(seq).ok_or(SnapshotError::BaselineMissing(seq))?,
    };
    let prev_set = match header.predictor {
        None => None,
        Some(seq) => Some(baseline(seq).ok_or(SnapshotError::BaselineMissing(seq))?),
    };
    let (b_seq, p_seq) = (header.baseline.unwrap_or(0), header.predictor.unwrap_or(0));
    let predicted = |b: &EntityState| {
        predict(
            b,
            prev_set.and_then(|p| p.get(b.id)),
            b_seq,
            p_seq,
            header.seq,
        )
    };
    let mut r = BitReader::new(&payload[offset..]);

    let n_changed = read_count(&mut r)?;
    let mut changes = Vec::with_capacity(n_changed.min(256));
    let mut prev = None;
    for _ in 0..n_changed {
        let id = read_id(&mut r, &mut prev)?;
        changes.push(if r.read_bool()? {
            Change::Full(read_full(&mut r, id)?)
        } else {
            read_delta(&mut r, id)?
        });
    }
    let n_removed = read_count(&mut r)?;
    let mut removed = Vec::with_capacity(n_removed.min(256));
    let mut prev = None;
    for _ in 0..n_removed {
        removed.push(read_id(&mut r, &mut prev)?);
    }
    if !r.at_padded_end() {
        return Err(SnapshotError::Trailing);
    }

    // Merge baseline (sorted), changes (sorted) and removals (sorted).
    let mut out = Vec::with_capacity(base.len() + changes.len());
    let mut changes = changes.into_iter().peekable();
    let mut removed = removed.into_iter().peekable();
    for b in base.iter() {
        while let Some(c) = changes.next_if(|c| c.id() < b.id) {
            match c {
                Change::Full(e) => out.push(e),
                Change::Delta { id, .. } => return Err(SnapshotError::UnknownEntity(id)),
            }
        }
        if let Some(&id) = removed.peek() {
            if id < b.id {
                return Err(SnapshotError::RemoveUnknown(id));
            }
            if id == b.id {
                removed.next();
                if changes.peek().is_some_and(|c| c.id() == b.id) {
                    return Err(SnapshotError::ChangedAndRemoved(b.id));
                }
                continue;
            }
        }
        match changes.next_if(|c| c.id() == b.id) {
            Some(Change::Full(e)) => out.push(e),
            Some(Change::Delta {
                mask,
                dx,
                dy,
                health,
                flags,
                ..
            }) => {
                let mut e = predicted(b);
                if mask & MASK_POS != 0 {
                    e.x = e.x.wrapping_add(dx);
                    e.y = e.y.wrapping_add(dy);
                }
                if mask & MASK_HEALTH != 0 {
                    e.health = health;
                }
                if mask & MASK_FLAGS != 0 {
                    e.flags = flags;
                }
                out.push(e);
            }
            None => out.push(predicted(b)),
        }
    }
    if let Some(id) = removed.next() {
        return Err(SnapshotError::RemoveUnknown(id));
    }
    for c in changes {
        match c {
            Change::Full(e) => out.push(e),
            Change::Delta { id, .. } => return Err(SnapshotError::UnknownEntity(id)),
        }
    }
    if out.len() > MAX_SNAPSHOT_ENTITIES {
        return Err(SnapshotError::TooManyEntities(out.len()));
    }
    Ok(Snapshot {
        header,
        entities: EntitySet::from_sorted(out),
    })
}

fn read_count(r: &mut BitReader<'_>) -> Result<usize, SnapshotError> {
    let n = r.read_var(&COUNT)? as usize;
    if n > MAX_SNAPSHOT_ENTITIES {
        return Err(SnapshotError::TooManyEntities(n));
    }
    Ok(n)
}

fn read_id(r: &mut BitReader<'_>, prev: &mut Option<u32>) -> Result<u32, SnapshotError> {
    let gap = r.read_var(&ID)?;
    let id = match *prev {
        None => gap,
        Some(p) => p
            .checked_add(gap)
            .and_then(|v| v.checked_add(1))
            .ok_or(SnapshotError::IdOverflow)?,
    };
    *prev = Some(id);
    Ok(id)
}

fn read_u16(
    r: &mut BitReader<'_>,
    table: &WidthTable,
    err: fn(u32) -> SnapshotError,
) -> Result<u16, SnapshotError> {
    let v = r.read_var(table)?;
    u16::try_from(v).map_err(|_| err(v))
}

fn read_full(r: &mut BitReader<'_>, id: u32) -> Result<EntityState, SnapshotError> {
    let kind_raw = r.read(KIND_BITS)? as u8;
    let kind = EntityKind::from_u8(kind_raw).ok_or(SnapshotError::UnknownKind(kind_raw))?;
    let x = unzigzag(r.read_var(&POS_ABS)?);
    let y = unzigzag(r.read_var(&POS_ABS)?);
    let health = read_u16(r, &HEALTH, SnapshotError::BadHealth)?;
    let flags = EntityFlags::from_bits_truncate(r.read(FLAG_BITS)? as u8);
    Ok(EntityState {
        id,
        kind,
        x,
        y,
        health,
        flags,
    })
}

fn read_delta(r: &mut BitReader<'_>, id: u32) -> Result<Change, SnapshotError> {
    let mask = if r.read_bool()? {
        MASK_POS
    } else {
        r.read(MASK_BITS)?
    };
    if mask == 0 {
        return Err(SnapshotError::EmptyDelta(id));
    }
    let (mut dx, mut dy, mut health, mut flags) = (0, 0, 0, EntityFlags::default());
    if mask & MASK_POS != 0 {
        dx = unzigzag(r.read_var(&POS_DELTA)?);
        dy = unzigzag(r.read_var(&POS_DELTA)?);
    }
    if mask & MASK_HEALTH != 0 {
        health = read_u16(r, &HEALTH, SnapshotError::BadHealth)?;
    }
    if mask & MASK_FLAGS != 0 {
        flags = EntityFlags::from_bits_truncate(r.read(FLAG_BITS)? as u8);
    }
    Ok(Change::Delta {
        id,
        mask,
        dx,
        dy,
        health,
        flags,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn ent(id: u32, x: i32, y: i32) -> EntityState {
        EntityState {
            id,
            kind: EntityKind::Monster,
            x,
            y,
            health: 100,
            flags: EntityFlags::default(),
        }
    }

    fn decode(payload: &[u8], base: Option<&EntitySet>) -> Result<Snapshot, SnapshotError> {
        decode_snapshot(payload, |_| base)
    }

    #[test]
    fn golden_full() {
        let set = EntitySet::from_vec(vec![EntityState {
            kind: EntityKind::Player,
            ..ent(5, 256, 512)
        }]);
        let bytes = encode_snapshot(9, 3, None, &set).unwrap();
        // header 9,0,3 | count=1 (class 1: 4b) id=5 (class 0: 4b) full=1 kind=0 x=zz(256) (class 0: 12b)
        // y=zz(512) (class 0: 12b) health=100 (class 1: 8b) flags=0 | removed=0; 60 bits,
        // LSB first
        assert_eq!(bytes, [9, 0, 3, 5, 21, 0, 8, 0, 20, 25, 0]);
        let snap = decode(&bytes, None).unwrap();
        assert_eq!(
            snap.header,
            SnapshotHeader {
                seq: 9,
                baseline: None,
                predictor: None,
                last_input_seq: 3
            }
        );
        assert_eq!(snap.entities, set);
    }

    #[test]
    fn golden_idle_delta_is_5_bytes() {
        let set = EntitySet::from_vec(vec![ent(1, 10, 10), ent(2, 20, 20)]);
        let bytes = encode_snapshot(11, 7, Some((10, &set)), &set).unwrap();
        // seq 11, baseline distance 1, no predictor, last input 7, body: two empty counts
        assert_eq!(bytes, [11, 1, 0, 7, 0x00]);
        assert_eq!(decode(&bytes, Some(&set)).unwrap().entities, set);
    }

    /// Dead reckoning: entities that keep their velocity cost nothing; one that turned
    /// sends its difference from the prediction.
    #[test]
    fn golden_predicted_motion() {
        let at = |t: i32| -> EntitySet {
            (1..=32)
                .map(|i| ent(i * 3, 1000 + 34 * t, 1000 - 24 * t))
                .collect()
        };
        let (p, b) = (at(0), at(1));
        let mut cur = at(4);
        let hist = |seq| match seq {
            10 => Some(&p),
            11 => Some(&b),
            _ => None,
        };
        let bytes = encode_snapshot_with(14, 2, Some((11, &b)), Some((10, &p)), &cur).unwrap();
        assert_eq!(
            bytes,
            [14, 3, 1, 2, 0x00],
            "32 entities moving on: nothing to send"
        );
        let snap = decode_snapshot(&bytes, hist).unwrap();
        assert_eq!(snap.header.predictor, Some(10));
        assert_eq!(snap.entities, cur);
        // entity 3 stopped at tick 1: its residual is -3 ticks of motion
        cur.upsert(ent(3, 1000 + 34, 1000 - 24));
        let bytes = encode_snapshot_with(14, 2, Some((11, &b)), Some((10, &p)), &cur).unwrap();
        // count 1 (6b) | id 3 (6b) full=0 pos_only=1 | dx zz(-102)=203 (2+9b) dy zz(72)=144 (2+9b) | removed 0 (2b)
        assert_eq!(bytes.len(), 4 + 5);
        assert_eq!(decode_snapshot(&bytes, hist).unwrap().entities, cur);
        // without the predictor's state the client cannot decode it
        assert_eq!(
            decode_snapshot(&bytes, |s| (s == 11).then_some(&b)),
            Err(SnapshotError::BaselineMissing(10))
        );
    }

    #[test]
    fn predictor_rules() {
        let s = EntitySet::new();
        let bad = |seq, b, p| encode_snapshot_with(seq, 0, Some((b, &s)), Some((p, &s)), &s);
        assert_eq!(
            bad(20, 10, 10),
            Err(SnapshotError::BadPredictor {
                seq: 20,
                baseline: 10,
                predictor: 10
            })
        );
        assert!(bad(20, 19, 19 - MAX_PREDICT_SPAN - 1).is_err());
        assert!(bad(19 + MAX_PREDICT_AHEAD + 1, 19, 18).is_err());
        assert!(bad(20, 19, 18).is_ok());
        assert!(encode_snapshot_with(20, 0, None, Some((3, &s)), &s).is_err());
        // header naming an unusable predictor: distance 17 from baseline 19
        assert_eq!(
            decode(&[20, 1, 17, 0, 0], Some(&s)),
            Err(SnapshotError::BadPredictor {
                seq: 20,
                baseline: 19,
                predictor: 2
            })
        );
        assert!(decode(&[20, 1, 19, 0, 0], Some(&s)).is_err());
        // prediction arithmetic saturates instead of overflowing
        let far = EntityState {
            x: i32::MAX - 10,
            ..ent(1, 0, 0)
        };
        let before = EntityState {
            x: i32::MIN,
            ..ent(1, 0, 0)
        };
        assert_eq!(predict(&far, Some(&before), 2, 1, 30).x, i32::MAX);
    }

    #[test]
    fn moving_entity_costs_about_three_bytes() {
        let base: EntitySet = (1..=32).map(|i| ent(i * 3, 1000, 1000)).collect();
        let cur: EntitySet = base
            .iter()
            .map(|e| EntityState { x: e.x + 34, ..*e })
            .collect();
        let bytes = encode_snapshot(100, 50, Some((99, &base)), &cur).unwrap();
        // without a predictor: 4 header bytes + count 10 bits
        // + 32 × (id 6 + full 1 + pos_only 1 + dx zz(34) 2+9 + dy 2 = 21 bits) + removed 2 bits
        // = 684 bits -> 86 bytes
        assert_eq!(bytes.len(), 4 + 86);
        assert_eq!(decode(&bytes, Some(&base)).unwrap().entities, cur);
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            encode_snapshot(0, 0, None, &EntitySet::new()),
            Err(SnapshotError::ZeroSeq)
        );
        let s = EntitySet::new();
        assert_eq!(
            encode_snapshot(5, 0, Some((5, &s)), &s),
            Err(SnapshotError::BadBaseline {
                seq: 5,
                baseline: 5
            })
        );
        assert_eq!(decode(&[0, 0, 0, 0], None), Err(SnapshotError::ZeroSeq));
        assert_eq!(
            decode(&[5, 5, 0, 0], None),
            Err(SnapshotError::BadBaseline {
                seq: 5,
                baseline: 0
            })
        );
        assert_eq!(
            decode(&[5, 0x80], None),
            Err(SnapshotError::Header(VarintError::Truncated))
        );
        assert_eq!(
            decode(&[5, 1, 0, 0], None),
            Err(SnapshotError::BaselineMissing(4))
        );
        assert_eq!(decode(&[5, 0, 0], None), Err(SnapshotError::Truncated));
        assert_eq!(decode(&[5, 0, 0, 0, 0], None), Err(SnapshotError::Trailing));
        assert_eq!(decode(&[5, 0, 0, 0x80], None), Err(SnapshotError::Trailing));
    }

    #[test]
    fn body_errors() {
        let base = EntitySet::from_vec(vec![ent(1, 0, 0)]);
        let cur = EntitySet::from_vec(vec![ent(1, 5, 0)]);
        let delta = encode_snapshot(3, 0, Some((2, &base)), &cur).unwrap();
        // a delta for an entity the baseline lacks
        assert_eq!(
            decode(&delta, Some(&EntitySet::new())),
            Err(SnapshotError::UnknownEntity(1))
        );
        assert_eq!(
            decode(&delta, Some(&EntitySet::from_vec(vec![ent(2, 0, 0)]))),
            Err(SnapshotError::UnknownEntity(1))
        );
        // a removal for an entity the baseline lacks
        let removal = encode_snapshot(3, 0, Some((2, &base)), &EntitySet::new()).unwrap();
        assert_eq!(
            decode(&removal, Some(&EntitySet::new())),
            Err(SnapshotError::RemoveUnknown(1))
        );
        // full snapshot claiming a removal
        let mut bad = removal.clone();
        bad[1] = 0; // baseline distance 0: full
        bad.remove(2); // and no predictor distance
        assert_eq!(decode(&bad, None), Err(SnapshotError::RemoveUnknown(1)));
        // hand-built bodies: count=1, id=1, delta, mask=0
        let mut w = BitWriter::new();
        w.write_var(1, &COUNT);
        w.write_var(1, &ID);
        w.write_bool(false);
        w.write_bool(false);
        w.write(0, MASK_BITS);
        w.write_var(0, &COUNT);
        let mut p = vec![3, 1, 0, 0];
        p.extend(w.finish());
        assert_eq!(decode(&p, Some(&base)), Err(SnapshotError::EmptyDelta(1)));
        // unknown kind
        let mut w = BitWriter::new();
        w.write_var(1, &COUNT);
        w.write_var(1, &ID);
        w.write_bool(true);
        w.write(7, KIND_BITS);
        let mut p = vec![3, 0, 0];
        p.extend(w.finish());
        assert_eq!(decode(&p, None), Err(SnapshotError::UnknownKind(7)));
        // changed and removed
        let mut w = BitWriter::new();
        w.write_var(1, &COUNT);
        w.write_var(1, &ID);
        w.write_bool(false);
        w.write_bool(true);
        w.write_var(zigzag(1), &POS_DELTA);
        w.write_var(0, &POS_DELTA);
        w.write_var(1, &COUNT);
        w.write_var(1, &ID);
        let mut p = vec![3, 1, 0, 0];
        p.extend(w.finish());
        assert_eq!(
            decode(&p, Some(&base)),
            Err(SnapshotError::ChangedAndRemoved(1))
        );
        // id overflow
        let mut w = BitWriter::new();
        w.write_var(2, &COUNT);
        w.write_var(u32::MAX, &ID);
        w.write_bool(true);
        w.write(0, KIND_BITS);
        for t in [&POS_ABS, &POS_ABS, &HEALTH] {
            w.write_var(0, t);
        }
        w.write(0, FLAG_BITS);
        w.write_var(0, &ID);
        let mut p = vec![3, 0, 0];
        p.extend(w.finish());
        assert_eq!(decode(&p, None), Err(SnapshotError::IdOverflow));
        // health out of range
        let mut w = BitWriter::new();
        w.write_var(1, &COUNT);
        w.write_var(1, &ID);
        w.write_bool(false);
        w.write_bool(false);
        w.write(MASK_HEALTH, MASK_BITS);
        w.write_var(70_000, &[4, 8, 12, 17]);
        let mut p = vec![3, 1, 0, 0];
        p.extend(w.finish());
        assert!(matches!(
            decode(&p, Some(&base)),
            Err(SnapshotError::BadHealth(_)) | Err(SnapshotError::Truncated)
        ));
    }

    #[test]
    fn large_moves_and_kind_changes_fall_back_to_full() {
        let base = EntitySet::from_vec(vec![ent(1, 0, 0), ent(2, 0, 0)]);
        let cur = EntitySet::from_vec(vec![
            ent(1, 1 << 20, -(1 << 20)),
            EntityState {
                kind: EntityKind::Player,
                ..ent(2, 0, 0)
            },
        ]);
        let bytes = encode_snapshot(3, 0, Some((2, &base)), &cur).unwrap();
        assert_eq!(decode(&bytes, Some(&base)).unwrap().entities, cur);
    }

    fn arb_entity() -> impl Strategy<Value = EntityState> {
        (
            0u32..200,
            0u8..2,
            any::<i32>(),
            -5000i32..5000,
            any::<u16>(),
            0u8..16,
        )
            .prop_map(|(id, k, x, y, health, f)| EntityState {
                id,
                kind: EntityKind::from_u8(k).unwrap(),
                x,
                y,
                health,
                flags: EntityFlags::from_bits_truncate(f),
            })
    }

    fn arb_set() -> impl Strategy<Value = EntitySet> {
        proptest::collection::vec(arb_entity(), 0..40).prop_map(EntitySet::from_vec)
    }

    proptest! {
        #[test]
        fn roundtrip_full(cur in arb_set(), seq in 1u32.., input: u32) {
            let bytes = encode_snapshot(seq, input, None, &cur).unwrap();
            let snap = decode(&bytes, None).unwrap();
            prop_assert_eq!(snap.header, SnapshotHeader { seq, baseline: None, predictor: None, last_input_seq: input });
            prop_assert_eq!(snap.entities, cur);
        }

        #[test]
        fn roundtrip_delta(base in arb_set(), cur in arb_set(), moves in proptest::collection::vec((-400i32..400, -400i32..400), 40)) {
            // mix: entities of `base` moved a little, plus arbitrary others
            let mut cur = cur;
            for (e, (dx, dy)) in base.iter().zip(moves).step_by(2) {
                cur.upsert(EntityState { x: e.x.wrapping_add(dx), y: e.y.wrapping_add(dy), ..*e });
            }
            let bytes = encode_snapshot(20, 1, Some((10, &base)), &cur).unwrap();
            let snap = decode(&bytes, Some(&base)).unwrap();
            prop_assert_eq!(snap.header.baseline, Some(10));
            prop_assert_eq!(snap.entities, cur);
        }

        #[test]
        fn roundtrip_predicted(older in arb_set(), base in arb_set(), others in arb_set(), moves in proptest::collection::vec((-400i32..400, -400i32..400), 40)) {
            // the three sets overlap in some ids and not others: the encoder's walk of the
            // predictor must pair exactly the states the decoder looks up by id
            let mut base = base;
            for e in older.iter().step_by(2) {
                base.upsert(EntityState { x: e.x.wrapping_add(9), ..*e });
            }
            let mut cur = others;
            for (e, (dx, dy)) in base.iter().zip(moves).step_by(3) {
                cur.upsert(EntityState { x: e.x.wrapping_add(dx), y: e.y.wrapping_add(dy), ..*e });
            }
            let bytes = encode_snapshot_with(14, 1, Some((12, &base)), Some((10, &older)), &cur).unwrap();
            let snap = decode_snapshot(&bytes, |seq| match seq {
                10 => Some(&older),
                12 => Some(&base),
                _ => None,
            }).unwrap();
            prop_assert_eq!(snap.header.predictor, Some(10));
            prop_assert_eq!(snap.entities, cur);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80), base in arb_set()) {
            let _ = decode(&bytes, Some(&base));
        }
    }
}
