//! Components and resources of the game world. Components are plain data; the rules that
//! change them live in `systems`.

use crate::core::aoi::{Grid, TierConfig};
use crate::core::api::{
    ClientEvent, ConnId, CoreStats, EntityState, OwnState, ResumeToken, TickInput, TickOutput,
};
use crate::core::floors::{FloorCache, FloorData};
use crate::core::movement::{MoveParams, Pos, SUBTILE};
use bevy_ecs::prelude::*;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tower_meta::{Identity, PlayerState};

/// Game rules and core settings (all in ticks and movement units).
#[derive(Resource, Clone, Debug)]
pub struct Rules {
    pub tick_rate_hz: u32,
    pub world_seed: u64,
    pub floor_cache_capacity: usize,
    /// A dropped player is held this long for a resume.
    pub resume_window_ticks: u32,
    /// Player slots (held ones included). A login that would need one more is refused
    /// with `ServerFull`; a resume or a second login of the same account reuses its slot.
    pub max_players: usize,
    pub autosave_ticks: u32,
    /// A snapshot goes out at least this often even when nothing changed.
    pub keepalive_ticks: u32,
    /// Player speed and collision box (the client predicts with the same parameters).
    pub player_move: MoveParams,
    pub monster_move: MoveParams,
    pub player_max_health: u16,
    pub player_damage: u16,
    pub monster_base_health: u16,
    /// Extra hit points per monster level.
    pub monster_health_per_level: u16,
    pub monster_damage: u16,
    /// Extra damage per monster level.
    pub monster_damage_per_level: u16,
    /// A kill scores this times (monster level + 1).
    pub kill_score_per_level: u64,
    /// A chasing monster stops this close to its target (inside melee reach).
    pub monster_approach: i32,
    pub melee_range: i32,
    pub aggro_range: i32,
    pub leash_range: i32,
    pub attack_cooldown_ticks: u32,
    /// An attack is judged against the monsters as its client drew them, at most this many
    /// ticks back ([`crate::core::lagcomp::MAX_REWIND`]); 0 judges against the present.
    pub lag_compensation_ticks: u32,
    pub monster_respawn_ticks: u32,
    pub combat_linger_ticks: u32,
    /// ATTACKING and HURT stay set this long after a swing or a hit, so observers refreshed
    /// at the mid tier's rate see them too.
    pub flash_ticks: u32,
    /// A claim further than this from the authoritative position counts as a correction.
    pub correction_tolerance: i32,
    /// Inputs applied per tick may run ahead of the tick count by at most this many
    /// (absorbs network jitter; more would be a speed hack).
    pub input_credit_max: u32,
    /// Unapplied inputs kept per player; more are dropped.
    pub input_queue_max: usize,
    /// One queued input is applied per tick, two while more than this many wait: a
    /// player's motion stays even when its inputs arrive in batches (a client sends every
    /// 2 or 3 ticks, jitter bunches datagrams), and a backlog still drains. At least the
    /// calm pace (3): with 2, a batch of 3 would move the player 2, 1, 0 steps a tick.
    /// 0: as many as the credit allows (the rule before clients sent inputs in batches;
    /// benchmarks only).
    pub input_playout: usize,
    /// A gap of at most this many seqs (inputs lost in every datagram that carried them)
    /// is filled with the direction of the input after it, no buttons: a walking player
    /// held that direction, so its client predicted the same steps (no correction). 9:
    /// three lost datagrams at the calm pace (a 300 ms burst). Larger gaps (an outage)
    /// are not guessed. The credit still caps moves per tick. 0 = off.
    pub input_gap_fill: u32,
    pub tiers: TierConfig,
    /// At most this many other entities in one view (the nearest).
    pub max_view_entities: usize,
    /// Who is in a view is searched at most every this many ticks (on the first snapshot
    /// tick after that); in between, the entities already in it are refreshed by id.
    /// Entering a view is delayed by less than that plus a snapshot period; leaving it is
    /// immediate.
    pub aoi_search_ticks: u32,
    /// A player's snapshots go out at most every this many ticks, on the ticks that took in
    /// its client's input datagrams (`Controls::heard_at`): the client sets the pace by how
    /// often it sends, and clients send on their own clocks, so the load per tick stays
    /// flat. The first one after admission is never delayed. 1 = every tick.
    pub snapshot_every_ticks: u32,
    /// Without an input datagram to follow (a client that holds still, or sends less often
    /// than this), a player's snapshots go out every this many ticks.
    pub snapshot_calm_ticks: u32,
}

