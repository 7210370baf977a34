//! The network half of the ABI: a `tower_client::Client` behind a handle. The client's
//! runtime (tokio, quinn) lives inside the handle; every function here returns at once, so
//! a game thread may call them every frame.

use std::ffi::{CStr, c_char};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_client::{
    Buttons, CertFingerprint, Client, ClientConfig, Credentials, EntityFlags, Event, PlayerInput,
    Pos, ServerAddress, Trust,
};
use tower_movement::SUBTILE;

use crate::error::{FfiError, TowerStatus, check_buffer, copy_out, guard, in_slice, out_ref};
use crate::floor::{TowerFloorHandle, issue};
use crate::registry::Registry;

struct Session {
    client: Client,
    /// Time zero of `tower_client_time` and `tower_client_entities`.
    epoch: Instant,
}

static CLIENTS: Registry<Session> = Registry::new("client");

/// A connection to a Tower server. `id == 0` is the null handle. Free it exactly once with
/// `tower_client_free`; a second free returns `TOWER_STATUS_BAD_HANDLE` and does nothing.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TowerClientHandle {
    /// Registry id; 0 is the null handle.
    pub id: u64,
}

/// What `tower_client_connect` needs. Strings are NUL-terminated UTF-8, copied during the
/// call. Give `dev_name` (servers in dev auth mode) or `ticket` (Nakama), not both. The
/// Nakama session token is never given: a game server must not hold the player's credential.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TowerConnectOptions {
    /// "host:port", "IP:port" or "[IPv6]:port", e.g. "game.example.com:4433",
    /// "127.0.0.1:4433", "[::1]:4433". A host name is resolved on the library's own thread
    /// (never the caller's), within the connect timeout, IPv4 preferred; a name that does
    /// not resolve ends in a DISCONNECTED event naming it.
    pub server_address: *const c_char,
    /// SHA-256 of the server certificate (DER): 64 hex digits, either case, with or without
    /// ':' separators ("ab:cd:..." as openssl prints it); surrounding spaces are ignored.
    pub cert_fingerprint: *const c_char,
    /// Development login name, or NULL.
    pub dev_name: *const c_char,
    /// Nakama match ticket, or NULL.
    pub ticket: *const c_char,
    /// Resume token from `tower_client_resume_token` of an earlier connection, to reclaim
    /// its session (position, floor) within the server's hold window; NULL with length 0
    /// for a fresh login. Credentials are still required; a refused token ends in
    /// DISCONNECTED with `TOWER_DISCONNECT_RESUME_EXPIRED`.
    pub resume_token: *const u8,
    /// Length of `resume_token` in bytes, at most `TOWER_RESUME_TOKEN_MAX_LEN`.
    pub resume_token_len: usize,
}

/// Longest resume token `TowerConnectOptions` accepts (the server's are 16 bytes).
pub const TOWER_RESUME_TOKEN_MAX_LEN: usize = 64;

/// The resume token, length-checked: `None` for NULL/0, an error for an oversized length.
///
/// # Safety
/// `ptr` is NULL or valid for `len` reads.
unsafe fn resume_token(ptr: *const u8, len: usize) -> Result<Option<Vec<u8>>, FfiError> {
    if len > TOWER_RESUME_TOKEN_MAX_LEN {
        return Err(FfiError::InvalidArgument(format!(
            "`resume_token_len` {len} is longer than TOWER_RESUME_TOKEN_MAX_LEN ({TOWER_RESUME_TOKEN_MAX_LEN})"
        )));
    }
    // SAFETY: forwarded caller contract; the length is bounded above.
    let bytes = unsafe { in_slice(ptr, len, "resume_token") }?;
    Ok((!bytes.is_empty()).then(|| bytes.to_vec()))
}

/// Kinds of `TowerEvent`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TowerEventKind {
    /// No event was pending.
    None = 0,
    /// QUIC and TLS are up; the Hello is on its way.
    Connected = 1,
    /// The server accepted us: `entity_id`, `tick_rate_hz`, `resumed`, `message` = display name.
    Welcome = 2,
    /// The server sent a floor (`floor`, `seed`, `hash`, `generator_version`); the library
    /// regenerated it, sent its own hash as proof, and sets `hash_matches`. Read it with
    /// `tower_client_floor`.
    FloorEntered = 3,
    /// The server checked the proof and placed us at (`spawn_x`, `spawn_y`) tiles on `floor`.
    FloorAdmitted = 4,
    /// The roster of the floor changed (`count` players).
    Roster = 5,
    /// The server reported an error: `error_code` (protocol ErrorCode) and `message`.
    ServerError = 6,
    /// The connection is over (`message` = reason). The last event of a connection.
    Disconnected = 7,
}

