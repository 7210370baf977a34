//! Tower's Rust client: connect, handshake, floor proof, inputs, snapshots, interpolation and prediction.
