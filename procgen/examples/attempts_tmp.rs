fn main() {
    let mut hist = [0u32; 17];
    for i in 0..5000u64 {
        let (_, a) = procgen::generate_counted(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), (i % 101) as u32, &procgen::FloorParams::default()).unwrap();
        hist[a as usize] += 1;
    }
    println!("{hist:?}");
}
