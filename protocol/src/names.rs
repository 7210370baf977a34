//! Display names (player names, guild names) as they travel in Welcome and Roster
//! messages: their bounds, and the one function that makes any string fit them.
//!
//! A name comes from an account system the game server does not control (Nakama usernames,
//! group names any player can choose), and is drawn by every other player's client. So
//! before a name reaches the wire the server passes it through [`sanitize_name`]: no
//! control characters (newlines that break a UI line), no bidirectional overrides (U+202E
//! turns "evil.exe" into a mirrored lie), no invisible characters (two names that look the
//! same), and at most [`MAX_NAME_CHARS`] characters and [`MAX_NAME_BYTES`] bytes. A client
//! refuses a Roster whose names are longer than the bounds.

/// Most characters (Unicode scalar values) in a display name on the wire.
pub const MAX_NAME_CHARS: usize = 64;
/// Most bytes (UTF-8) in a display name on the wire.
pub const MAX_NAME_BYTES: usize = 128;
/// Most players on one floor's roster (a server's `max_players` is at most this), so a
/// client's roster stays under ~1 MiB: 4096 × (4 + 2 × [`MAX_NAME_BYTES`]) bytes of data.
pub const MAX_ROSTER_ENTRIES: usize = 4096;

/// Whether `c` is dropped from display names: control characters (C0, DEL, C1), line and
/// paragraph separators, bidirectional controls (embeddings, overrides, isolates, marks),
/// and invisible format characters (zero-width space and joiners, word joiner, invisible
/// operators, BOM, soft hyphen, Mongolian vowel separator, interlinear annotations, tags).
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// `raw` made safe to draw: every run of whitespace (newlines and tabs included) turned
/// into one ASCII space, other hidden characters ([`is_hidden_char`]) removed, leading and trailing spaces trimmed, then cut at
/// a character boundary to at most [`MAX_NAME_CHARS`] characters and [`MAX_NAME_BYTES`]
/// bytes. May return an empty string (the caller picks a fallback).
pub fn sanitize_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_NAME_BYTES));
    let mut chars = 0;
    let mut space_pending = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            space_pending = !out.is_empty();
            continue;
        }
        if is_hidden_char(c) {
            continue;
        }
        let extra = usize::from(space_pending);
        if chars + extra + 1 > MAX_NAME_CHARS || out.len() + extra + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        if space_pending {
            out.push(' ');
            chars += 1;
            space_pending = false;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// Whether `name` is within the wire bounds (what a client checks on a Roster).
pub fn name_within_bounds(name: &str) -> bool {
    name.len() <= MAX_NAME_BYTES && name.chars().count() <= MAX_NAME_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_unchanged() {
        for name in [
            "ann",
            "Bob the Builder",
            "Ærøskøbing",
            "塔の守り手",
            "ok_name-1",
        ] {
            assert_eq!(sanitize_name(name), name);
        }
    }

    #[test]
    fn bidi_overrides_controls_and_invisible_characters_are_removed() {
        assert_eq!(sanitize_name("evil\u{202E}exe.txt"), "evilexe.txt");
        assert_eq!(sanitize_name("a\u{2066}b\u{2069}c\u{200F}"), "abc");
        assert_eq!(sanitize_name("ad\u{200B}min"), "admin");
        assert_eq!(
            sanitize_name("\u{FEFF}zero\u{200D}width\u{2060}"),
            "zerowidth"
        );
        assert_eq!(sanitize_name("tag\u{E0041}\u{E007F}"), "tag");
        assert_eq!(sanitize_name("bell\u{7}del\u{7F}c1\u{85}"), "belldelc1");
        assert_eq!(sanitize_name("soft\u{AD}hyphen"), "softhyphen");
    }

    #[test]
    fn whitespace_runs_and_newlines_become_one_space() {
        assert_eq!(sanitize_name("  Tower\n\nStaff\t "), "Tower Staff");
        assert_eq!(sanitize_name("line\u{2028}sep"), "line sep");
        assert_eq!(sanitize_name("wide\u{3000}space"), "wide space");
        assert_eq!(sanitize_name("\r\n"), "");
        assert_eq!(sanitize_name("\u{202E}\u{200B}"), "");
    }

    #[test]
    fn names_are_cut_to_the_char_and_byte_bounds_at_a_boundary() {
        let long = "x".repeat(500);
        assert_eq!(sanitize_name(&long).len(), MAX_NAME_CHARS);
        // 4-byte characters: the byte bound cuts first (32 of them), never mid-character.
        let emoji = "😀".repeat(100);
        let cut = sanitize_name(&emoji);
        assert_eq!(cut.chars().count(), MAX_NAME_BYTES / 4);
        assert!(name_within_bounds(&cut));
        // 3-byte characters: 42 fit in 128 bytes.
        let kana = "タ".repeat(100);
        assert_eq!(sanitize_name(&kana).chars().count(), 42);
        // A space is never the last character after a cut.
        let spaced = format!("{} b", "a".repeat(MAX_NAME_CHARS - 1));
        assert_eq!(sanitize_name(&spaced), "a".repeat(MAX_NAME_CHARS - 1));
    }

    #[test]
    fn every_output_is_within_bounds_and_free_of_hidden_characters() {
        let samples = [
            "a\u{202E}\n\u{200B}".repeat(300),
            "é ".repeat(300),
            "\u{1F600}\u{200D}\u{1F600} ".repeat(50),
        ];
        for s in &samples {
            let out = sanitize_name(s);
            assert!(name_within_bounds(&out), "{out:?}");
            assert!(!out.chars().any(is_hidden_char), "{out:?}");
            assert!(!out.starts_with(' ') && !out.ends_with(' '), "{out:?}");
            assert_eq!(sanitize_name(&out), out, "idempotent");
        }
    }
}
