//! Baseline bookkeeping shared by both ends, so the delta rules live in one place.
//!
//! The server keeps one [`SnapshotHistory`] per client holding what it *sent*; the client's
//! acks (carried by every Input datagram) pick the baseline of the next delta. The client
//! keeps one holding what it *decoded*, and resolves each delta's baseline from it.

use crate::snapshot::{self, EntitySet, EntityState, Snapshot, SnapshotError};
use std::collections::VecDeque;

/// Default number of snapshots kept (2 s at 30 Hz).
pub const DEFAULT_HISTORY: usize = 64;

/// Recent snapshot states by seq, and which of them the peer acknowledged: the server
/// encodes deltas against the acknowledged baseline (and predictor), the client keeps the
/// states it may be sent a delta against.
#[derive(Debug)]
pub struct SnapshotHistory {
    /// Sorted by seq, oldest first.
    ring: VecDeque<(u32, EntitySet)>,
    capacity: usize,
    acked: Option<u32>,
    /// The ack before `acked`: the client has it too, so it can serve as the predictor.
    prev_acked: Option<u32>,
}

impl Default for SnapshotHistory {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY)
    }
}

impl SnapshotHistory {
    /// A history of at most `capacity` snapshots (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
            acked: None,
            prev_acked: None,
        }
    }

    /// Stores the state of snapshot `seq` (replacing an entry with the same seq), evicting
    /// the oldest entry beyond the capacity.
    pub fn insert(&mut self, seq: u32, entities: EntitySet) {
        match self.ring.binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(i) => self.ring[i].1 = entities,
            Err(i) => self.ring.insert(i, (seq, entities)),
        }
        while self.ring.len() > self.capacity {
            self.ring.pop_front();
        }
    }

    /// The state of snapshot `seq`, if still held.
    pub fn get(&self, seq: u32) -> Option<&EntitySet> {
        let i = self.ring.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        Some(&self.ring[i].1)
    }

    /// The newest stored snapshot.
    pub fn newest(&self) -> Option<(u32, &EntitySet)> {
        self.ring.back().map(|(s, e)| (*s, e))
    }

    /// Number of snapshots held.
    pub fn len(&self) -> usize {
        self.ring.len()
    }
    /// Whether no snapshot is held.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Forgets every snapshot and acknowledgement (a new floor or connection).
    pub fn clear(&mut self) {
        self.ring.clear();
        self.acked = None;
        self.prev_acked = None;
    }

    // ---- server side -------------------------------------------------------------------

    /// Records a client's ack. Acks of unknown (evicted or never sent) seqs and stale acks
    /// are ignored. Entries older than the previous ack can never be a baseline or predictor
    /// again and are dropped.
    pub fn ack(&mut self, seq: u32) {
        if self.acked.is_some_and(|a| seq <= a) || self.get(seq).is_none() {
            return;
        }
        self.prev_acked = self.acked;
        self.acked = Some(seq);
        let keep_from = self.prev_acked.unwrap_or(seq);
        while self.ring.front().is_some_and(|(s, _)| *s < keep_from) {
            self.ring.pop_front();
        }
    }

    /// The predictor for snapshot `seq`: the ack before the baseline, if still held and
    /// close enough ([`snapshot::predictor_usable`]).
    pub fn predictor(&self, seq: u32) -> Option<(u32, &EntitySet)> {
        let (b, p) = (self.acked?, self.prev_acked?);
        if !snapshot::predictor_usable(seq, b, p) {
            return None;
        }
        self.get(p).map(|e| (p, e))
    }

    /// The baseline for the next snapshot: the newest acked state still held, `None` means
    /// send a full snapshot.
    pub fn baseline(&self) -> Option<(u32, &EntitySet)> {
        let seq = self.acked?;
        self.get(seq).map(|e| (seq, e))
    }

    /// Encodes `current` against the acked baseline (extrapolating motion since the ack
    /// before it) and records it as sent.
    pub fn encode_and_record(
        &mut self,
        seq: u32,
        last_input_seq: u32,
        current: EntitySet,
    ) -> Result<Vec<u8>, SnapshotError> {
        let payload = snapshot::encode_snapshot_with(
            seq,
            last_input_seq,
            self.baseline(),
            self.predictor(seq),
            &current,
        )?;
        self.insert(seq, current);
        Ok(payload)
    }

    /// Like [`SnapshotHistory::encode_and_record`] for update tiers: an entity for which
    /// `due` is false and that the client already has is not refreshed; it is left to the
    /// client's prediction (it costs nothing and is recorded as the predicted state), and
    /// corrected the next time it is due. New entities and removals are always sent.
    pub fn encode_and_record_tiered(
        &mut self,
        seq: u32,
        last_input_seq: u32,
        current: EntitySet,
        due: impl Fn(&EntityState) -> bool,
    ) -> Result<Vec<u8>, SnapshotError> {
        let view = match self.baseline() {
            None => current,
            Some((b_seq, base)) => {
                let pred = self.predictor(seq);
                let p_seq = pred.map_or(0, |(p, _)| p);
                current
                    .iter()
                    .map(|e| match base.get(e.id) {
                        Some(b) if !due(e) && b.kind == e.kind => snapshot::predict(
                            b,
                            pred.and_then(|(_, p)| p.get(e.id)),
                            b_seq,
                            p_seq,
                            seq,
                        ),
                        _ => *e,
                    })
                    .collect()
            }
        };
        self.encode_and_record(seq, last_input_seq, view)
    }

    // ---- client side -------------------------------------------------------------------

    /// Decodes a snapshot payload against the stored baseline and stores the result.
    pub fn decode_and_record(&mut self, payload: &[u8]) -> Result<Snapshot, SnapshotError> {
        let snap = snapshot::decode_snapshot(payload, |seq| self.get(seq))?;
        self.insert(snap.header.seq, snap.entities.clone());
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::snapshot::{EntityFlags, EntityKind, EntityState};

    fn world(t: i32) -> EntitySet {
        (1..=5)
            .map(|id| EntityState {
                id,
                kind: EntityKind::Monster,
                x: t * 10 * id as i32,
                y: 0,
                health: 50,
                flags: EntityFlags::default(),
            })
            .collect()
    }

    /// Server and client histories in lock-step with loss and late acks.
    #[test]
    fn server_and_client_stay_in_sync_under_loss() {
        let mut server = SnapshotHistory::default();
        let mut client = SnapshotHistory::default();
        let mut full = 0;
        let mut non_empty_after_warmup = 0;
        for tick in 1..=200u32 {
            let payload = server
                .encode_and_record(tick, tick, world(tick as i32))
                .unwrap();
            if snapshot::decode_header(&payload)
                .unwrap()
                .0
                .baseline
                .is_none()
            {
                full += 1;
            }
            // linear motion is predicted exactly once two acks are in: a 1-byte body
            let body = payload.len() - snapshot::decode_header(&payload).unwrap().1;
            if tick > 10 && body > 1 {
                non_empty_after_warmup += 1;
            }
            if tick % 3 == 0 {
                continue; // lost
            }
            let snap = client.decode_and_record(&payload).unwrap();
            assert_eq!(snap.entities, world(tick as i32));
            if tick % 5 != 0 {
                server.ack(client.newest().unwrap().0);
            }
        }
        assert_eq!(full, 1, "only the first snapshot should be full");
        assert_eq!(non_empty_after_warmup, 0);
    }

    #[test]
    fn tiered_entities_not_due_cost_nothing() {
        let mut server = SnapshotHistory::default();
        let mut client = SnapshotHistory::default();
        for tick in 1..=40u32 {
            // entity 1 wobbles every tick; it is only due every 10th tick
            let mut w = world(tick as i32);
            let e1 = *w.get(1).unwrap();
            w.upsert(EntityState {
                y: if tick % 2 == 0 { 50 } else { 0 },
                ..e1
            });
            let payload = server
                .encode_and_record_tiered(tick, 0, w.clone(), |e| e.id != 1 || tick % 10 == 0)
                .unwrap();
            let snap = client.decode_and_record(&payload).unwrap();
            server.ack(tick);
            if tick % 10 == 0 {
                assert_eq!(snap.entities, w, "due: exact");
            }
            if tick > 5 && tick % 10 != 0 {
                assert!(payload.len() <= 6, "tick {tick}: {} bytes", payload.len());
            }
        }
    }

    #[test]
    fn ack_rules() {
        let mut h = SnapshotHistory::new(3);
        h.ack(1); // never sent: ignored
        assert!(h.baseline().is_none());
        for s in 1..=4 {
            h.insert(s, world(s as i32));
        }
        assert!(h.get(1).is_none(), "evicted beyond capacity");
        h.ack(3);
        assert_eq!(h.baseline().map(|(s, _)| s), Some(3));
        h.ack(2); // stale
        assert_eq!(h.baseline().map(|(s, _)| s), Some(3));
        assert_eq!(h.len(), 2);
        assert!(h.predictor(5).is_none(), "no earlier ack");
        h.insert(5, world(5));
        h.ack(4);
        assert_eq!(h.predictor(6).map(|(s, _)| s), Some(3));
        assert!(
            h.predictor(4 + snapshot::MAX_PREDICT_AHEAD + 1).is_none(),
            "too far ahead"
        );
        assert_eq!(h.len(), 3, "3 (predictor), 4 (baseline), 5");
        let mut client = SnapshotHistory::default();
        let payload = snapshot::encode_snapshot(5, 0, Some((3, &world(3))), &world(5)).unwrap();
        assert_eq!(
            client.decode_and_record(&payload),
            Err(SnapshotError::BaselineMissing(3))
        );
    }
}