/// One event from `tower_client_poll_event`. Fields not listed for a kind are zero.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TowerEvent {
    /// A `TowerEventKind` value.
    pub kind: u32,
    /// The own entity id (WELCOME).
    pub entity_id: u32,
    /// Server ticks per second (WELCOME).
    pub tick_rate_hz: u32,
    /// Floor number (FLOOR_ENTERED, FLOOR_ADMITTED).
    pub floor: u32,
    /// The floor's seed (FLOOR_ENTERED): the floor is `tower_floor_generate(seed, floor, ..)`.
    pub seed: u64,
    /// The server's procgen generator version (FLOOR_ENTERED).
    pub generator_version: u32,
    /// Number of roster entries (ROSTER).
    pub count: u32,
    /// The server's floor hash (FLOOR_ENTERED).
    pub hash: [u8; 32],
    /// 1 when the library's regenerated floor has the server's hash and generator version.
    pub hash_matches: u8,
    /// 1 when the server resumed an earlier session (WELCOME).
    pub resumed: u8,
    /// Why the connection ended (DISCONNECTED): a `TOWER_DISCONNECT_*` value.
    pub disconnect_reason: u8,
    /// Spawn position in tiles, X (FLOOR_ADMITTED).
    pub spawn_x: f32,
    /// Spawn position in tiles, Y (FLOOR_ADMITTED).
    pub spawn_y: f32,
    /// Protocol ErrorCode (SERVER_ERROR).
    pub error_code: i32,
    /// NUL-terminated UTF-8, truncated to fit.
    pub message: [c_char; 256],
}

impl TowerEvent {
    fn empty(kind: TowerEventKind) -> Self {
        TowerEvent {
            kind: kind as u32,
            entity_id: 0,
            tick_rate_hz: 0,
            floor: 0,
            seed: 0,
            generator_version: 0,
            count: 0,
            hash: [0; 32],
            hash_matches: 0,
            resumed: 0,
            disconnect_reason: 0,
            spawn_x: 0.0,
            spawn_y: 0.0,
            error_code: 0,
            message: [0; 256],
        }
    }

    fn with_message(mut self, text: &str) -> Self {
        fill_c_string(&mut self.message, text);
        self
    }
}

/// Writes `text` into a zeroed fixed-size array, truncated on a character boundary so the
/// array always ends in at least one NUL.
fn fill_c_string(dst: &mut [c_char], text: &str) {
    let mut end = text.len().min(dst.len().saturating_sub(1));
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for (d, src) in dst.iter_mut().zip(&text.as_bytes()[..end]) {
        *d = *src as c_char;
    }
}

fn tiles(units: i32) -> f32 {
    (f64::from(units) / f64::from(SUBTILE)) as f32
}

fn event_to_c(event: Event) -> TowerEvent {
    match event {
        Event::Connected => TowerEvent::empty(TowerEventKind::Connected),
        Event::Welcome {
            entity_id,
            tick_rate_hz,
            display_name,
            resumed,
            ..
        } => TowerEvent {
            entity_id,
            tick_rate_hz,
            resumed: u8::from(resumed),
            ..TowerEvent::empty(TowerEventKind::Welcome)
        }
        .with_message(&display_name),
        Event::FloorEntered {
            floor,
            seed,
            hash,
            generator_version,
            matches,
        } => TowerEvent {
            floor,
            seed,
            hash,
            generator_version,
            hash_matches: u8::from(matches),
            ..TowerEvent::empty(TowerEventKind::FloorEntered)
        },
        Event::FloorAdmitted { floor, spawn } => TowerEvent {
            floor,
            spawn_x: tiles(spawn.x),
            spawn_y: tiles(spawn.y),
            ..TowerEvent::empty(TowerEventKind::FloorAdmitted)
        },
        Event::Roster(change) => TowerEvent {
            count: change.total,
            ..TowerEvent::empty(TowerEventKind::Roster)
        },
        Event::Error { code, message } => TowerEvent {
            error_code: code as i32,
            ..TowerEvent::empty(TowerEventKind::ServerError)
        }
        .with_message(&message),
        Event::Disconnected { reason, message } => TowerEvent {
            disconnect_reason: reason as u8,
            ..TowerEvent::empty(TowerEventKind::Disconnected)
        }
        .with_message(&message),
    }
}

