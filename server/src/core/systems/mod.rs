//! The systems of one tick, each doing one thing. Their order is fixed in `GameCore::new`.

pub mod play;
pub mod sessions;
pub mod view;
