//! Compiles `proto/tower.proto` with protox (pure Rust) so no `protoc` binary is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/tower.proto");
    let descriptors = protox::compile(["proto/tower.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
