//! The snapshot decoder, with and without a baseline. A decoded snapshot re-encoded against
//! the same baseline and predictor decodes to the same entities.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tower_protocol::snapshot::encode_snapshot_with;
use tower_protocol::{EntityFlags, EntityKind, EntitySet, EntityState, decode_snapshot};

fn baseline() -> EntitySet {
    (1..40u32)
        .map(|id| EntityState {
            id: id * 3,
            kind: if id % 4 == 0 {
                EntityKind::Player
            } else {
                EntityKind::Monster
            },
            x: (id as i32) * 300,
            y: 5000 - (id as i32) * 100,
            health: 100,
            flags: EntityFlags::from_bits_truncate(id as u8),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let base = baseline();
    let Ok(snap) = decode_snapshot(data, |_| Some(&base)) else {
        return;
    };
    let b = snap.header.baseline.map(|seq| (seq, &base));
    let p = snap.header.predictor.map(|seq| (seq, &base));
    let bytes = encode_snapshot_with(
        snap.header.seq,
        snap.header.last_input_seq,
        b,
        p,
        &snap.entities,
    )
    .expect("a decoded snapshot re-encodes");
    let again = decode_snapshot(&bytes, |_| Some(&base)).expect("round trip");
    assert_eq!(again, snap);
});
