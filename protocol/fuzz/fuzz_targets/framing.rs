//! The incremental frame decoder, fed the input in pieces whose sizes come from the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tower_protocol::{FrameDecoder, MAX_FRAME_LEN, encode_frame};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let piece = usize::from(cut).max(1);
    let mut d = FrameDecoder::new();
    let mut frames = Vec::new();
    'feed: for chunk in stream.chunks(piece) {
        d.push(chunk);
        loop {
            match d.next_frame() {
                Ok(Some(f)) => {
                    assert!(f.len() <= MAX_FRAME_LEN);
                    frames.push(f);
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let _ = d.finish();
    // the frames plus their prefixes never exceed what was fed
    let consumed: usize = frames
        .iter()
        .map(|f| encode_frame(f).map_or(0, |e| e.len()))
        .sum();
    assert!(consumed <= stream.len());
});
