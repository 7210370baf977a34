//! The Input datagram (client -> server, unreliable, one per client tick).
//!
//! ```text
//! u8      tag = 0x01
//! varint  ack          newest snapshot seq the client decoded (0 = none yet)
//! varint  newest_seq   seq of inputs[0]; inputs[i] has seq newest_seq - i
//! u8      count        0..=MAX_INPUTS_PER_DATAGRAM
//! count × { i8 move_x, i8 move_y, u8 buttons, zigzag-varint predicted_x, zigzag-varint predicted_y,
//!             [varint render_tick: only when buttons has ATTACK] }
//! ```
//! Inputs are newest first and consecutive, so a datagram repeats the last few inputs
//! against loss without per-input sequence numbers. The newest input's predicted position
//! is absolute; each older one's is its difference from the input before it in the
//! datagram (wrapping i32 arithmetic), one tick of movement: 5 bytes per repeated input
//! instead of ~9.

use crate::datagram::DatagramKind;
use crate::varint::{self, VarintError};
use thiserror::Error;

/// How many inputs one datagram may carry (the newest plus redundant older ones): twice
/// the inputs of a datagram sent every 3 ticks, so each still travels in two.
pub const MAX_INPUTS_PER_DATAGRAM: usize = 6;

/// Button bits of an input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Buttons(pub u8);

impl Buttons {
    /// Bit of a melee attack (the C header's `TOWER_BUTTON_ATTACK`).
    pub const ATTACK: u8 = 1 << 0;
    /// Whether the attack button is held.
    pub const fn attack(self) -> bool {
        self.0 & Self::ATTACK != 0
    }
}

/// One tick of player input, plus the position the client predicted after applying it
/// (movement units, 1/256 tile). The server moves authoritatively from the direction and
/// uses the claim only to detect (and count) mispredictions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InputCmd {
    /// Wish direction along X, -127..=127 (127 = full speed).
    pub move_x: i8,
    /// Wish direction along Y, -127..=127.
    pub move_y: i8,
    /// Buttons held this tick.
    pub buttons: Buttons,
    /// X position the client predicted after this input (movement units).
    pub predicted_x: i32,
    /// Y position the client predicted after this input (movement units).
    pub predicted_y: i32,
    /// With ATTACK: the server tick the client was drawing the world at (the server judges
    /// the hit against where the targets were then, rewound by a bounded amount). On the
    /// wire only with ATTACK; 0 otherwise.
    pub render_tick: u32,
}

/// A decoded Input datagram.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputDatagram {
    /// Newest snapshot seq the client has decoded; the server's delta baseline.
    pub ack: Option<u32>,
    /// Sequence number of `inputs[0]`. Input seqs start at 1 and grow by one per tick.
    pub newest_seq: u32,
    /// Newest first; `inputs[i]` has seq `newest_seq - i`.
    pub inputs: Vec<InputCmd>,
}

/// Why an Input datagram could not be encoded or decoded.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    #[error("not an input datagram (tag 0x{0:02x})")]
    WrongTag(u8),
    #[error("input datagram truncated")]
    Truncated,
    #[error("malformed varint in input datagram: {0}")]
    Varint(#[from] VarintError),
    #[error("{0} inputs in one datagram, at most {MAX_INPUTS_PER_DATAGRAM} allowed")]
    TooManyInputs(usize),
    #[error("input seq would go below 1 (newest {newest_seq}, {count} inputs)")]
    SeqUnderflow { newest_seq: u32, count: usize },
    #[error("{0} trailing bytes after the input datagram")]
    TrailingBytes(usize),
}

impl InputDatagram {
    /// `(seq, input)` pairs, newest first.
    pub fn iter_with_seq(&self) -> impl Iterator<Item = (u32, &InputCmd)> {
        self.inputs
            .iter()
            .enumerate()
            .map(|(i, cmd)| (self.newest_seq.wrapping_sub(i as u32), cmd))
    }

    fn check(&self) -> Result<(), InputError> {
        let count = self.inputs.len();
        if count > MAX_INPUTS_PER_DATAGRAM {
            return Err(InputError::TooManyInputs(count));
        }
        if count > 0 && (self.newest_seq as usize) < count {
            return Err(InputError::SeqUnderflow {
                newest_seq: self.newest_seq,
                count,
            });
        }
        Ok(())
    }

    /// The datagram bytes (tag included), after checking the seq and count limits.
    pub fn encode(&self) -> Result<Vec<u8>, InputError> {
        self.check()?;
        let mut out = Vec::with_capacity(8 + self.inputs.len() * 9);
        out.push(DatagramKind::Input as u8);
        varint::put_u32(&mut out, self.ack.unwrap_or(0));
        varint::put_u32(&mut out, self.newest_seq);
        out.push(self.inputs.len() as u8);
        let mut newer = (0i32, 0i32);
        for cmd in &self.inputs {
            out.push(cmd.move_x as u8);
            out.push(cmd.move_y as u8);
            out.push(cmd.buttons.0);
            let (x, y) = (cmd.predicted_x, cmd.predicted_y);
            varint::put_u32(&mut out, varint::zigzag(x.wrapping_sub(newer.0)));
            varint::put_u32(&mut out, varint::zigzag(y.wrapping_sub(newer.1)));
            newer = (x, y);
            if cmd.buttons.attack() {
                varint::put_u32(&mut out, cmd.render_tick);
            }
        }
        Ok(out)
    }

