//! Shared movement and collision in fixed point, run identically by server and client (prediction).
