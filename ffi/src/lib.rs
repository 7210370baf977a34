//! C ABI over procgen and the Rust client, for the Unreal plugin.
