//! The entity model snapshots carry: what a client knows about each entity it sees, and
//! the sorted set of them. The codec (`snapshot`) encodes and decodes these.

/// Bits of [`EntityFlags`] on the wire.
pub(crate) const FLAG_BITS: u8 = 4;

/// What an entity is; 3 bits on the wire.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// A player character (the roster names it by id).
    Player = 0,
    /// A monster of the floor.
    Monster = 1,
}

impl EntityKind {
    /// The kind of a wire value, `None` for values this version does not know.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Player),
            1 => Some(Self::Monster),
            _ => None,
        }
    }
}

/// Entity status bits (4 on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EntityFlags(u8);

impl EntityFlags {
    /// Swung an attack within the last `Rules::flash_ticks` (set for observers, not the own player).
    pub const ATTACKING: u8 = 1 << 0;
    /// Health is 0 (until the respawn).
    pub const DEAD: u8 = 1 << 1;
    /// Took damage within the last `Rules::flash_ticks` (set for observers, not the own player).
    pub const HURT: u8 = 1 << 2;
    /// Fought (swung or was hit) within the last 2 s.
    pub const IN_COMBAT: u8 = 1 << 3;
    const ALL: u8 = (1 << FLAG_BITS) - 1;

    /// Keeps only the bits the wire carries.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & Self::ALL)
    }
    /// The raw bits, as the C ABI's `TowerEntity::flags` carries them.
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Whether every bit of `bit` is set.
    pub const fn contains(self, bit: u8) -> bool {
        self.0 & bit == bit
    }
    /// These flags with `bit` set or cleared.
    pub const fn with(self, bit: u8, on: bool) -> Self {
        if on {
            Self((self.0 | bit) & Self::ALL)
        } else {
            Self(self.0 & !bit)
        }
    }
}

/// Movement units in one wire unit of *another* entity's position: others travel at
/// 1/16 tile, which no one sees on screen and which takes 4 bits off every coordinate the
/// codec writes. The own player's position travels exact (its client reconciles its
/// prediction against it). The codec is unit-agnostic: the server converts with
/// [`EntityState::remote_to_wire`] before encoding, the client with
/// [`EntityState::remote_from_wire`] after decoding.
pub const REMOTE_POSITION_UNIT: i32 = 16;

/// What a client knows about one entity. Positions are movement units (1/256 tile) for the
/// own player and [`REMOTE_POSITION_UNIT`]s for every other entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntityState {
    /// Network id, unique on the server (players and monsters alike).
    pub id: u32,
    /// Player or monster.
    pub kind: EntityKind,
    /// X position (tile columns) in movement units.
    pub x: i32,
    /// Y position (tile rows) in movement units.
    pub y: i32,
    /// Current health (0: dead).
    pub health: u16,
    /// Status bits.
    pub flags: EntityFlags,
}

impl EntityState {
    /// This state of another entity with its position in wire units (nearest, ties up).
    pub fn remote_to_wire(self) -> Self {
        let unit = |v: i32| {
            v.div_euclid(REMOTE_POSITION_UNIT)
                + i32::from(v.rem_euclid(REMOTE_POSITION_UNIT) >= REMOTE_POSITION_UNIT / 2)
        };
        Self {
            x: unit(self.x),
            y: unit(self.y),
            ..self
        }
    }

    /// This state of another entity, as received, with its position in movement units.
    pub fn remote_from_wire(self) -> Self {
        Self {
            x: self.x.saturating_mul(REMOTE_POSITION_UNIT),
            y: self.y.saturating_mul(REMOTE_POSITION_UNIT),
            ..self
        }
    }
}

/// Entities sorted by id, ids unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntitySet {
    entities: Vec<EntityState>,
}

impl EntitySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// From entities already sorted by id with unique ids (the decoder's output).
    pub(crate) fn from_sorted(entities: Vec<EntityState>) -> Self {
        Self { entities }
    }

    /// Sorts by id; for duplicate ids the last one wins.
    pub fn from_vec(mut entities: Vec<EntityState>) -> Self {
        entities.reverse();
        entities.sort_by_key(|e| e.id); // stable: the last original comes first per id
        entities.dedup_by_key(|e| e.id);
        Self { entities }
    }

    /// The entity with `id`, if present.
    pub fn get(&self, id: u32) -> Option<&EntityState> {
        self.entities
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.entities[i])
    }

    /// Inserts or replaces by id.
    pub fn upsert(&mut self, e: EntityState) {
        match self.entities.binary_search_by_key(&e.id, |x| x.id) {
            Ok(i) => self.entities[i] = e,
            Err(i) => self.entities.insert(i, e),
        }
    }

    /// Removes and returns the entity with `id`.
    pub fn remove(&mut self, id: u32) -> Option<EntityState> {
        let i = self.entities.binary_search_by_key(&id, |e| e.id).ok()?;
        Some(self.entities.remove(i))
    }

    /// The entities in ascending id order.
    pub fn iter(&self) -> std::slice::Iter<'_, EntityState> {
        self.entities.iter()
    }
    /// The entities in ascending id order, as a slice.
    pub fn as_slice(&self) -> &[EntityState] {
        &self.entities
    }
    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }
    /// Whether the set holds no entity.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

impl FromIterator<EntityState> for EntitySet {
    fn from_iter<I: IntoIterator<Item = EntityState>>(iter: I) -> Self {
        Self::from_vec(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: i32, y: i32) -> EntityState {
        EntityState {
            id: 1,
            kind: EntityKind::Player,
            x,
            y,
            health: 1,
            flags: EntityFlags::default(),
        }
    }

    #[test]
    fn remote_positions_round_to_the_nearest_wire_unit() {
        for (v, wire) in [
            (0, 0),
            (7, 0),
            (8, 1),
            (23, 1),
            (24, 2),
            (-8, 0),
            (-9, -1),
            (-25, -2),
        ] {
            assert_eq!(at(v, v).remote_to_wire(), at(wire, wire), "{v}");
        }
        for v in [
            i32::MIN + 8,
            -1_000_003,
            -1,
            0,
            1,
            4_095,
            1 << 20,
            i32::MAX - 8,
        ] {
            let back = at(v, v).remote_to_wire().remote_from_wire();
            let error = (i64::from(back.x) - i64::from(v)).abs();
            assert!(
                error <= i64::from(REMOTE_POSITION_UNIT / 2),
                "{v} -> {back:?}"
            );
        }
    }
}