/// Input held from now on; the library applies it every client tick (prediction) and
/// sends it to the server. Axes are world X/Y in [-1, 1] (clamped; length > 1 is scaled
/// down by the movement code).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TowerInput {
    /// Wish direction along X, -1..1.
    pub move_x: f32,
    /// Wish direction along Y, -1..1.
    pub move_y: f32,
    /// Bit set of `TOWER_BUTTON_*`.
    pub buttons: u32,
}

/// `TowerInput::buttons` bit: attack (melee).
pub const TOWER_BUTTON_ATTACK: u32 = 1;

/// `TowerEntity::flags` bit: swung an attack within the last few ticks.
pub const TOWER_ENTITY_ATTACKING: u8 = 1;
/// `TowerEntity::flags` bit: dead (health 0).
pub const TOWER_ENTITY_DEAD: u8 = 2;
/// `TowerEntity::flags` bit: took a hit within the last few ticks.
pub const TOWER_ENTITY_HURT: u8 = 4;
/// `TowerEntity::flags` bit: in combat (until a while after its last swing or hit).
pub const TOWER_ENTITY_IN_COMBAT: u8 = 8;

// The protocol defines these bits; the header needs literals, so they are checked here.
const _: () = {
    assert!(TOWER_BUTTON_ATTACK == Buttons::ATTACK as u32);
    assert!(TOWER_ENTITY_ATTACKING == EntityFlags::ATTACKING);
    assert!(TOWER_ENTITY_DEAD == EntityFlags::DEAD);
    assert!(TOWER_ENTITY_HURT == EntityFlags::HURT);
    assert!(TOWER_ENTITY_IN_COMBAT == EntityFlags::IN_COMBAT);
};

// `TowerEvent::disconnect_reason` values (`tower_client::DisconnectReason`). Resume with
// the token after CONNECTION_LOST or SERVER_CLOSED; queue again after SERVER_SHUTDOWN or
// SERVER_FULL; log in afresh after RESUME_EXPIRED or AUTH_FAILED; give up otherwise.
/// The player left (`tower_client_disconnect`): nothing to do.
pub const TOWER_DISCONNECT_LEFT: u8 = 0;
/// The network went away (timeout, reset): resume with the token.
pub const TOWER_DISCONNECT_CONNECTION_LOST: u8 = 1;
/// The server shuts down or drains (state saved): queue for another server.
pub const TOWER_DISCONNECT_SERVER_SHUTDOWN: u8 = 2;
/// Every player slot is taken: queue again.
pub const TOWER_DISCONNECT_SERVER_FULL: u8 = 3;
/// The account logged in on another connection: do not reconnect from here.
pub const TOWER_DISCONNECT_REPLACED: u8 = 4;
/// The resume token was refused (hold window over): log in afresh.
pub const TOWER_DISCONNECT_RESUME_EXPIRED: u8 = 5;
/// The credentials were refused (e.g. an expired ticket): get new ones.
pub const TOWER_DISCONNECT_AUTH_FAILED: u8 = 6;
/// Client and server speak different protocol versions: update.
pub const TOWER_DISCONNECT_VERSION_MISMATCH: u8 = 7;
/// This build cannot reproduce the server's floor: update.
pub const TOWER_DISCONNECT_HASH_MISMATCH: u8 = 8;
/// Malformed or unexpected messages: a bug, do not retry blindly.
pub const TOWER_DISCONNECT_PROTOCOL_ERROR: u8 = 9;
/// The server closed the connection without saying why: resume with the token.
pub const TOWER_DISCONNECT_SERVER_CLOSED: u8 = 10;
const _: () = {
    use tower_client::DisconnectReason as R;
    assert!(TOWER_DISCONNECT_LEFT == R::Left as u8);
    assert!(TOWER_DISCONNECT_CONNECTION_LOST == R::ConnectionLost as u8);
    assert!(TOWER_DISCONNECT_SERVER_SHUTDOWN == R::ServerShutdown as u8);
    assert!(TOWER_DISCONNECT_SERVER_FULL == R::ServerFull as u8);
    assert!(TOWER_DISCONNECT_REPLACED == R::Replaced as u8);
    assert!(TOWER_DISCONNECT_RESUME_EXPIRED == R::ResumeExpired as u8);
    assert!(TOWER_DISCONNECT_AUTH_FAILED == R::AuthFailed as u8);
    assert!(TOWER_DISCONNECT_VERSION_MISMATCH == R::VersionMismatch as u8);
    assert!(TOWER_DISCONNECT_HASH_MISMATCH == R::HashMismatch as u8);
    assert!(TOWER_DISCONNECT_PROTOCOL_ERROR == R::ProtocolError as u8);
    assert!(TOWER_DISCONNECT_SERVER_CLOSED == R::ServerClosed as u8);
};

