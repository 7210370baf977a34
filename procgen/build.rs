//! Records the compile target so the load-time self-test can name the platform it failed
//! on (`self_test::Platform`).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=TOWER_PROCGEN_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
    // Set by stage 35 (scripts/test.d/35-platforms.sh) to leave out the bench and property
    // test dependencies (procgen/Cargo.toml).
    println!("cargo::rustc-check-cfg=cfg(tower_platforms)");
}
