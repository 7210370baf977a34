//! Link settings that make the shared library relocatable once it is copied into the
//! Unreal plugin: a SONAME on Linux and an @rpath install name on macOS, so dependents
//! record the library's name rather than the path it was built at.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        "linux" => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtower_ffi.so"),
        "macos" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libtower_ffi.dylib")
        }
        _ => {}
    }
}
