#!/usr/bin/env python3
"""Cargo runner for wasm32-wasip1: runs a WASI command module under wasmtime (PyPI's
`wasmtime` package; scripts/install.d/35-platforms.sh installs it). The working directory
is preopened at its own absolute path, so the tests' compile-time paths
(env!("CARGO_MANIFEST_DIR")/tests/...) resolve inside the sandbox. Exits with the module's
exit code; a trap (e.g. a panic under panic=abort) exits 101 like a failed Rust test."""

import os
import sys

import wasmtime


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: wasi-run.py MODULE.wasm [ARGS...]", file=sys.stderr)
        return 2
    module_path = sys.argv[1]
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, module_path)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(module_path), *sys.argv[2:]]
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.inherit_env()
    cwd = os.getcwd()
    wasi.preopen_dir(cwd, cwd, fs_mutable=False)
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    except wasmtime.Trap as trap:
        print(f"wasi-run: trap: {trap}", file=sys.stderr)
        return 101
    return 0


if __name__ == "__main__":
    sys.exit(main())
