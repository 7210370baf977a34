//! What a connection is configured with and what the player holds: credentials, floors,
//! idle policy, test-only diagnostics, the held input.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tower_protocol::{EntityFlags, EntityKind, EntityState, MAX_INPUTS_PER_DATAGRAM};

/// How the client proves who it is (`Hello.credentials`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Only accepted by a server in development auth mode.
    Dev {
        /// The login name (the dev server makes the account "dev:<name>").
        name: String,
    },
    /// A Nakama match ticket (never the Nakama session token: the game server must not
    /// hold a credential for the player's account).
    Ticket {
        /// The signed ticket from the matchmaker's "match ready" notification.
        ticket: String,
    },
}

/// TEST / DIAGNOSTIC ONLY: ways to make the client misbehave on purpose, so server tests
/// can provoke their error paths with a real client. A game never sets these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// Send this protocol version instead of [`tower_protocol::PROTOCOL_VERSION`].
    pub protocol_version: Option<u32>,
    /// Answer every FloorEnter with a corrupted hash.
    pub wrong_floor_proof: bool,
    /// Write these raw bytes on the control stream instead of the Hello frame
    /// (e.g. malformed or oversized frames).
    pub raw_hello: Option<Vec<u8>>,
}

/// Where floors come from: by default `procgen::generate`. Clients in one process (bots)
/// share a cache so a floor is generated once, not once per bot.
#[derive(Clone)]
pub struct FloorSource(Arc<dyn Fn(u64, u32) -> Arc<procgen::Floor> + Send + Sync>);

impl FloorSource {
    /// Runs `procgen::generate` for every floor, uncached.
    pub fn generate() -> Self {
        FloorSource(Arc::new(|seed, floor| {
            Arc::new(procgen::generate(seed, floor))
        }))
    }

    /// Generates through a shared cache of at most `capacity` floors. Concurrent requests
    /// for the same floor wait for one generation instead of each generating it.
    pub fn cached(capacity: usize) -> Self {
        type Cell = Arc<OnceLock<Arc<procgen::Floor>>>;
        type Cache = (HashMap<(u64, u32), Cell>, VecDeque<(u64, u32)>);
        let cache: Arc<Mutex<Cache>> = Arc::default();
        let capacity = capacity.max(1);
        FloorSource(Arc::new(move |seed, floor| {
            let key = (seed, floor);
            let cell = {
                let mut guard = cache.lock().unwrap_or_else(|p| p.into_inner());
                let (map, order) = &mut *guard;
                let cell = map
                    .entry(key)
                    .or_insert_with(|| {
                        order.push_back(key);
                        Cell::default()
                    })
                    .clone();
                while order.len() > capacity {
                    if let Some(old) = order.pop_front() {
                        map.remove(&old);
                    }
                }
                cell
            };
            cell.get_or_init(|| Arc::new(procgen::generate(seed, floor)))
                .clone()
        }))
    }

    /// The floor `floor` of world `seed`.
    pub fn get(&self, seed: u64, floor: u32) -> Arc<procgen::Floor> {
        (self.0)(seed, floor)
    }
}

impl Default for FloorSource {
    fn default() -> Self {
        Self::generate()
    }
}

impl fmt::Debug for FloorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FloorSource")
    }
}

/// How a client that holds still sends its input datagrams.
///
/// A player who does not touch the controls would otherwise send one input datagram per
/// tick (30 Hz), and the server's QUIC stack answers each with an ACK-only packet: about
/// 1.2 KB/s down for a player who sees nothing moving. Instead, once the neutral input has
/// gone out in every redundant slot of a datagram, the client stops taking new input seqs
/// (the player stands still on both ends: the server applies nothing, which for it means
/// standing still) and only sends the last datagram again, with the newest ack, when there
/// is something to acknowledge or the keepalive is due. Any other input resumes per-tick
/// sending on the very next tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdlePolicy {
    /// Snapshots that changed something are acknowledged at most this long after they
    /// arrive (keeps the server's delta baseline fresh while others move in view).
    pub ack_delay: Duration,
    /// With nothing new worth acknowledging, a datagram still goes out this often: it
    /// carries the newest ack and tells the server the client is alive.
    pub keepalive: Duration,
}

impl Default for IdlePolicy {
    fn default() -> Self {
        IdlePolicy {
            ack_delay: Duration::from_millis(100),
            // every datagram costs an ACK-only packet down (~40 B): 1 s gives ~95 B/s down
            // when idle, 2 s ~70 B/s (docs/performance-wire.md)
            keepalive: Duration::from_secs(2),
        }
    }
}

