//! The coarse plan that constrains WFC: the grid is cut into sectors of about 16×16; a
//! sector holds a room or a corridor junction; a random spanning tree over neighbouring
//! sectors (plus a few extra loops) is laid out as corridors with a door where each one
//! meets a room. The plan only says which tiles each cell *may* be; WFC decides the rest.

use crate::rng::FloorRng;
use crate::tileset::Kind;

/// A room's interior (walkable part), inclusive bounds; its wall ring lies one cell outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Room {
    pub x0: u16,
    pub y0: u16,
    pub x1: u16,
    pub y1: u16,
}

impl Room {
    fn width(&self) -> u16 {
        self.x1 - self.x0 + 1
    }
    fn height(&self) -> u16 {
        self.y1 - self.y0 + 1
    }
}

#[derive(Clone, Copy, Debug)]
enum Node {
    Room(Room),
    /// A corridor crossing in a sector without a room.
    Junction(u16, u16),
}

/// The plan handed to WFC: one domain per cell, the rooms, and where the special tiles are.
pub(crate) struct Layout {
    pub domains: Vec<u8>,
    pub rooms: Vec<Room>,
    pub entry: (u16, u16),
    pub stairs_up: (u16, u16),
    pub stairs_down: Option<(u16, u16)>,
}

/// Side of a sector aimed for; each grid axis gets at least two sectors.
const SECTOR: u16 = 16;

/// `(start, length)` of each sector along an axis of `len` cells (border excluded).
fn sectors(len: u16) -> Vec<(u16, u16)> {
    let count = (len / SECTOR).max(2);
    let inner = len - 2;
    let size = inner / count;
    (0..count)
        .map(|i| {
            let start = 1 + i * size;
            let len = if i + 1 == count {
                inner - i * size
            } else {
                size
            };
            (start, len)
        })
        .collect()
}

/// An interior size in `3..=avail` (or `avail` when smaller), leaning to the middle.
fn room_side(rng: &mut FloorRng, avail: u16) -> u16 {
    let lo = avail.min(3);
    let a = rng.range_u16(lo, avail);
    let b = rng.range_u16(lo, avail);
    (a + b).div_ceil(2)
}

/// Interior and ring of a room placed in the sector `(sx, sw) × (sy, sh)`, one cell of
/// margin to the sector edge so neighbouring rings never touch.
fn place_room(rng: &mut FloorRng, (sx, sw): (u16, u16), (sy, sh): (u16, u16)) -> Room {
    let (aw, ah) = (sw - 4, sh - 4);
    let (iw, ih) = (room_side(rng, aw), room_side(rng, ah));
    let x0 = sx + 2 + rng.range_u16(0, aw - iw);
    let y0 = sy + 2 + rng.range_u16(0, ah - ih);
    Room {
        x0,
        y0,
        x1: x0 + iw - 1,
        y1: y0 + ih - 1,
    }
}

struct Grid {
    width: usize,
    domains: Vec<u8>,
}

impl Grid {
    fn set(&mut self, x: u16, y: u16, domain: u8) {
        self.domains[usize::from(y) * self.width + usize::from(x)] = domain;
    }
    /// Marks a corridor cell (a cell already planned as a door stays one).
    fn corridor(&mut self, x: u16, y: u16) {
        let cell = &mut self.domains[usize::from(y) * self.width + usize::from(x)];
        if *cell & Kind::Door.bit() == 0 {
            *cell = Kind::Corridor.bit();
        }
    }
    fn hline(&mut self, y: u16, xa: u16, xb: u16) {
        (xa.min(xb)..=xa.max(xb)).for_each(|x| self.corridor(x, y));
    }
    fn vline(&mut self, x: u16, ya: u16, yb: u16) {
        (ya.min(yb)..=ya.max(yb)).for_each(|y| self.corridor(x, y));
    }
}