    /// Parses an Input datagram (tag included); never panics on malformed bytes.
    pub fn decode(datagram: &[u8]) -> Result<Self, InputError> {
        let (&tag, mut rest) = datagram.split_first().ok_or(InputError::Truncated)?;
        if tag != DatagramKind::Input as u8 {
            return Err(InputError::WrongTag(tag));
        }
        let ack = varint::get_u32(&mut rest)?;
        let newest_seq = varint::get_u32(&mut rest)?;
        let count = usize::from(take_u8(&mut rest)?);
        if count > MAX_INPUTS_PER_DATAGRAM {
            return Err(InputError::TooManyInputs(count));
        }
        let mut inputs = Vec::with_capacity(count);
        let mut newer = (0i32, 0i32);
        for _ in 0..count {
            let move_x = take_u8(&mut rest)? as i8;
            let move_y = take_u8(&mut rest)? as i8;
            let buttons = Buttons(take_u8(&mut rest)?);
            let predicted_x = newer
                .0
                .wrapping_add(varint::unzigzag(varint::get_u32(&mut rest)?));
            let predicted_y = newer
                .1
                .wrapping_add(varint::unzigzag(varint::get_u32(&mut rest)?));
            newer = (predicted_x, predicted_y);
            let render_tick = if buttons.attack() {
                varint::get_u32(&mut rest)?
            } else {
                0
            };
            inputs.push(InputCmd {
                move_x,
                move_y,
                buttons,
                predicted_x,
                predicted_y,
                render_tick,
            });
        }
        if !rest.is_empty() {
            return Err(InputError::TrailingBytes(rest.len()));
        }
        let d = InputDatagram {
            ack: (ack != 0).then_some(ack),
            newest_seq,
            inputs,
        };
        d.check()?;
        Ok(d)
    }
}

fn take_u8(rest: &mut &[u8]) -> Result<u8, InputError> {
    let (&b, tail) = rest.split_first().ok_or(InputError::Truncated)?;
    *rest = tail;
    Ok(b)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn sample() -> InputDatagram {
        InputDatagram {
            ack: Some(300),
            newest_seq: 7,
            inputs: vec![
                InputCmd {
                    move_x: 127,
                    move_y: -1,
                    buttons: Buttons(Buttons::ATTACK),
                    predicted_x: 1000,
                    predicted_y: -3,
                    render_tick: 290,
                },
                InputCmd {
                    move_x: 0,
                    move_y: 0,
                    buttons: Buttons::default(),
                    predicted_x: 966, // one tick of walking before the newest
                    predicted_y: -3,
                    render_tick: 0,
                },
            ],
        }
    }

    #[test]
    fn golden_bytes() {
        let bytes = sample().encode().unwrap();
        assert_eq!(
            bytes,
            [
                0x01, 0xac, 0x02, 7, 2, 127, 0xff, 1, 0xd0, 0x0f, 5, 0xa2, 0x02, 0, 0, 0,
                0x43, // zigzag(966 - 1000)
                0
            ]
        );
        assert_eq!(InputDatagram::decode(&bytes).unwrap(), sample());
        let seqs: Vec<u32> = sample().iter_with_seq().map(|(s, _)| s).collect();
        assert_eq!(seqs, [7, 6]);
    }

    #[test]
    fn errors() {
        let good = sample().encode().unwrap();
        assert_eq!(InputDatagram::decode(&[]), Err(InputError::Truncated));
        assert_eq!(
            InputDatagram::decode(&[2, 0, 0, 0]),
            Err(InputError::WrongTag(2))
        );
        assert_eq!(
            InputDatagram::decode(&good[..good.len() - 1]),
            Err(InputError::Varint(VarintError::Truncated))
        );
        assert_eq!(
            InputDatagram::decode(&good[..6]),
            Err(InputError::Truncated)
        );
        let mut long = good.clone();
        long.push(0);
        assert_eq!(
            InputDatagram::decode(&long),
            Err(InputError::TrailingBytes(1))
        );
        let too_many = MAX_INPUTS_PER_DATAGRAM as u8 + 1;
        assert_eq!(
            InputDatagram::decode(&[1, 0, 9, too_many]),
            Err(InputError::TooManyInputs(usize::from(too_many)))
        );
        assert_eq!(
            InputDatagram::decode(&[1, 0, 0, 1, 0, 0, 0, 0, 0]),
            Err(InputError::SeqUnderflow {
                newest_seq: 0,
                count: 1
            })
        );
        let too_many = InputDatagram {
            ack: None,
            newest_seq: 10,
            inputs: vec![InputCmd::default(); MAX_INPUTS_PER_DATAGRAM + 1],
        };
        assert_eq!(
            too_many.encode(),
            Err(InputError::TooManyInputs(MAX_INPUTS_PER_DATAGRAM + 1))
        );
    }

    proptest! {
        #[test]
        fn roundtrip(ack in proptest::option::of(1u32..), newest in (MAX_INPUTS_PER_DATAGRAM as u32)..,
                     raw in proptest::collection::vec((any::<i8>(), any::<i8>(), any::<u8>(), any::<i32>(), any::<i32>(), any::<u32>()), 0..=MAX_INPUTS_PER_DATAGRAM)) {
            let inputs = raw.into_iter().map(|(x, y, b, px, py, r)| InputCmd {
                move_x: x, move_y: y, buttons: Buttons(b), predicted_x: px, predicted_y: py,
                render_tick: if Buttons(b).attack() { r } else { 0 } }).collect();
            let d = InputDatagram { ack, newest_seq: newest, inputs };
            prop_assert_eq!(InputDatagram::decode(&d.encode().unwrap()).unwrap(), d);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = InputDatagram::decode(&bytes);
        }
    }
}
