//! Snapshot encode/decode cost: 32 entities moved one tick against the acked baseline, the
//! same with a predictor (what the server sends), and a full snapshot of 32 entities.
//!
//!     cargo bench -p tower-protocol --bench snapshot
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tower_protocol::{
    EntityFlags, EntityKind, EntitySet, EntityState, decode_snapshot, encode_snapshot,
    encode_snapshot_with,
};

fn world(t: i32) -> EntitySet {
    (0..32)
        .map(|i| EntityState {
            id: 100 + i as u32 * 5,
            kind: EntityKind::Monster,
            x: 4000 + i * 200 + t * 34,
            y: 4000 + i * 100 - t * 24,
            health: 80,
            flags: EntityFlags::default(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (base, cur) = (world(0), world(1));
    let delta = encode_snapshot(11, 5, Some((10, &base)), &cur).unwrap();
    let full = encode_snapshot(11, 5, None, &cur).unwrap();
    c.bench_function("encode delta 32 moving", |b| {
        b.iter(|| encode_snapshot(11, 5, Some((10, black_box(&base))), black_box(&cur)).unwrap())
    });
    // every other entity turns: half are predicted exactly, half send a difference
    let turned: EntitySet = world(2)
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, e)| EntityState {
            x: e.x + (i as i32 % 2) * 7,
            ..*e
        })
        .collect();
    let (predictor, base1) = (world(0), world(1));
    c.bench_function("encode predicted 32 moving", |b| {
        b.iter(|| {
            encode_snapshot_with(
                12,
                5,
                Some((11, black_box(&base1))),
                Some((10, black_box(&predictor))),
                black_box(&turned),
            )
            .unwrap()
        })
    });
    c.bench_function("decode delta 32 moving", |b| {
        b.iter(|| decode_snapshot(black_box(&delta), |_| Some(&base)).unwrap())
    });
    c.bench_function("encode full 32", |b| {
        b.iter(|| encode_snapshot(11, 5, None, black_box(&cur)).unwrap())
    });
    c.bench_function("decode full 32", |b| {
        b.iter(|| decode_snapshot(black_box(&full), |_| None).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
