//! Fragment reassembly: the input is a sequence of length-prefixed datagrams fed to one
//! reassembler; completed payloads go to the snapshot decoder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tower_protocol::{Reassembler, decode_snapshot};

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (datagram, tail) = tail.split_at(n);
        rest = tail;
        if let Ok(Some(payload)) = r.push(datagram) {
            let _ = decode_snapshot(&payload, |_| None);
        }
        assert!(r.pending() <= tower_protocol::fragment::MAX_PARTIALS);
    }
});
