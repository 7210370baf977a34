//! Control messages in both directions.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = tower_protocol::decode_client(data) {
        let framed =
            tower_protocol::encode_client(msg.clone()).expect("a decoded frame re-encodes");
        let mut d = tower_protocol::FrameDecoder::new();
        d.push(&framed);
        let body = d.next_frame().expect("framing").expect("complete");
        assert_eq!(
            tower_protocol::decode_client(&body).expect("round trip"),
            msg
        );
    }
    if let Ok(msg) = tower_protocol::decode_server(data) {
        if let tower_protocol::pb::server_control::Msg::FloorEnter(fe) = &msg {
            let _ = tower_protocol::control::hash_from_bytes(&fe.hash);
        }
        let _ = tower_protocol::encode_server(msg);
    }
});
