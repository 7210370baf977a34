//! The Input datagram: decode, and anything decoded round-trips exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tower_protocol::InputDatagram;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = InputDatagram::decode(data) {
        let bytes = d.encode().expect("a decoded datagram re-encodes");
        assert_eq!(InputDatagram::decode(&bytes).expect("round trip"), d);
    }
});
