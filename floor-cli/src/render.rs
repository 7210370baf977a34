//! Pictures of a floor: ASCII for terminals, JSON for programs, PNG for people.

use procgen::{Floor, SpawnKind, Tile};
use serde::Serialize;

/// A wall with no walkable tile among its 8 neighbours: solid rock, drawn blank so rooms and
/// corridors stand out. (Only the rendering makes this distinction; the floor data does not.)
fn is_rock(floor: &Floor, x: u16, y: u16) -> bool {
    let (x, y) = (i32::from(x), i32::from(y));
    (-1..=1).all(|dy| (-1..=1).all(|dx| !floor.is_walkable(x + dx, y + dy)))
}

fn spawn_at(floor: &Floor, x: u16, y: u16) -> Option<SpawnKind> {
    floor
        .spawns
        .iter()
        .find(|s| s.x == x && s.y == y)
        .map(|s| s.kind)
}

/// Characters used by [`ascii`], for the legend line.
pub const ASCII_LEGEND: &str = "legend: # wall  . floor  + door  : corridor  @ entry  < stairs up  > stairs down  M monster  $ loot";

/// One line per row, then the legend.
pub fn ascii(floor: &Floor) -> String {
    let mut out = String::with_capacity((usize::from(floor.width) + 1) * usize::from(floor.height));
    for y in 0..floor.height {
        for x in 0..floor.width {
            let tile = floor.tile(x, y).unwrap_or(Tile::Wall);
            let c = match (tile, spawn_at(floor, x, y)) {
                (Tile::Wall, _) if is_rock(floor, x, y) => ' ',
                (Tile::Wall, _) => '#',
                (_, Some(SpawnKind::Monster)) => 'M',
                (_, Some(SpawnKind::Loot)) => '$',
                (Tile::Floor, None) => '.',
                (Tile::Door, None) => '+',
                (Tile::Corridor, None) => ':',
                (Tile::Entry, None) => '@',
                (Tile::StairsUp, None) => '<',
                (Tile::StairsDown, None) => '>',
            };
            out.push(c);
        }
        out.push('\n');
    }
    out.push_str(ASCII_LEGEND);
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonSpawn {
    x: u16,
    y: u16,
    kind: &'static str,
    level: u8,
}

#[derive(Serialize)]
struct JsonFloor {
    /// The floor seed (derived from the world seed when `--world-seed` was given).
    seed: u64,
    floor: u32,
    generator_version: u32,
    hash: String,
    width: u16,
    height: u16,
    /// Tile codes by name (the digit used in `tiles`, and the byte in the encoding).
    tile_codes: [(&'static str, u8); 7],
    /// One string per row, one digit per tile (the tile's code).
    tiles: Vec<String>,
    entry: (u16, u16),
    stairs_up: (u16, u16),
    stairs_down: Option<(u16, u16)>,
    spawns: Vec<JsonSpawn>,
}

fn tile_name(t: Tile) -> &'static str {
    match t {
        Tile::Wall => "wall",
        Tile::Floor => "floor",
        Tile::Door => "door",
        Tile::Corridor => "corridor",
        Tile::Entry => "entry",
        Tile::StairsUp => "stairs_up",
        Tile::StairsDown => "stairs_down",
    }
}

/// Pretty-printed JSON with the floor's hash and generator version.
pub fn json(floor: &Floor) -> Result<String, serde_json::Error> {
    let rows = floor
        .tiles
        .chunks(usize::from(floor.width))
        .map(|row| row.iter().map(|&t| char::from(b'0' + t as u8)).collect())
        .collect();
    let doc = JsonFloor {
        seed: floor.seed,
        floor: floor.floor,
        generator_version: procgen::GENERATOR_VERSION,
        hash: floor.hash().to_hex(),
        width: floor.width,
        height: floor.height,
        tile_codes: Tile::ALL.map(|t| (tile_name(t), t as u8)),
        tiles: rows,
        entry: floor.entry,
        stairs_up: floor.stairs_up,
        stairs_down: floor.stairs_down,
        spawns: floor
            .spawns
            .iter()
            .map(|s| JsonSpawn {
                x: s.x,
                y: s.y,
                kind: match s.kind {
                    SpawnKind::Monster => "monster",
                    SpawnKind::Loot => "loot",
                },
                level: s.level,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc)
}

/// Pixels per tile side in the PNG.
pub const PNG_SCALE: usize = 8;

type Rgb = [u8; 3];

const ROCK: Rgb = [24, 24, 28];
const WALL: Rgb = [92, 92, 104];
const FLOOR: Rgb = [226, 214, 184];
const CORRIDOR: Rgb = [160, 140, 110];
const DOOR: Rgb = [150, 80, 30];
const ENTRY: Rgb = [40, 190, 70];
const STAIRS_UP: Rgb = [40, 120, 240];
const STAIRS_DOWN: Rgb = [170, 60, 200];
const MONSTER: Rgb = [220, 30, 30];
const LOOT: Rgb = [250, 200, 20];
const LEGEND_BG: Rgb = [255, 255, 255];
const INK: Rgb = [0, 0, 0];

fn tile_colour(floor: &Floor, x: u16, y: u16) -> Rgb {
    match floor.tile(x, y).unwrap_or(Tile::Wall) {
        Tile::Wall if is_rock(floor, x, y) => ROCK,
        Tile::Wall => WALL,
        Tile::Floor => FLOOR,
        Tile::Door => DOOR,
        Tile::Corridor => CORRIDOR,
        Tile::Entry => ENTRY,
        Tile::StairsUp => STAIRS_UP,
        Tile::StairsDown => STAIRS_DOWN,
    }
}

/// An RGB canvas.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize, fill: Rgb) -> Canvas {
        Canvas {
            width,
            height,
            pixels: fill.repeat(width * height),
        }
    }
    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        for py in y..(y + h).min(self.height) {
            for px in x..(x + w).min(self.width) {
                let i = (py * self.width + px) * 3;
                self.pixels[i..i + 3].copy_from_slice(&c);
            }
        }
    }
    /// Text in the 3×5 font, `s` pixels per font dot.
    fn text(&mut self, x: usize, y: usize, s: usize, text: &str, c: Rgb) {
        for (k, ch) in text.chars().enumerate() {
            let glyph = font::glyph(ch);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        self.rect(x + (k * 4 + col) * s, y + row * s, s, s, c);
                    }
                }
            }
        }
    }
}

