//! C ABI over `procgen` (and, in `client`, the Rust game client) for the Unreal plugin.
//!
//! Every exported function catches panics, returns a [`TowerStatus`], and leaves a readable
//! message for [`tower_last_error`] when it fails. Handles are opaque ids checked against a
//! registry, so a stale, forged or double-freed handle is an error, never a crash. The
//! header `include/tower.h` is generated from these sources by cbindgen (`cbindgen.toml`)
//! and checked by `tests/header.rs`.

#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod client;
mod error;
mod floor;
mod registry;
mod self_test;

pub use client::{
    TOWER_BUTTON_ATTACK, TOWER_DISCONNECT_AUTH_FAILED, TOWER_DISCONNECT_CONNECTION_LOST,
    TOWER_DISCONNECT_HASH_MISMATCH, TOWER_DISCONNECT_LEFT, TOWER_DISCONNECT_PROTOCOL_ERROR,
    TOWER_DISCONNECT_REPLACED, TOWER_DISCONNECT_RESUME_EXPIRED, TOWER_DISCONNECT_SERVER_CLOSED,
    TOWER_DISCONNECT_SERVER_FULL, TOWER_DISCONNECT_SERVER_SHUTDOWN,
    TOWER_DISCONNECT_VERSION_MISMATCH, TOWER_ENTITY_ATTACKING, TOWER_ENTITY_DEAD,
    TOWER_ENTITY_HURT, TOWER_ENTITY_IN_COMBAT, TOWER_RESUME_TOKEN_MAX_LEN, TowerClientHandle,
    TowerConnectOptions, TowerEntity, TowerEntityKind, TowerEvent, TowerEventKind, TowerInput,
    tower_client_connect, tower_client_disconnect, tower_client_entities, tower_client_entity_id,
    tower_client_floor, tower_client_free, tower_client_is_closed, tower_client_poll_event,
    tower_client_predicted_position, tower_client_resume_token, tower_client_roster,
    tower_client_send_input, tower_client_time,
};
pub use error::{TowerStatus, tower_last_error, tower_status_name};
pub use floor::{
    TowerFloorHandle, TowerFloorInfo, TowerSpawn, TowerSpawnKind, TowerTile, tower_floor_encode,
    tower_floor_free, tower_floor_generate, tower_floor_generate_sized, tower_floor_hash,
    tower_floor_height, tower_floor_info, tower_floor_spawns, tower_floor_tiles,
    tower_floor_verify, tower_floor_width, tower_generator_version,
};
pub use self_test::tower_self_test;

/// Version of this C ABI. Bumped on any incompatible change to `tower.h`; a host compares
/// `tower_abi_version()` with this header constant before calling anything else.
/// Version 2: `TowerConnectOptions` gained `resume_token`/`resume_token_len`;
/// `TowerEntity` lost `guild` (read names and guilds with `tower_client_roster`).
pub const TOWER_ABI_VERSION: u32 = 2;

/// Length in bytes of a floor hash (SHA3-256).
pub const TOWER_HASH_LEN: usize = 32;

/// Writes the number of live handles (floors and clients) to `*out`: a leak check for hosts
/// and tests, since a handle never freed is invisible to memory checkers (the registry
/// still references it).
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_live_handles(out: *mut usize) -> TowerStatus {
    error::guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { error::out_ref(out, "out") }?;
        *out = floor::FLOORS.len() + client::live_clients();
        Ok(())
    })
}

/// The ABI version the library was built with; compare with `TOWER_ABI_VERSION` from the
/// header the host was compiled against. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn tower_abi_version() -> u32 {
    TOWER_ABI_VERSION
}
