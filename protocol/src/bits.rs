//! Bit-level writer/reader (LSB-first within each byte) and the variable-width integer
//! code the snapshot uses: a 2-bit class selects one of four widths from a per-field table.

use thiserror::Error;

/// A read past the end of the bit stream.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("bit stream ended early")]
pub struct EndOfBits;

/// Four widths a 2-bit class selects from; strictly increasing, the last one the largest a
/// field can need.
pub type WidthTable = [u8; 4];

/// Packs values of any width up to 32 bits, LSB-first, into bytes.
#[derive(Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer that appends to `bytes` (which must end on a byte boundary, as any `Vec`
    /// does): a header and the bit-packed body then share one buffer.
    pub fn appending_to(bytes: Vec<u8>) -> Self {
        BitWriter {
            bytes,
            acc: 0,
            nbits: 0,
        }
    }

    /// Writes the low `bits` bits of `value` (`bits` <= 32).
    pub fn write(&mut self, value: u32, bits: u8) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        let masked = u64::from(value) & ((1u64 << bits) - 1);
        self.acc |= masked << self.nbits;
        self.nbits += u32::from(bits);
        while self.nbits >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
    }

    /// Writes one bit.
    pub fn write_bool(&mut self, b: bool) {
        self.write(u32::from(b), 1);
    }

    /// Writes `value` with the smallest class of `table` that holds it.
    /// `value` must fit in `table[3]` bits (callers guarantee it by construction).
    pub fn write_var(&mut self, value: u32, table: &WidthTable) {
        let needed = (32 - value.leading_zeros()) as u8;
        let class = table.iter().position(|&w| w >= needed).unwrap_or(3);
        debug_assert!(
            table[class] >= needed,
            "value {value} too wide for {table:?}"
        );
        self.write(class as u32, 2);
        self.write(value, table[class]);
    }

    /// Number of bits written so far.
    pub fn bit_len(&self) -> usize {
        self.bytes.len() * 8 + self.nbits as usize
    }

    /// Pads with zero bits to a whole byte and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.nbits > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

/// Reads what a [`BitWriter`] wrote, in the same order and widths.
#[derive(Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, bit: 0 }
    }

    /// Reads `bits` bits (`bits` <= 32) as an unsigned value.
    pub fn read(&mut self, bits: u8) -> Result<u32, EndOfBits> {
        debug_assert!(bits <= 32);
        if self.remaining() < usize::from(bits) {
            return Err(EndOfBits);
        }
        let mut value: u64 = 0;
        let mut got = 0u32;
        while got < u32::from(bits) {
            let byte = self.data[self.bit / 8];
            let offset = (self.bit % 8) as u32;
            let take = (8 - offset).min(u32::from(bits) - got);
            let chunk = (u64::from(byte) >> offset) & ((1u64 << take) - 1);
            value |= chunk << got;
            got += take;
            self.bit += take as usize;
        }
        Ok(value as u32)
    }

    /// Reads one bit.
    pub fn read_bool(&mut self) -> Result<bool, EndOfBits> {
        Ok(self.read(1)? == 1)
    }

    /// Reads a 2-bit width class, then a value of that width from `table`.
    pub fn read_var(&mut self, table: &WidthTable) -> Result<u32, EndOfBits> {
        let class = self.read(2)? as usize;
        self.read(table[class])
    }

    /// Bits not read yet (including the final byte's padding).
    pub fn remaining(&self) -> usize {
        self.data.len() * 8 - self.bit
    }

    /// True if only zero padding (< 8 bits) is left, as [`BitWriter::finish`] produces.
    pub fn at_padded_end(&mut self) -> bool {
        let left = self.remaining();
        left < 8 && self.read(left as u8).map(|v| v == 0).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn golden() {
        let mut w = BitWriter::new();
        w.write(0b101, 3);
        w.write(0xff, 8);
        w.write_var(5, &[0, 4, 8, 16]);
        assert_eq!(w.bit_len(), 3 + 8 + 6);
        assert_eq!(w.finish(), [0b1111_1101, 0b1010_1111, 0b0000_0000]);
    }

    #[test]
    fn end_of_bits() {
        let mut r = BitReader::new(&[0xaa]);
        assert_eq!(r.read(4), Ok(0xa));
        assert_eq!(r.read(5), Err(EndOfBits));
        assert_eq!(r.read(4), Ok(0xa));
        assert!(r.at_padded_end());
        let mut r = BitReader::new(&[0x01, 0x80]);
        r.read(1).unwrap();
        assert!(!r.at_padded_end());
    }

    proptest! {
        #[test]
        fn roundtrip(items in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..50)) {
            let mut w = BitWriter::new();
            for &(v, b) in &items { w.write(v, b); w.write_var(v >> (32 - u32::from(b.max(1))), &[0, 8, 16, 32]); }
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes);
            for &(v, b) in &items {
                let mask = if b == 32 { u32::MAX } else { (1u32 << b) - 1 };
                prop_assert_eq!(r.read(b).unwrap(), v & mask);
                prop_assert_eq!(r.read_var(&[0, 8, 16, 32]).unwrap(), v >> (32 - u32::from(b.max(1))));
            }
            prop_assert!(r.at_padded_end());
        }
    }
}