const LEGEND: [(&str, Rgb, bool); 10] = [
    ("WALL", WALL, false),
    ("FLOOR", FLOOR, false),
    ("CORRIDOR", CORRIDOR, false),
    ("DOOR", DOOR, false),
    ("ENTRY", ENTRY, false),
    ("STAIRS UP", STAIRS_UP, false),
    ("STAIRS DOWN", STAIRS_DOWN, false),
    ("MONSTER", MONSTER, true),
    ("LOOT", LOOT, true),
    ("ROCK", ROCK, false),
];

/// A PNG: `PNG_SCALE` pixels per tile, spawns as dots on their tile, a legend below.
pub fn png(floor: &Floor) -> Result<Vec<u8>, png::EncodingError> {
    let s = PNG_SCALE;
    let (fw, fh) = (usize::from(floor.width), usize::from(floor.height));
    let map_w = fw * s;
    // Legend: rows of entries, each a swatch and a label in the 3x5 font at 2 px per dot.
    let entry_w = 2 * s + 12 * 8;
    let per_row = (map_w / entry_w).max(1);
    let legend_rows = LEGEND.len().div_ceil(per_row);
    let row_h = 2 * s;
    let width = map_w.max(entry_w);
    let height = fh * s + legend_rows * row_h + s;
    let mut canvas = Canvas::new(width, height, LEGEND_BG);
    for y in 0..floor.height {
        for x in 0..floor.width {
            let (px, py) = (usize::from(x) * s, usize::from(y) * s);
            canvas.rect(px, py, s, s, tile_colour(floor, x, y));
        }
    }
    for spawn in &floor.spawns {
        let c = match spawn.kind {
            SpawnKind::Monster => MONSTER,
            SpawnKind::Loot => LOOT,
        };
        let (px, py) = (usize::from(spawn.x) * s, usize::from(spawn.y) * s);
        canvas.rect(px + s / 4, py + s / 4, s / 2, s / 2, c);
    }
    for (i, (label, colour, dot)) in LEGEND.iter().enumerate() {
        let x = (i % per_row) * entry_w + s / 2;
        let y = fh * s + s / 2 + (i / per_row) * row_h;
        if *dot {
            canvas.rect(x, y, s, s, FLOOR);
            canvas.rect(x + s / 4, y + s / 4, s / 2, s / 2, *colour);
        } else {
            canvas.rect(x, y, s, s, *colour);
        }
        // The label is 10 px high, the swatch 8: centre it one pixel higher.
        canvas.text(x + s + s / 2, y.saturating_sub(1), 2, label, INK);
    }

    let mut out = Vec::new();
    let w = u32::try_from(canvas.width).unwrap_or(u32::MAX);
    let h = u32::try_from(canvas.height).unwrap_or(u32::MAX);
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&canvas.pixels)?;
    writer.finish()?;
    Ok(out)
}

/// A 3×5 pixel font for the legend's capitals.
mod font {
    /// Five rows of three bits (MSB = left column).
    pub fn glyph(c: char) -> [u8; 5] {
        match c {
            'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
            'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
            'D' => [0b110, 0b101, 0b101, 0b101, 0b110],
            'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
            'F' => [0b111, 0b100, 0b110, 0b100, 0b100],
            'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
            'K' => [0b101, 0b101, 0b110, 0b101, 0b101],
            'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
            'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
            'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
            'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
            'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
            'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
            'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
            'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
            'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
            'W' => [0b101, 0b101, 0b111, 0b111, 0b101],
            'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
            _ => [0; 5],
        }
    }
}