/// Union–find root with path halving.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Plans a floor of `width × height` (both within `FloorParams` limits).
/// `pillars`: whether room interiors may get pillars (the last attempt turns them off,
/// which makes the plan always solvable and connected).
pub(crate) fn plan(
    rng: &mut FloorRng,
    width: u16,
    height: u16,
    has_stairs_down: bool,
    pillars: bool,
) -> Layout {
    let cols = sectors(width);
    let rows = sectors(height);
    let (nc, nr) = (cols.len(), rows.len());
    let count = nc * nr;

    // Which sectors hold rooms: three at least (entry, stairs up, stairs down apart), then
    // two in three of the rest.
    let mut order: Vec<usize> = (0..count).collect();
    rng.shuffle(&mut order);
    let mut is_room = vec![false; count];
    for (rank, &s) in order.iter().enumerate() {
        is_room[s] = rank < 3 || rng.chance(2, 3);
    }
    let nodes: Vec<Node> = (0..count)
        .map(|s| {
            let (col, row) = (cols[s % nc], rows[s / nc]);
            if is_room[s] {
                Node::Room(place_room(rng, col, row))
            } else {
                let x = rng.range_u16(col.0 + 2, col.0 + col.1 - 3);
                let y = rng.range_u16(row.0 + 2, row.0 + row.1 - 3);
                Node::Junction(x, y)
            }
        })
        .collect();

    // Edges between grid neighbours (a, b) with b right of or below a: a spanning tree by
    // Kruskal over a shuffled edge list, plus one in six of the others as loops.
    let mut edges: Vec<(usize, usize)> = Vec::with_capacity(2 * count);
    for s in 0..count {
        if s % nc + 1 < nc {
            edges.push((s, s + 1));
        }
        if s / nc + 1 < nr {
            edges.push((s, s + nc));
        }
    }
    rng.shuffle(&mut edges);
    let mut parent: Vec<usize> = (0..count).collect();
    let mut keep = vec![false; edges.len()];
    for (k, &(a, b)) in edges.iter().enumerate() {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            keep[k] = true;
        } else {
            keep[k] = rng.chance(1, 6);
        }
    }
    // Prune junctions that lead nowhere (degree <= 1), repeatedly: dead ends are dull.
    let mut alive = vec![true; count];
    loop {
        let mut degree = vec![0u32; count];
        for (k, &(a, b)) in edges.iter().enumerate() {
            if keep[k] {
                degree[a] += 1;
                degree[b] += 1;
            }
        }
        let mut changed = false;
        for s in 0..count {
            if alive[s] && !is_room[s] && degree[s] <= 1 {
                alive[s] = false;
                changed = true;
                for (k, &(a, b)) in edges.iter().enumerate() {
                    if a == s || b == s {
                        keep[k] = false;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }

    let mut grid = Grid {
        width: usize::from(width),
        domains: vec![Kind::Wall.bit(); usize::from(width) * usize::from(height)],
    };
    let interior = if pillars {
        Kind::Floor.bit() | Kind::Pillar.bit()
    } else {
        Kind::Floor.bit()
    };
    let door = Kind::Door.bit() | Kind::Corridor.bit();
    for (s, node) in nodes.iter().enumerate() {
        match *node {
            Node::Room(r) => {
                let cell = if r.width() >= 5 && r.height() >= 5 {
                    interior
                } else {
                    Kind::Floor.bit()
                };
                for y in r.y0..=r.y1 {
                    for x in r.x0..=r.x1 {
                        grid.set(x, y, cell);
                    }
                }
            }
            Node::Junction(x, y) if alive[s] => grid.corridor(x, y),
            Node::Junction(..) => {}
        }
    }

    for (k, &(a, b)) in edges.iter().enumerate() {
        if !keep[k] {
            continue;
        }
        if b == a + 1 {
            // Horizontal: leave a on its right, enter b on its left, turn at column xm.
            let (ya, xa) = match nodes[a] {
                Node::Room(r) => {
                    let y = rng.range_u16(r.y0, r.y1);
                    grid.set(r.x1 + 1, y, door);
                    (y, r.x1 + 2)
                }
                Node::Junction(x, y) => (y, x + 1),
            };
            let (yb, xb) = match nodes[b] {
                Node::Room(r) => {
                    let y = rng.range_u16(r.y0, r.y1);
                    grid.set(r.x0 - 1, y, door);
                    (y, r.x0 - 2)
                }
                Node::Junction(x, y) => (y, x - 1),
            };
            let xm = rng.range_u16(xa, xb);
            grid.hline(ya, xa, xm);
            grid.vline(xm, ya, yb);
            grid.hline(yb, xm, xb);
        } else {
            // Vertical: leave a at its bottom, enter b at its top, turn at row ym.
            let (xa, ya) = match nodes[a] {
                Node::Room(r) => {
                    let x = rng.range_u16(r.x0, r.x1);
                    grid.set(x, r.y1 + 1, door);
                    (x, r.y1 + 2)
                }
                Node::Junction(x, y) => (x, y + 1),
            };
            let (xb, yb) = match nodes[b] {
                Node::Room(r) => {
                    let x = rng.range_u16(r.x0, r.x1);
                    grid.set(x, r.y0 - 1, door);
                    (x, r.y0 - 2)
                }
                Node::Junction(x, y) => (x, y - 1),
            };
            let ym = rng.range_u16(ya, yb);
            grid.vline(xa, ya, ym);
            grid.hline(ym, xa, xb);
            grid.vline(xb, ym, yb);
        }
    }

    // Special tiles: entry in a random room, stairs up in the room farthest from it along
    // the corridors, stairs down (above floor 0) in a third room.
    let room_sectors: Vec<usize> = (0..count).filter(|&s| is_room[s]).collect();
    let entry_sector = room_sectors[rng.index(room_sectors.len())];
    let hops = hops_from(entry_sector, count, &edges, &keep);
    let up_sector = room_sectors
        .iter()
        .copied()
        .max_by_key(|&s| (hops[s], std::cmp::Reverse(s)))
        .unwrap_or(entry_sector);
    let others: Vec<usize> = room_sectors
        .iter()
        .copied()
        .filter(|&s| s != entry_sector && s != up_sector)
        .collect();
    let rooms: Vec<Room> = nodes
        .iter()
        .filter_map(|n| match n {
            Node::Room(r) => Some(*r),
            Node::Junction(..) => None,
        })
        .collect();
    let entry = place_special(rng, &nodes[entry_sector], Kind::Entry, &mut grid);
    let stairs_up = place_special(rng, &nodes[up_sector], Kind::StairsUp, &mut grid);
    let stairs_down = if has_stairs_down && !others.is_empty() {
        let s = others[rng.index(others.len())];
        Some(place_special(rng, &nodes[s], Kind::StairsDown, &mut grid))
    } else {
        None
    };
    Layout {
        domains: grid.domains,
        rooms,
        entry,
        stairs_up,
        stairs_down,
    }
}

/// Puts `kind` on a random interior cell of a room node.
fn place_special(rng: &mut FloorRng, node: &Node, kind: Kind, grid: &mut Grid) -> (u16, u16) {
    let Node::Room(r) = *node else {
        return (0, 0);
    };
    let at = (rng.range_u16(r.x0, r.x1), rng.range_u16(r.y0, r.y1));
    grid.set(at.0, at.1, kind.bit());
    at
}

/// Corridor hops from `start` to every sector (u32::MAX where unreachable).
fn hops_from(start: usize, count: usize, edges: &[(usize, usize)], keep: &[bool]) -> Vec<u32> {
    let mut hops = vec![u32::MAX; count];
    let mut queue = std::collections::VecDeque::from([start]);
    hops[start] = 0;
    while let Some(s) = queue.pop_front() {
        for (k, &(a, b)) in edges.iter().enumerate() {
            let next = match (keep[k], a == s, b == s) {
                (true, true, _) => b,
                (true, _, true) => a,
                _ => continue,
            };
            if hops[next] == u32::MAX {
                hops[next] = hops[s] + 1;
                queue.push_back(next);
            }
        }
    }
    hops
}
