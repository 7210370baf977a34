//! The WFC tileset: the seven output tiles plus `Pillar`, an interior obstacle that is a
//! wall in the output. Its rules are what make rooms, doors and corridors fit together.

use crate::types::Tile;
use crate::wfc::Rules;

/// WFC tile kinds; the index is the bit in a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Wall = 0,
    Floor = 1,
    Door = 2,
    Corridor = 3,
    Entry = 4,
    StairsUp = 5,
    StairsDown = 6,
    Pillar = 7,
}

pub(crate) const KINDS: [Kind; 8] = [
    Kind::Wall,
    Kind::Floor,
    Kind::Door,
    Kind::Corridor,
    Kind::Entry,
    Kind::StairsUp,
    Kind::StairsDown,
    Kind::Pillar,
];

impl Kind {
    pub(crate) const fn bit(self) -> u8 {
        1 << self as u8
    }

    pub(crate) fn output(self) -> Tile {
        match self {
            Kind::Wall | Kind::Pillar => Tile::Wall,
            Kind::Floor => Tile::Floor,
            Kind::Door => Tile::Door,
            Kind::Corridor => Tile::Corridor,
            Kind::Entry => Tile::Entry,
            Kind::StairsUp => Tile::StairsUp,
            Kind::StairsDown => Tile::StairsDown,
        }
    }

    /// The kind of a collapsed (single-bit) domain.
    pub(crate) fn of_domain(domain: u8) -> Kind {
        KINDS[(domain.trailing_zeros() as usize).min(KINDS.len() - 1)]
    }
}

/// Which kinds may be 4-neighbours of `k` (the relation is symmetric and the same in every
/// direction):
/// * corridors meet rooms only through doors (no corridor next to floor), and doors are never
///   doubled;
/// * entry and stairs stand in rooms: next to floor, wall or a door, never to each other;
/// * a pillar stands free: floor on all four sides.
fn neighbours(k: Kind) -> u8 {
    use Kind::*;
    let set = |ks: &[Kind]| ks.iter().fold(0u8, |acc, k| acc | k.bit());
    match k {
        Wall => set(&[Wall, Floor, Door, Corridor, Entry, StairsUp, StairsDown]),
        Floor => set(&[Wall, Floor, Door, Entry, StairsUp, StairsDown, Pillar]),
        Door => set(&[Wall, Floor, Corridor, Entry, StairsUp, StairsDown]),
        Corridor => set(&[Wall, Door, Corridor]),
        Entry | StairsUp | StairsDown => set(&[Wall, Floor, Door]),
        Pillar => set(&[Floor]),
    }
}

/// Integer weights for the tiles WFC actually chooses between (floor versus pillar inside
/// rooms); the others are fixed by the layout or forced by propagation.
pub(crate) fn rules(pillar_weight: u32) -> Rules {
    let mut weights = [1u32; 8];
    weights[Kind::Floor as usize] = 24;
    weights[Kind::Pillar as usize] = pillar_weight;
    Rules::new(&weights, |a, b, _dir| {
        neighbours(KINDS[a]) & KINDS[b].bit() != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacency_is_symmetric() {
        for a in KINDS {
            for b in KINDS {
                assert_eq!(
                    neighbours(a) & b.bit() != 0,
                    neighbours(b) & a.bit() != 0,
                    "{a:?} / {b:?}"
                );
            }
        }
    }
}
