//! The game core has no sockets and no clock: it is a `bevy_ecs` world stepped one tick at
//! a time with the events of that tick, and returns what to send; time is the tick count
//! and randomness comes in with the events.

pub mod aoi;
mod api;
pub mod floors;
pub mod lagcomp;
pub mod movement;
pub mod roster;
mod state;
mod systems;

pub use api::*;
pub use floors::{FloorGenerator, derive_floor_seed};
pub use state::Rules;

use bevy_ecs::prelude::*;
use state::*;
use systems::{play, sessions, view};

/// What a test or the admin view can read about one player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayerView {
    pub id: u32,
    pub conn: Option<ConnId>,
    pub floor: u32,
    pub pos: movement::Pos,
    pub health: u16,
    pub playing: bool,
    pub progress: tower_meta::PlayerState,
    pub last_input_seq: u32,
}

/// What a test can read about one monster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonsterView {
    pub id: u32,
    pub floor: u32,
    pub pos: movement::Pos,
    pub spawn: movement::Pos,
    pub health: u16,
    pub alive: bool,
}

/// The phases of one tick, run in this order (each a chain of systems).
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickPhase {
    /// Logins, resumes, leaves and floor proofs; floors come alive or die.
    Sessions,
    /// Inputs, movement, monsters, combat, deaths, stairs.
    Simulate,
    /// Rosters, the area-of-interest grid (and the lag-compensation history), snapshots.
    Replicate,
    /// Autosaves.
    Persist,
}

pub struct GameCore {
    world: World,
    schedule: Schedule,
}

impl GameCore {
    /// A core whose floors come from `procgen::generate`.
    pub fn new(rules: Rules) -> GameCore {
        GameCore::with_generator(rules, procgen::generate)
    }

    pub fn with_generator(rules: Rules, generator: FloorGenerator) -> GameCore {
        let mut world = World::new();
        world.insert_resource(Floors {
            cache: floors::FloorCache::new(rules.world_seed, generator, rules.floor_cache_capacity),
            live: Default::default(),
            prepared_off_tick: false,
            awaiting: Vec::new(),
        });
        world.insert_resource(rules);
        world.insert_resource(Clock::default());
        world.insert_resource(Inbox::default());
        world.insert_resource(Outbox::default());
        world.insert_resource(Stats::default());
        world.insert_resource(Sessions::default());
        world.insert_resource(NetIds::default());
        world.insert_resource(Current::default());
        world.insert_resource(RosterBook::default());
        let mut schedule = Schedule::default();
        schedule.configure_sets(
            (
                TickPhase::Sessions,
                TickPhase::Simulate,
                TickPhase::Replicate,
                TickPhase::Persist,
            )
                .chain(),
        );
        schedule.add_systems(
            (
                sessions::awaited_floors,
                sessions::sessions,
                sessions::floor_proofs,
                play::floor_lifecycle,
            )
                .chain()
                .in_set(TickPhase::Sessions),
        );
        schedule.add_systems(
            (
                play::cooldowns,
                play::receive_inputs,
                play::apply_inputs,
                play::monster_ai,
                play::combat,
                play::deaths,
                play::stairs,
            )
                .chain()
                .in_set(TickPhase::Simulate),
        );
        schedule.add_systems(
            (systems::roster::roster, view::aoi_grid, view::snapshots)
                .chain()
                .in_set(TickPhase::Replicate),
        );
        schedule.add_systems(sessions::autosave.in_set(TickPhase::Persist));
        GameCore { world, schedule }
    }

    /// Runs one tick with the events that arrived since the previous one.
    pub fn step(&mut self, events: Vec<ClientEvent>) -> TickOutput {
        self.world.resource_mut::<Clock>().tick += 1;
        self.world.resource_mut::<Inbox>().0 = events;
        self.schedule.run(&mut self.world);
        self.world.resource_mut::<Inbox>().0.clear();
        std::mem::take(&mut self.world.resource_mut::<Outbox>().0)
    }

    /// Tells every connected client the server is going away and returns every player's
    /// state for saving. The core can keep running afterwards (tests do).
    pub fn shutdown(&mut self, reason: &str) -> TickOutput {
        let mut out = TickOutput::default();
        let mut q = self.world.query::<(&Player, &Health)>();
        for (player, health) in q.iter(&self.world) {
            out.saves.push((
                player.identity.player_id.clone(),
                sessions::progress_of(player, health),
            ));
            if let Some(conn) = player.conn {
                out.control.push((
                    conn,
                    ControlOut::Shutdown {
                        reason: reason.to_owned(),
                    },
                ));
                out.close.push(conn);
            }
        }
        out
    }

    pub fn tick(&self) -> u32 {
        self.world.resource::<Clock>().tick
    }