impl Rules {
    pub fn new(world_seed: u64, tick_rate_hz: u32) -> Rules {
        let hz = tick_rate_hz.max(1);
        let player_move = MoveParams::player(hz);
        Rules {
            tick_rate_hz: hz,
            world_seed,
            floor_cache_capacity: 64,
            resume_window_ticks: 60 * hz,
            max_players: usize::MAX,
            autosave_ticks: 30 * hz,
            keepalive_ticks: hz,
            player_move,
            monster_move: MoveParams {
                speed_per_tick: (player_move.speed_per_tick * 2 / 3).max(1),
                ..player_move
            },
            player_max_health: 100,
            player_damage: 10,
            monster_base_health: 20,
            monster_health_per_level: 10,
            monster_damage: 5,
            monster_damage_per_level: 1,
            kill_score_per_level: 10,
            monster_approach: SUBTILE * 9 / 8,
            melee_range: SUBTILE * 3 / 2,
            aggro_range: 8 * SUBTILE,
            leash_range: 14 * SUBTILE,
            attack_cooldown_ticks: hz / 2,
            lag_compensation_ticks: crate::core::lagcomp::max_rewind_ticks(hz),
            monster_respawn_ticks: 10 * hz,
            combat_linger_ticks: 2 * hz,
            flash_ticks: (hz / 5).max(1),
            correction_tolerance: 8,
            input_credit_max: 4,
            input_queue_max: 16,
            input_gap_fill: 9,
            input_playout: 3,
            tiers: TierConfig::default(),
            max_view_entities: 48,
            aoi_search_ticks: 3,
            snapshot_every_ticks: 2,
            snapshot_calm_ticks: 3,
        }
    }
}

/// The tick counter: the core's only notion of time.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Clock {
    pub tick: u32,
}

/// Events of this tick, filled by `GameCore::step` before the schedule runs.
#[derive(Resource, Default)]
pub struct Inbox(pub Vec<ClientEvent>);

/// Outputs of this tick, taken by `GameCore::step` after the schedule ran.
#[derive(Resource, Default)]
pub struct Outbox(pub TickOutput);

#[derive(Resource, Default)]
pub struct Stats(pub CoreStats);

/// Lookups from the outside world's keys to player entities.
#[derive(Resource, Default)]
pub struct Sessions {
    pub by_conn: HashMap<ConnId, Entity>,
    pub by_token: HashMap<ResumeToken, Entity>,
    pub by_account: HashMap<String, Entity>,
}

/// Entity ids in snapshots; never reused within a run.
#[derive(Resource, Default)]
pub struct NetIds {
    next: u32,
}

impl NetIds {
    pub fn allocate(&mut self) -> NetId {
        self.next = self.next.wrapping_add(1).max(1);
        NetId(self.next)
    }
}

/// A floor with someone on it: its monsters exist and its grid is rebuilt each tick.
pub struct LiveFloor {
    pub data: Arc<FloorData>,
    pub grid: Grid<Seen>,
    /// Players present at the last grid rebuild.
    pub players: u32,
    /// Where the monsters were at the end of the last ticks (lag compensation).
    pub history: crate::core::lagcomp::PosHistory,
}

/// Every entity in the world this tick, by net id: `(floor, state)`. Lets a view refresh
/// the entities it already holds without a spatial search.
#[derive(Resource, Default)]
pub struct Current(pub Vec<Option<(u32, EntityState)>>);

impl Current {
    pub fn get(&self, id: u32) -> Option<(u32, EntityState)> {
        self.0.get(usize::try_from(id).ok()?).copied().flatten()
    }

    pub fn set(&mut self, floor: u32, state: EntityState) {
        let Ok(i) = usize::try_from(state.id) else {
            return;
        };
        if i >= self.0.len() {
            self.0.resize(i + 1, None);
        }
        self.0[i] = Some((floor, state));
    }
}

#[derive(Resource)]
pub struct Floors {
    pub cache: FloorCache,
    pub live: HashMap<u32, LiveFloor>,
    /// The shell prepares floors off the tick (`GameCore::prepare_floors_off_the_tick`): a
    /// player sent to a floor that is not ready waits for it instead of the tick
    /// generating it.
    pub prepared_off_tick: bool,
    /// Floor entries waiting for their floor, oldest first (`systems::sessions::awaited_floors`).
    pub awaiting: Vec<AwaitedFloor>,
}

/// A FloorEnter to send once its floor is ready.
#[derive(Clone, Copy, Debug)]
pub struct AwaitedFloor {
    pub conn: ConnId,
    pub floor: u32,
    /// The tick it began waiting.
    pub since: u32,
}

impl Floors {
    /// Floor data for `n`: the live floor's, else through the cache (generated on a miss).
    pub fn data(&mut self, n: u32) -> Arc<FloorData> {
        match self.live.get(&n) {
            Some(live) => Arc::clone(&live.data),
            None => self.cache.get(n),
        }
    }