/// Entity kinds of `TowerEntity::kind`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TowerEntityKind {
    /// A player character (`tower_client_roster` names it).
    Player = 0,
    /// A monster.
    Monster = 1,
}

/// One entity as it should be drawn at the requested time. Positions in tiles.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TowerEntity {
    /// Network id; a player's is its roster `entity_id`.
    pub id: u32,
    /// X position (tile columns), tiles.
    pub x: f32,
    /// Y position (tile rows), tiles.
    pub y: f32,
    /// Current health (0: dead).
    pub health: u16,
    /// A `TowerEntityKind` value.
    pub kind: u8,
    /// Bit set of `TOWER_ENTITY_*` (attacking, dead, hurt, in combat).
    pub flags: u8,
}

/// One player on the roster of the current floor: the name and guild behind a player
/// entity id of `tower_client_entities`. Strings are NUL-terminated UTF-8, truncated (on a
/// character boundary) to fit.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TowerRosterEntry {
    pub entity_id: u32,
    /// Display name.
    pub name: [c_char; 128],
    /// Guild (Nakama group) name; empty for none.
    pub guild: [c_char; 128],
}

impl TowerRosterEntry {
    fn new(entity_id: u32, name: &str, guild: &str) -> Self {
        let mut entry = TowerRosterEntry {
            entity_id,
            name: [0; 128],
            guild: [0; 128],
        };
        fill_c_string(&mut entry.name, name);
        fill_c_string(&mut entry.guild, guild);
        entry
    }
}

pub(crate) fn live_clients() -> usize {
    CLIENTS.len()
}

fn session_of(handle: TowerClientHandle) -> Result<Arc<Session>, FfiError> {
    CLIENTS.get(handle.id)
}

/// # Safety
/// `ptr` is NULL or a NUL-terminated string.
unsafe fn opt_str<'a>(ptr: *const c_char, name: &'static str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map(Some)
        .map_err(|_| FfiError::InvalidArgument(format!("`{name}` is not valid UTF-8")))
}

fn parse_address(text: &str) -> Result<ServerAddress, FfiError> {
    ServerAddress::parse(text).map_err(|e| FfiError::InvalidArgument(e.to_string()))
}

fn credentials(dev_name: Option<&str>, ticket: Option<&str>) -> Result<Credentials, FfiError> {
    match (dev_name, ticket) {
        (Some(name), None) if !name.is_empty() => Ok(Credentials::Dev {
            name: name.to_owned(),
        }),
        (None, Some(ticket)) if !ticket.is_empty() => Ok(Credentials::Ticket {
            ticket: ticket.to_owned(),
        }),
        (Some(_), Some(_)) => Err(FfiError::InvalidArgument(
            "give either `dev_name` or `ticket`, not both".into(),
        )),
        _ => Err(FfiError::InvalidArgument(
            "no credentials: set `dev_name` (dev servers) or `ticket` (Nakama)".into(),
        )),
    }
}