    pub fn rules(&self) -> &Rules {
        self.world.resource::<Rules>()
    }

    pub fn stats(&mut self) -> CoreStats {
        let mut stats = self.world.resource::<Stats>().0;
        stats.tick = self.tick();
        let floors = self.world.resource::<Floors>();
        stats.floors_live = floors.live.len() as u64;
        stats.floors_generated = floors.cache.generated();
        stats.players_playing = floors.live.values().map(|f| u64::from(f.players)).sum();
        stats.players_total = self.world.resource::<Sessions>().by_account.len() as u64;
        stats
    }

    /// From now on floors are prepared off the tick by the caller (`floors_to_prepare`,
    /// `add_prepared_floor`): a player sent to a floor that is not ready waits for it (at
    /// most a second, then the tick generates it after all) instead of the tick generating
    /// it at once.
    pub fn prepare_floors_off_the_tick(&mut self) {
        self.world.resource_mut::<Floors>().prepared_off_tick = true;
    }

    /// Floors worth generating ahead of time, off the tick: the floor above each live one
    /// and every floor a player waits for, when it is neither cached nor live nor already
    /// asked for. The caller builds each with `FloorData::build(world_seed, generator, n)`
    /// (see `floor_builder`) and hands it back with `add_prepared_floor`.
    pub fn floors_to_prepare(&mut self) -> Vec<u32> {
        let mut floors = self.world.resource_mut::<Floors>();
        let mut wanted: Vec<u32> = floors
            .live
            .keys()
            .filter_map(|n| n.checked_add(1))
            .chain(floors.awaiting.iter().map(|w| w.floor))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let Floors { cache, live, .. } = &mut *floors;
        wanted.retain(|n| !live.contains_key(n) && cache.request(*n));
        wanted
    }

    /// What `FloorData::build` needs to prepare a floor for this core.
    pub fn floor_builder(&self) -> (u64, FloorGenerator) {
        let cache = &self.world.resource::<Floors>().cache;
        (cache.world_seed(), cache.generator())
    }

    /// A floor prepared off the tick (an input of the core, like the events of a tick).
    pub fn add_prepared_floor(&mut self, data: floors::FloorData) {
        self.world.resource_mut::<Floors>().cache.insert(data);
    }

    /// The floor data (seed, hash, tiles) the core uses for floor `n`.
    pub fn floor(&mut self, n: u32) -> std::sync::Arc<floors::FloorData> {
        self.world.resource_mut::<Floors>().data(n)
    }

    pub fn player_by_conn(&mut self, conn: ConnId) -> Option<PlayerView> {
        let e = *self.world.resource::<Sessions>().by_conn.get(&conn)?;
        self.player_entity(e)
    }

    pub fn player_by_account(&mut self, player_id: &str) -> Option<PlayerView> {
        let e = *self
            .world
            .resource::<Sessions>()
            .by_account
            .get(player_id)?;
        self.player_entity(e)
    }

    fn player_entity(&mut self, e: Entity) -> Option<PlayerView> {
        let mut q = self.world.query::<(
            &Player,
            &NetId,
            &OnFloor,
            &Position,
            &Health,
            &Controls,
            Has<Present>,
        )>();
        let (player, id, floor, pos, health, controls, present) = q.get(&self.world, e).ok()?;
        Some(PlayerView {
            id: id.0,
            conn: player.conn,
            floor: floor.0,
            pos: pos.0,
            health: health.current,
            playing: present,
            progress: sessions::progress_of(player, health),
            last_input_seq: controls.last_applied,
        })
    }

    /// Every monster (alive or waiting to respawn), sorted by id.
    pub fn monsters(&mut self) -> Vec<MonsterView> {
        let mut q = self.world.query::<(
            &Monster,
            &NetId,
            &OnFloor,
            &Position,
            &Health,
            Has<Respawning>,
        )>();
        let mut v: Vec<MonsterView> = q
            .iter(&self.world)
            .map(|(m, id, f, p, h, respawning)| MonsterView {
                id: id.0,
                floor: f.0,
                pos: p.0,
                spawn: m.spawn,
                health: h.current,
                alive: !respawning && h.current > 0,
            })
            .collect();
        v.sort_by_key(|m| m.id);
        v
    }

    /// Sets a monster's position (tests place monsters exactly).
    pub fn place_monster(&mut self, id: u32, pos: movement::Pos) -> bool {
        let mut q = self.world.query::<(&NetId, &mut Position, &mut Monster)>();
        for (nid, mut p, mut m) in q.iter_mut(&mut self.world) {
            if nid.0 == id {
                p.0 = pos;
                m.spawn = pos;
                return true;
            }
        }
        false
    }
}
