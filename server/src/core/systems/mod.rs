//! The systems of one tick, each doing one thing. Their order is fixed in `GameCore::new`.
// A system's signature spells out exactly what it reads and writes; that is the point of
// its queries, so their types stay inline.
#![allow(clippy::type_complexity)]

pub mod play;
pub mod roster;
pub mod sessions;
pub mod view;