/// Starts connecting and writes a new handle to `*out` at once (NULL handle on failure).
/// Progress and failures of the connection itself arrive as events.
///
/// # Safety
/// `options` is NULL or points to a valid `TowerConnectOptions` whose strings are NULL or
/// NUL-terminated; `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_connect(
    options: *const TowerConnectOptions,
    out: *mut TowerClientHandle,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = TowerClientHandle { id: 0 };
        // A build whose floors differ must not join a game (ffi/src/self_test.rs).
        crate::self_test::ensure()?;
        // SAFETY: forwarded caller contract.
        let options = unsafe { options.as_ref() }.ok_or(FfiError::Null("options"))?;
        // SAFETY: forwarded caller contract (each string NULL or NUL-terminated).
        let (address, fingerprint, dev_name, ticket, token) = unsafe {
            (
                opt_str(options.server_address, "server_address")?,
                opt_str(options.cert_fingerprint, "cert_fingerprint")?,
                opt_str(options.dev_name, "dev_name")?,
                opt_str(options.ticket, "ticket")?,
                resume_token(options.resume_token, options.resume_token_len)?,
            )
        };
        let address = parse_address(address.ok_or(FfiError::Null("server_address"))?)?;
        let fingerprint =
            CertFingerprint::parse(fingerprint.ok_or(FfiError::Null("cert_fingerprint"))?)
                .map_err(|e| FfiError::InvalidArgument(format!("certificate fingerprint: {e}")))?;
        let mut cfg = ClientConfig::new(
            address,
            Trust::Fingerprint(fingerprint),
            credentials(dev_name, ticket)?,
        );
        cfg.core.resume_token = token;
        let client = Client::connect(cfg).map_err(|e| FfiError::Io(e.to_string()))?;
        let session = Session {
            client,
            epoch: Instant::now(),
        };
        *out = TowerClientHandle {
            id: CLIENTS.insert(Arc::new(session)),
        };
        Ok(())
    })
}

/// Takes the next event into `*out`; `kind` is `TOWER_EVENT_KIND_NONE` when none is
/// pending. Call it until NONE every frame.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_poll_event(
    handle: TowerClientHandle,
    out: *mut TowerEvent,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        let session = session_of(handle)?;
        *out = session
            .client
            .poll_event()
            .map_or(TowerEvent::empty(TowerEventKind::None), event_to_c);
        Ok(())
    })
}

fn axis(value: f32, name: &str) -> Result<i8, FfiError> {
    if !value.is_finite() {
        return Err(FfiError::InvalidArgument(format!(
            "input `{name}` is not finite"
        )));
    }
    // In range by the clamp; `as` cannot overflow here.
    Ok((value.clamp(-1.0, 1.0) * 127.0).round() as i8)
}

/// Sets the input held from now on. `TOWER_STATUS_CLOSED` once the connection is over.
///
/// # Safety
/// `input` is NULL or points to a valid `TowerInput`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_send_input(
    handle: TowerClientHandle,
    input: *const TowerInput,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let input = unsafe { input.as_ref() }.ok_or(FfiError::Null("input"))?;
        let session = session_of(handle)?;
        if session.client.is_closed() {
            return Err(FfiError::Closed);
        }
        session.client.send_input(PlayerInput {
            move_x: axis(input.move_x, "move_x")?,
            move_y: axis(input.move_y, "move_y")?,
            attack: input.buttons & TOWER_BUTTON_ATTACK != 0,
        });
        Ok(())
    })
}

/// Seconds since the handle was made, on the library's monotonic clock: the time base of
/// `tower_client_entities`.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_time(
    handle: TowerClientHandle,
    out: *mut f64,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = session_of(handle)?.epoch.elapsed().as_secs_f64();
        Ok(())
    })
}

/// Every entity in view, interpolated (about 100 ms behind the server, extrapolated a
/// bounded amount when snapshots stop) for `render_time`: seconds on the
/// `tower_client_time` clock, normally its current value. Same length protocol as
/// `tower_floor_tiles`.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_entities(
    handle: TowerClientHandle,
    render_time: f64,
    buf: *mut TowerEntity,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let session = session_of(handle)?;
        let offset = Duration::try_from_secs_f64(render_time).map_err(|_| {
            FfiError::InvalidArgument(format!("render_time {render_time} is not a time >= 0"))
        })?;
        let at = session.epoch.checked_add(offset).ok_or_else(|| {
            FfiError::InvalidArgument(format!("render_time {render_time} is too far away"))
        })?;
        let entities: Vec<TowerEntity> = session
            .client
            .interpolated_entities(at)
            .into_iter()
            .map(|e| TowerEntity {
                id: e.id,
                x: e.x,
                y: e.y,
                health: e.health,
                kind: e.kind as u8,
                flags: e.flags.bits(),
            })
            .collect();
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&entities, buf, buf_len, out_len, "buf") }
    })
}

