//! The roster: who (name and guild) is on the client's floor, kept incrementally.
//!
//! A floor can hold a thousand players, whose names would not fit one 16 KiB control
//! frame, and sending the whole list on every change would cost O(n²) bytes. So a client
//! is sent the full roster of a floor once, when it is admitted (`reset` in the first
//! message), and afterwards only the changes: the entries of players who arrive and the ids
//! of players who go (stairs, disconnect, leave, slot released). Every update is split by
//! [`chunk`] into messages far below the frame limit.

use crate::core::api::{RosterEntry, RosterUpdate};

/// Most entries in one roster message.
pub const MAX_ENTRIES: usize = 128;

/// Most estimated encoded bytes in one roster message: half the 16 KiB control frame, so
/// the estimate may be off by a factor of two without a frame ever being refused.
pub const MAX_BYTES: usize = 8 * 1024;

/// Protobuf bytes an id in `left` costs at most (a 5-byte varint, 1 byte of packing slack).
const LEFT_ID_BYTES: usize = 6;

/// Protobuf bytes an entry costs at most: its strings plus tags, lengths and the id.
pub fn entry_bytes(entry: &RosterEntry) -> usize {
    let strings = entry.name.len() + entry.guild.as_ref().map_or(0, String::len);
    strings + 16
}

/// Splits one roster change into messages of at most [`MAX_ENTRIES`] entries and about
/// [`MAX_BYTES`] bytes: the departures first, then the arrivals; `reset` rides on the first
/// message only, so a client applying them in order ends with the same roster. An empty
/// change without `reset` gives no message; with `reset` it gives one (clear the roster).
pub fn chunk(reset: bool, left: &[u32], entries: &[RosterEntry]) -> Vec<RosterUpdate> {
    let mut out = Vec::new();
    let mut current = RosterUpdate {
        reset,
        ..RosterUpdate::default()
    };
    let mut bytes = 0;
    let mut flush = |current: &mut RosterUpdate, bytes: &mut usize| {
        out.push(std::mem::take(current));
        *bytes = 0;
    };
    for &id in left {
        if bytes + LEFT_ID_BYTES > MAX_BYTES {
            flush(&mut current, &mut bytes);
        }
        current.left.push(id);
        bytes += LEFT_ID_BYTES;
    }
    for entry in entries {
        let cost = entry_bytes(entry);
        if current.entries.len() >= MAX_ENTRIES || (bytes > 0 && bytes + cost > MAX_BYTES) {
            flush(&mut current, &mut bytes);
        }
        current.entries.push(entry.clone());
        bytes += cost;
    }
    if current.reset || !current.left.is_empty() || !current.entries.is_empty() {
        flush(&mut current, &mut bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, name_len: usize) -> RosterEntry {
        RosterEntry {
            entity_id: id,
            name: "n".repeat(name_len),
            guild: Some("guild".into()),
        }
    }

    #[test]
    fn nothing_to_say_gives_no_message_but_a_reset_always_gives_one() {
        assert!(chunk(false, &[], &[]).is_empty());
        let v = chunk(true, &[], &[]);
        assert_eq!(v.len(), 1);
        assert!(v[0].reset && v[0].entries.is_empty());
    }

    #[test]
    fn entries_are_split_by_count_with_reset_on_the_first_only() {
        let entries: Vec<_> = (1..=300).map(|i| entry(i, 8)).collect();
        let v = chunk(true, &[], &entries);
        assert_eq!(
            v.iter().map(|u| u.entries.len()).collect::<Vec<_>>(),
            vec![128, 128, 44]
        );
        assert_eq!(
            v.iter().map(|u| u.reset).collect::<Vec<_>>(),
            [true, false, false]
        );
        let ids: Vec<u32> = v
            .iter()
            .flat_map(|u| u.entries.iter().map(|e| e.entity_id))
            .collect();
        assert_eq!(ids, (1..=300).collect::<Vec<_>>());
    }

    #[test]
    fn long_names_are_split_by_bytes() {
        let entries: Vec<_> = (1..=100).map(|i| entry(i, 500)).collect();
        let v = chunk(false, &[], &entries);
        assert!(v.len() > 1);
        for u in &v {
            let bytes: usize = u.entries.iter().map(entry_bytes).sum();
            assert!(bytes <= MAX_BYTES, "{bytes} bytes in one message");
        }
        assert_eq!(v.iter().map(|u| u.entries.len()).sum::<usize>(), 100);
    }

    #[test]
    fn many_departures_are_split_and_come_before_arrivals() {
        let left: Vec<u32> = (1..=5000).collect();
        let v = chunk(false, &left, &[entry(9999, 4)]);
        assert!(v.len() > 1);
        assert!(v.iter().all(|u| u.left.len() * LEFT_ID_BYTES <= MAX_BYTES));
        assert_eq!(v.iter().map(|u| u.left.len()).sum::<usize>(), 5000);
        assert_eq!(v.last().map(|u| u.entries.len()), Some(1));
    }
}