/// How a client with no fight near sends its inputs: less often. The server sends a
/// client's snapshots on the ticks that take in its input datagrams (within its
/// `snapshot_every_ticks..=snapshot_calm_ticks`), so it follows: at the defaults a calm
/// player exchanges 10 packets a second each way instead of 15, and a fight near brings
/// back 15 at once. Calm means: the player has not pressed attack, and no snapshot showed
/// a living monster or an entity in combat within `radius` (nor the player in combat), for
/// `linger`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalmPolicy {
    /// Input datagrams go out every this many ticks while calm (`input_every_ticks` near a
    /// fight). Clamped like it.
    pub input_every_ticks: u32,
    /// How near (movement units, 256 per tile) a monster or a fight ends calm.
    pub radius: i32,
    /// Calm starts this long after the last sign of a fight near.
    pub linger: Duration,
    /// How far behind the newest snapshot remote entities are drawn while calm, instead of
    /// `CoreConfig::interp_delay` (the render delay moves between the two slowly). Two
    /// snapshot periods at 10 Hz: a lost snapshot is still interpolated, not extrapolated.
    pub interp_delay: Duration,
}

impl Default for CalmPolicy {
    fn default() -> Self {
        CalmPolicy {
            input_every_ticks: 3,
            // the server's default aggro range: a monster nearer may come for the player
            radius: 8 * tower_movement::SUBTILE,
            // the server keeps entities flagged in combat for 2 s after a blow
            linger: Duration::from_secs(2),
            interp_delay: Duration::from_millis(200),
        }
    }
}

impl CalmPolicy {
    /// Whether a snapshot shows a fight near `me`: `me` in combat, or a living monster or an
    /// entity in combat within `radius`. Positions in movement units.
    pub fn fight_near(
        &self,
        me: &EntityState,
        others: impl IntoIterator<Item = EntityState>,
    ) -> bool {
        let r = i64::from(self.radius);
        // in i64 and bounded per axis first: positions come off the wire
        let near = |e: &EntityState| {
            let dx = (i64::from(e.x) - i64::from(me.x)).abs();
            let dy = (i64::from(e.y) - i64::from(me.y)).abs();
            dx <= r && dy <= r && dx * dx + dy * dy <= r * r
        };
        let fighting = |e: &EntityState| {
            e.flags.contains(EntityFlags::IN_COMBAT)
                || (e.kind == EntityKind::Monster && !e.flags.contains(EntityFlags::DEAD))
        };
        me.flags.contains(EntityFlags::IN_COMBAT)
            || others.into_iter().any(|e| fighting(&e) && near(&e))
    }
}

/// Neutral ticks needed before sending slows down: every input of the redundancy window
/// (what a datagram carries) is then the same neutral input.
pub const IDLE_SETTLE_TICKS: u32 = MAX_INPUTS_PER_DATAGRAM as u32;

/// Protocol-level settings of a connection.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// How the player logs in; still required with a resume token (the server ignores it then).
    pub credentials: Credentials,
    /// Resume token from an earlier Welcome, to reclaim a dropped session.
    pub resume_token: Option<Vec<u8>>,
    /// How far behind the newest snapshot remote entities are drawn on a steady link; the
    /// client adds a margin for the jitter it sees (`ClientCore::render_delay`).
    pub interp_delay: Duration,
    /// How far past the newest snapshot entities may be extrapolated.
    pub max_extrapolation: Duration,
    /// Where regenerated floors come from (a shared cache for bots).
    pub floors: FloorSource,
    /// Input suppression while the player holds still; `None` sends every tick.
    pub idle: Option<IdlePolicy>,
    /// While the player acts, an input datagram goes out every this many ticks, carrying
    /// the inputs of those ticks and older unconfirmed ones (the redundancy window); 1 =
    /// every tick. Pressing attack, or moving again after holding still, sends on that very
    /// tick. Fewer datagrams: each costs QUIC ~40 B each way and the server ~25 µs of CPU.
    /// Clamped to `1..=MAX_INPUTS_PER_DATAGRAM`, so every input is carried at least once.
    pub input_every_ticks: u32,
    /// Fewer input datagrams (and so snapshots) with no fight near; `None` always sends
    /// every `input_every_ticks`.
    pub calm: Option<CalmPolicy>,
    /// TEST ONLY: deliberate protocol violations.
    pub diagnostics: Diagnostics,
}

impl CoreConfig {
    /// Defaults: 100 ms interpolation delay, 150 ms extrapolation, idle input suppression on,
    /// inputs sent every 2 ticks near a fight and every 3 otherwise.
    pub fn new(credentials: Credentials) -> Self {
        CoreConfig {
            credentials,
            resume_token: None,
            interp_delay: Duration::from_millis(100),
            max_extrapolation: Duration::from_millis(150),
            floors: FloorSource::default(),
            idle: Some(IdlePolicy::default()),
            input_every_ticks: 2,
            calm: Some(CalmPolicy::default()),
            diagnostics: Diagnostics::default(),
        }
    }
}

/// Input held by the player; sampled once per client tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlayerInput {
    /// Direction, -127..=127 per axis; clamped to unit length by the movement code.
    pub move_x: i8,
    /// Direction along Y, -127..=127.
    pub move_y: i8,
    /// Melee attack held.
    pub attack: bool,
}

impl PlayerInput {
    /// No direction and no button: holding it keeps the player where it is.
    pub const NEUTRAL: PlayerInput = PlayerInput {
        move_x: 0,
        move_y: 0,
        attack: false,
    };
}