    /// Floor `n` for `conn`'s FloorEnter on `tick`: at hand (live, cached, or generated
    /// here when nothing prepares floors off the tick), or `None` when `conn` waits for it
    /// in `awaiting` (and `n` is asked for through `GameCore::floors_to_prepare`).
    pub fn for_entering(&mut self, conn: ConnId, n: u32, tick: u32) -> Option<Arc<FloorData>> {
        if self.prepared_off_tick && !self.is_ready(n) {
            self.awaiting.push(AwaitedFloor {
                conn,
                floor: n,
                since: tick,
            });
            return None;
        }
        Some(self.data(n))
    }

    /// Whether floor `n` is live or cached (no generation needed).
    pub fn is_ready(&self, n: u32) -> bool {
        self.live.contains_key(&n) || self.cache.contains(n)
    }
}

/// An entity as recorded in a floor's grid this tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub entity: Entity,
    pub state: EntityState,
}

/// Snapshot id of an entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetId(pub u32);

#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position(pub Pos);

#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnFloor(pub u32);

#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    pub current: u16,
    pub max: u16,
}

/// On a floor and taking part in the game (admitted, connected, alive or not).
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Present;

/// Ticks until the next attack is allowed.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Cooldown(pub u32);

/// Fought (hit or was hit) until this tick; such entities are sent at the near rate.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct InCombat {
    pub until: u32,
    /// Swung an attack (hit or not) until this tick: the ATTACKING flag.
    pub attacking_until: u32,
    /// Took damage until this tick: the HURT flag.
    pub hurt_until: u32,
}

/// A connected or held player.
#[derive(Component, Debug)]
pub struct Player {
    pub identity: Identity,
    pub conn: Option<ConnId>,
    pub resume_token: ResumeToken,
    /// Tick at which the connection dropped, while held for a resume.
    pub detached_since: Option<u32>,
    pub progress: PlayerState,
    pub phase: Phase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// FloorEnter sent; waiting for a matching FloorProof. `keep_position` is set on a
    /// resume to the floor the player was on.
    Entering {
        floor: u32,
        keep_position: bool,
    },
    Playing,
}

/// Input bookkeeping of a player.
#[derive(Component, Debug, Default)]
pub struct Controls {
    /// Highest seq received (redundant copies at or below it are ignored).
    pub newest_received: u32,
    /// Highest seq applied.
    pub last_applied: u32,
    pub queue: VecDeque<Queued>,
    /// Inputs that may still be applied; grows by one per tick up to `input_credit_max`.
    pub credit: u32,
    /// The attack button was pressed in an input applied this tick.
    pub attack: bool,
    /// The server tick that attack's client was drawing, if it said.
    pub attack_view: Option<u32>,
    /// The tick that took in this client's newest input datagram: its snapshots go out on
    /// that tick's phase (see `snapshot_every_ticks`), so QUIC's ACK of the datagram rides
    /// in the snapshot packet instead of a packet of its own.
    pub heard_at: Option<u32>,
}

/// An input waiting to be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub input: TickInput,
    /// Not received: a seq lost in transit, filled in with the direction of the next input
    /// received (its claimed position is not the client's, so it is never a correction).
    pub guessed: bool,
}

/// One entity in an observer's view: its state as last sampled, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewed {
    pub state: EntityState,
    pub sampled: u32,
}

/// The observer side of a player: what its client was last told about each entity.
#[derive(Component, Debug, Default)]
pub struct Viewer {
    /// Sorted by entity id.
    pub view: Vec<Viewed>,
    /// Scratch buffer for the next view (kept to reuse its allocation).
    pub next: Vec<Viewed>,
    pub last_own: Option<OwnState>,
    pub last_sent: Option<u32>,
    /// The tick this view was last refreshed (compared with the world, sent or not).
    pub last_refreshed: Option<u32>,
    /// Timed refreshes in a row that found an input of the client's waiting (see
    /// `observe_now`).
    pub late_inputs: u8,
    /// The tick this view was last searched for entities entering it.
    pub last_searched: Option<u32>,
    /// The last snapshot carried a change: one more goes out on the next quiet tick, so the
    /// client learns that things stopped instead of extrapolating them onward.
    pub settle_due: bool,
}

#[derive(Component, Clone, Copy, Debug)]
pub struct Monster {
    pub spawn: Pos,
    pub level: u8,
    pub target: Option<Entity>,
}

/// A dead monster waiting to come back at its spawn point.
#[derive(Component, Clone, Copy, Debug)]
pub struct Respawning {
    pub at: u32,
}

/// A player on the roster of its floor, as the clients were last told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: u32,
    pub floor: u32,
    /// The connection that was sent the floor's roster; a new one needs it again.
    pub conn: ConnId,
}

/// Who each client was told is on its floor (see `core::roster`).
#[derive(Resource, Default)]
pub struct RosterBook {
    pub listed: HashMap<Entity, Listed>,
}
