//! Records the compile target so the load-time self-test can name the platform it failed
//! on (`self_test::Platform`).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=TOWER_PROCGEN_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
