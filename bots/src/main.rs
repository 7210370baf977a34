//! tower-bots: N simulated players over real QUIC.
fn main() {}