/// The own player's predicted position in tiles (prediction with the shared movement code,
/// reconciled with every snapshot). `TOWER_STATUS_NOT_READY` until admitted to a floor.
///
/// # Safety
/// `out_x` and `out_y` are NULL or valid for one write each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_predicted_position(
    handle: TowerClientHandle,
    out_x: *mut f32,
    out_y: *mut f32,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let (x, y) = unsafe { (out_ref(out_x, "out_x")?, out_ref(out_y, "out_y")?) };
        let Pos { x: px, y: py } =
            session_of(handle)?
                .client
                .predicted_position()
                .ok_or(FfiError::NotReady(
                    "no predicted position before admission to a floor",
                ))?;
        *x = tiles(px);
        *y = tiles(py);
        Ok(())
    })
}

/// The own entity id (from the Welcome). `TOWER_STATUS_NOT_READY` before it.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_entity_id(
    handle: TowerClientHandle,
    out: *mut u32,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = session_of(handle)?
            .client
            .entity_id()
            .ok_or(FfiError::NotReady("no player id before the Welcome"))?;
        Ok(())
    })
}

/// The roster of the current floor (after each ROSTER event), sorted by entity id. Same
/// length protocol as `tower_floor_tiles`; empty before the first ROSTER.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_roster(
    handle: TowerClientHandle,
    buf: *mut TowerRosterEntry,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let entries: Vec<TowerRosterEntry> = session_of(handle)?
            .client
            .roster()
            .iter()
            .map(|e| TowerRosterEntry::new(e.entity_id, &e.name, &e.guild))
            .collect();
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&entries, buf, buf_len, out_len, "buf") }
    })
}

/// The resume token of the last WELCOME (kept after DISCONNECTED, until the handle is
/// freed): bytes to pass as `TowerConnectOptions::resume_token` to reclaim the session.
/// Same length protocol as `tower_floor_tiles`. `TOWER_STATUS_NOT_READY` before the first
/// WELCOME.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_resume_token(
    handle: TowerClientHandle,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let token = session_of(handle)?
            .client
            .resume_token()
            .ok_or(FfiError::NotReady("no resume token before the Welcome"))?;
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&token, buf, buf_len, out_len, "buf") }
    })
}

/// A new floor handle for the floor the player is on (the one the library regenerated and
/// proved). The caller owns it: free it with `tower_floor_free`. `TOWER_STATUS_NOT_READY`
/// before the first FLOOR_ENTERED.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_floor(
    handle: TowerClientHandle,
    out: *mut TowerFloorHandle,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = TowerFloorHandle { id: 0 };
        let (_, floor) = session_of(handle)?
            .client
            .current_floor()
            .ok_or(FfiError::NotReady(
                "no floor before the first FLOOR_ENTERED",
            ))?;
        *out = issue(floor);
        Ok(())
    })
}

/// Writes 1 to `*out` once the connection is over (after DISCONNECTED), else 0.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_client_is_closed(
    handle: TowerClientHandle,
    out: *mut u8,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = u8::from(session_of(handle)?.client.is_closed());
        Ok(())
    })
}

/// Leaves the server politely; a DISCONNECTED event follows. Safe to call more than once.
/// The handle stays valid (for the remaining events) until `tower_client_free`.
#[unsafe(no_mangle)]
pub extern "C" fn tower_client_disconnect(handle: TowerClientHandle) -> TowerStatus {
    guard(|| {
        session_of(handle)?.client.disconnect();
        Ok(())
    })
}

