//! The game core's rules, stepped tick by tick on hand-drawn floors with exact assertions:
//! one test binary, a module per topic.
#![allow(clippy::unwrap_used)]

mod capacity;
mod combat;
mod movement;
mod roster;
mod sessions;
mod support;
mod view;
