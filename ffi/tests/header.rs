//! `include/tower.h` must be exactly what cbindgen generates from the sources today.
//! Regenerate with `TOWER_FFI_BLESS=1 cargo test -p tower-ffi --test header`.

use std::path::PathBuf;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("header is UTF-8");

    let path = crate_dir.join("include").join("tower.h");
    if std::env::var_os("TOWER_FFI_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/tower.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/tower.h is out of date with ffi/src; regenerate it with \
         `TOWER_FFI_BLESS=1 cargo test -p tower-ffi --test header` and commit the result"
    );
}