/// Frees the handle (disconnecting first if needed) and returns at once: if the connection
/// is still open, a library thread lets the Leave message go out (up to 300 ms) and then
/// releases the connection's resources. A second free returns `TOWER_STATUS_BAD_HANDLE`
/// and does nothing else.
#[unsafe(no_mangle)]
pub extern "C" fn tower_client_free(handle: TowerClientHandle) -> TowerStatus {
    guard(|| CLIENTS.remove(handle.id).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn messages_are_truncated_on_a_char_boundary_and_terminated() {
        let long = "é".repeat(200); // 400 bytes
        let event = TowerEvent::empty(TowerEventKind::Disconnected).with_message(&long);
        let bytes: Vec<u8> = event.message.iter().map(|c| *c as u8).collect();
        let end = bytes.iter().position(|b| *b == 0).expect("NUL-terminated");
        assert_eq!(end, 254, "127 two-byte characters fit before the NUL");
        assert!(std::str::from_utf8(&bytes[..end]).is_ok());
    }

    #[test]
    fn roster_strings_are_truncated_and_terminated() {
        let long = "ü".repeat(100); // 200 bytes
        let entry = TowerRosterEntry::new(3, &long, "");
        let bytes: Vec<u8> = entry.name.iter().map(|c| *c as u8).collect();
        let end = bytes.iter().position(|b| *b == 0).expect("NUL-terminated");
        assert_eq!(end, 126, "63 two-byte characters fit before the NUL");
        assert!(std::str::from_utf8(&bytes[..end]).is_ok());
        assert_eq!(entry.guild[0], 0);
    }

    #[test]
    fn axes_are_clamped_and_non_finite_rejected() {
        assert_eq!(axis(2.0, "x").ok(), Some(127));
        assert_eq!(axis(-1.0, "x").ok(), Some(-127));
        assert_eq!(axis(0.5, "x").ok(), Some(64));
        assert!(axis(f32::NAN, "x").is_err());
        assert!(axis(f32::INFINITY, "x").is_err());
    }

    #[test]
    fn addresses_are_literals_or_host_names() {
        assert_eq!(
            parse_address("127.0.0.1:7").ok(),
            Some(ServerAddress::Ip(([127, 0, 0, 1], 7).into()))
        );
        assert!(parse_address("[::1]:4433").is_ok());
        assert!(matches!(
            parse_address("game.example.com:4433"),
            Ok(ServerAddress::Host { port: 4433, .. })
        ));
        assert!(parse_address("localhost:99999").is_err());
        assert!(parse_address("::1:4433").is_err());
    }

    #[test]
    fn credentials_need_exactly_one_kind() {
        assert!(credentials(Some("ann"), None).is_ok());
        assert!(credentials(None, Some("t")).is_ok());
        assert!(credentials(Some("ann"), Some("t")).is_err());
        assert!(credentials(None, None).is_err());
        assert!(credentials(Some(""), None).is_err());
    }

    #[test]
    fn connect_rejects_bad_options_without_a_handle() {
        let mut h = TowerClientHandle { id: 5 };
        // SAFETY: NULL options and a valid out pointer.
        let status = unsafe { tower_client_connect(ptr::null(), &mut h) };
        assert_eq!(status, TowerStatus::NullPointer);
        assert_eq!(h.id, 0);
        let options = TowerConnectOptions {
            server_address: c"127.0.0.1:4433".as_ptr(),
            cert_fingerprint: c"abcd".as_ptr(),
            dev_name: c"ann".as_ptr(),
            ticket: ptr::null(),
            resume_token: ptr::null(),
            resume_token_len: 0,
        };
        // SAFETY: valid options and out pointer.
        let status = unsafe { tower_client_connect(&options, &mut h) };
        assert_eq!(status, TowerStatus::InvalidArgument);
    }

    #[test]
    fn resume_tokens_are_length_checked_before_reading() {
        let bytes = [7u8; 16];
        // SAFETY: every pointer is valid for the length given, or the length is refused
        // before the pointer is read.
        unsafe {
            assert!(matches!(resume_token(ptr::null(), 0), Ok(None)));
            assert_eq!(
                resume_token(bytes.as_ptr(), 16).ok().flatten(),
                Some(bytes.to_vec())
            );
            assert!(matches!(
                resume_token(bytes.as_ptr(), usize::MAX),
                Err(FfiError::InvalidArgument(_))
            ));
            assert!(matches!(
                resume_token(bytes.as_ptr(), TOWER_RESUME_TOKEN_MAX_LEN + 1),
                Err(FfiError::InvalidArgument(_))
            ));
            assert!(matches!(
                resume_token(ptr::null(), 16),
                Err(FfiError::Null(_))
            ));
        }
    }
}
