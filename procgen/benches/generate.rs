//! One criterion run measuring (a) procgen's generate + SHA3 hash at 64×64 and (b) the
//! `wfc` crate 0.10.7 collapsing a 64×64 grid over a comparable 7-kind adjacency tileset
//! (the same kinds and neighbour relation as procgen's output tiles, no layout).
//! It also measures (c) the load-time self-test (`procgen::self_test`, docs/floors.md).
//!     cargo bench -p procgen --bench generate
//!     cargo bench -p procgen --bench generate -- self_test
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::num::NonZeroU32;

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use wfc::{GlobalStats, PatternDescription, PatternTable, RunOwn, Size};

/// procgen's output-tile neighbour relation (Wall, Floor, Door, Corridor, Entry, Up, Down).
const ALLOWED: [&[u32]; 7] = [
    &[0, 1, 2, 3, 4, 5, 6],
    &[0, 1, 2, 4, 5, 6],
    &[0, 1, 3, 4, 5, 6],
    &[0, 2, 3],
    &[0, 1, 2],
    &[0, 1, 2],
    &[0, 1, 2],
];
const WEIGHTS: [u32; 7] = [8, 24, 1, 6, 1, 1, 1];

fn wfc_stats() -> GlobalStats {
    let table = (0..7)
        .map(|t| {
            let n = ALLOWED[t].to_vec();
            PatternDescription::new(
                NonZeroU32::new(WEIGHTS[t]),
                direction::CardinalDirectionTable::new_array([n.clone(), n.clone(), n.clone(), n]),
            )
        })
        .collect::<Vec<_>>();
    GlobalStats::new(PatternTable::from_vec(table))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor_64x64");
    let mut i = 0u64;
    group.bench_function("procgen_generate_and_hash", |b| {
        b.iter(|| {
            i = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
            black_box(procgen::floor_hash(black_box(i), (i % 101) as u32))
        })
    });
    let stats = wfc_stats();
    let mut seed = 0u64;
    group.bench_function("wfc_crate_0_10_7_collapse", |b| {
        b.iter(|| {
            seed += 1;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut run =
                RunOwn::new_wrap(Size::new(64, 64), &stats, wfc::wrap::WrapNone, &mut rng);
            black_box(run.collapse(&mut rng).is_ok())
        })
    });
    group.finish();
}

fn bench_self_test(c: &mut Criterion) {
    c.bench_function("self_test", |b| {
        b.iter(|| black_box(procgen::self_test()).is_ok())
    });
}

criterion_group!(benches, bench, bench_self_test);
criterion_main!(benches);
