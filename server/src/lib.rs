//! Tower's authoritative game server: a sans-IO bevy_ecs game core and a quinn/tokio network shell.
