//! A fleet on this machine, shared by `tests/fleet.rs` (the assertions) and
//! `examples/fleet_figures.rs` (the figures of docs/performance.md): the native Nakama stack,
//! game servers run as real `tower-server` processes (so SIGTERM drains and SIGKILL is a real
//! crash), each beside its own fake Agones SDK sidecar (`tower_agones::fake`), and bot
//! players driven through the matchmaker with tower-client and a cheap brain (walk the
//! shortest path to the stairs up).
//!
//! Every wait is bounded in time; every loop in count.

#![allow(dead_code, clippy::unwrap_used)]

use futures_util::future::join_all;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tower_agones::fake::{FakeConfig, FakeSdk};
use tower_agones::{CounterStatus, GameServerState, PLAYERS_COUNTER};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientPool, Credentials, DisconnectReason, Event,
    PlayerInput, Pos, Trust,
};
use tower_lobby::{Lobby, MatchAssignment, NakamaStack, Session};

/// Player slots of each server (and the capacity of its `players` Counter): room for every
/// bot on the last server standing.
pub const CAPACITY: u32 = 48;
/// The servers' autosave period: the most progress a crash may cost.
pub const AUTOSAVE_SECS: u32 = 2;
/// The servers' drain bound (`drain_grace_secs`).
pub const GRACE_SECS: u64 = 10;
/// The tower every server runs: its floor 0 has one of the shortest walks from entry to the
/// stairs up (49 tiles) among the first 3000 seeds, so bots climb within seconds.
pub const WORLD_SEED: u64 = 975;
/// A registry record older than this is not live (the stack's TOWER_SERVER_TTL_SEC).
pub const TTL_SECS: u64 = 3;
const PUMP: Duration = Duration::from_millis(30);

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `tower-server` binary of this build: `TOWER_SERVER_BIN`, else next to the test's own
/// directory (`target/<profile>/tower-server`; `cargo test --workspace` builds it, and so
/// does `cargo build -p tower-server`).
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TOWER_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let found = exe
        .ancestors()
        .skip(1)
        .take(3)
        .map(|dir| dir.join("tower-server"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "no tower-server binary near {}: run `cargo build -p tower-server` first or set TOWER_SERVER_BIN",
            exe.display()
        )
    })
}

/// One game server process and its fake Agones sidecar.
pub struct GameServer {
    pub id: String,
    pub port: u16,
    pub sdk: FakeSdk,
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub exit: Option<ExitStatus>,
}

impl GameServer {
    /// Starts the process beside a fresh fake sidecar whose GameServer reports
    /// 127.0.0.1:`port` (the server must announce that, not its configured placeholder).
    pub async fn start(stack: &NakamaStack, id: &str) -> GameServer {
        let port = free_udp_port();
        let sdk = FakeSdk::start(FakeConfig {
            name: format!("gs-{id}"),
            address: "127.0.0.1".into(),
            ports: vec![("game".into(), port)],
            ..FakeConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\nmetrics_listen = \"127.0.0.1:0\"\ncert_dir = {cert:?}\n\
             world_seed = {WORLD_SEED}\nmax_players = {CAPACITY}\nautosave_secs = {AUTOSAVE_SECS}\n\
             drain_grace_secs = {GRACE_SECS}\nempty_drain_secs = 0\n\n[nakama]\n\
             grpc_url = {grpc:?}\nhttp_key = {http:?}\nticket_key = {ticket:?}\n\
             server_id = {id:?}\npublic_host = \"192.0.2.1\"\npublic_port = 9\n\
             capacity = {CAPACITY}\nheartbeat_secs = 1\n",
            cert = dir.path().join("cert").display().to_string(),
            grpc = stack.grpc_url(),
            http = stack.http_key(),
            ticket = stack.ticket_key(),
        );
        let path = dir.path().join("server.toml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(server_binary())
            .arg("--config")
            .arg(&path)
            .env("AGONES_SDK_HTTP_PORT", sdk.port().to_string())
            .env("RUST_LOG", "info")
            .env_remove("TOWER_CONFIG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = GameServer {
            id: id.to_owned(),
            port,
            sdk,
            child: Some(child),
            dir,
            exit: None,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.sdk.state() != GameServerState::Ready {
            assert!(
                Instant::now() < deadline && server.try_exit().is_none(),
                "{id} never became Ready:\n{}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn players_counter(&self) -> CounterStatus {
        self.sdk.counter(PLAYERS_COUNTER).unwrap()
    }

    fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none()
            && let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            self.exit = Some(status);
        }
        self.exit
    }

    /// SIGTERM: what Kubernetes sends when it deletes the pod; the server drains.
    pub fn sigterm(&self) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
    }

    /// SIGKILL: a crash. Nothing is drained, nothing deregistered.
    pub fn kill9(&mut self) {
        let child = self.child.as_mut().unwrap();
        child.kill().unwrap();
        self.exit = Some(child.wait().unwrap());
    }

    /// Waits (bounded) for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for GameServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take()
            && self.exit.is_none()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One stay of a bot on one server.
#[derive(Clone, Debug)]
pub struct Stint {
    pub server: String,
    pub queued_at: Instant,
    pub first_snapshot: Option<Instant>,
    /// Floors the server admitted the bot to, with when.
    pub floors: Vec<(Instant, u32)>,
    pub ended: Option<(Instant, DisconnectReason, String)>,
}

impl Stint {
    pub fn last_floor(&self) -> Option<u32> {
        self.floors.last().map(|&(_, f)| f)
    }

    /// The floor the bot was on at `at` (`None`: not admitted yet then).
    pub fn floor_at(&self, at: Instant) -> Option<u32> {
        self.floors
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map(|&(_, f)| f)
    }
}

/// A bot player: a Nakama account and, while placed, a game connection.
pub struct Bot {
    pub session: Session,
    client: Option<Client>,
    pub stints: Vec<Stint>,
    route: Vec<(u16, u16)>,
    step: usize,
    /// Where the bot was at the last progress check, and when; a bot that has not moved
    /// for a while sidesteps (crowds of bots on one corridor jam).
    anchor: Option<(Instant, Pos)>,
    sidestep_until: Option<(Instant, i8, i8)>,
}

impl Bot {
    pub fn stint(&self) -> Option<&Stint> {
        self.stints.last()
    }

    pub fn server(&self) -> Option<&str> {
        self.stints.last().map(|s| s.server.as_str())
    }

    pub fn connected(&self) -> bool {
        self.client.is_some()
    }

    /// Placed, snapshots flowing and admitted to a floor.
    pub fn playing(&self) -> bool {
        self.connected()
            && self
                .stint()
                .is_some_and(|s| s.first_snapshot.is_some() && !s.floors.is_empty())
    }

    fn connect(&mut self, pool: &ClientPool, m: &MatchAssignment, queued_at: Instant) {
        let addr: SocketAddr = format!("{}:{}", m.address, m.port).parse().unwrap();
        let pin = CertFingerprint::parse(&m.fingerprint).unwrap();
        let credentials = Credentials::Ticket {
            ticket: m.ticket.clone(),
        };
        let client = pool
            .connect(ClientConfig::new(
                addr,
                Trust::Fingerprint(pin),
                credentials,
            ))
            .unwrap();
        self.client = Some(client);
        self.route.clear();
        self.stints.push(Stint {
            server: m.server_id.clone(),
            queued_at,
            first_snapshot: None,
            floors: Vec::new(),
            ended: None,
        });
    }

    /// Handles events and sends this tick's input.
    fn tick(&mut self) {
        let Some(client) = &self.client else { return };
        let Some(stint) = self.stints.last_mut() else {
            return;
        };
        let now = Instant::now();
        while let Some(event) = client.poll_event() {
            match event {
                Event::FloorAdmitted { floor, .. } => {
                    stint.floors.push((now, floor));
                    self.route.clear();
                }
                Event::Disconnected { reason, message } => {
                    stint.ended = Some((now, reason, message));
                }
                _ => {}
            }
        }
        if stint.ended.is_some() {
            self.client = None;
            return;
        }
        if stint.first_snapshot.is_none() && client.stats().snapshots > 0 {
            stint.first_snapshot = Some(now);
        }
        let (Some((_, floor)), Some(me)) = (client.current_floor(), client.predicted_position())
        else {
            return;
        };
        if stint.floors.is_empty() {
            return;
        }
        let (tx, ty) = me.tile();
        let here = (
            tx.clamp(0, i32::from(u16::MAX)) as u16,
            ty.clamp(0, i32::from(u16::MAX)) as u16,
        );
        if self.route.is_empty() || self.step >= self.route.len() {
            self.route = floor
                .shortest_path(here, floor.stairs_up)
                .unwrap_or_default();
            self.step = 0;
        }
        while let Some(&(x, y)) = self.route.get(self.step) {
            if me.dist2(Pos::tile_center(i32::from(x), i32::from(y))) > 40 * 40 {
                break;
            }
            self.step += 1;
        }
        let (x, y) = self
            .route
            .get(self.step)
            .copied()
            .unwrap_or(floor.stairs_up);
        let target = Pos::tile_center(i32::from(x), i32::from(y));
        let (dx, dy) = (f64::from(target.x - me.x), f64::from(target.y - me.y));
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (mut mx, mut my) = (
            (dx / len * 127.0).round() as i8,
            (dy / len * 127.0).round() as i8,
        );
        match self.anchor {
            Some((since, at)) if now - since >= Duration::from_millis(800) => {
                if at.dist2(me) < 64 * 64 {
                    // Stuck: sidestep across the way for a moment, then recompute the route.
                    let flip = if (now - since).as_millis().is_multiple_of(2) {
                        1
                    } else {
                        -1
                    };
                    self.sidestep_until =
                        Some((now + Duration::from_millis(300), -my * flip, mx * flip));
                    self.route.clear();
                }
                self.anchor = Some((now, me));
            }
            None => self.anchor = Some((now, me)),
            _ => {}
        }
        if let Some((until, sx, sy)) = self.sidestep_until {
            if now < until {
                (mx, my) = (sx, sy);
            } else {
                self.sidestep_until = None;
            }
        }
        client.send_input(PlayerInput {
            move_x: mx,
            move_y: my,
            attack: true,
        });
    }
}

/// The stack, the servers and the bots.
pub struct Fleet {
    pub stack: NakamaStack,
    pub servers: Vec<GameServer>,
    pub bots: Vec<Bot>,
    pool: ClientPool,
}

impl Fleet {
    /// The native stack (least-loaded placement, short registry TTL) and `servers` game
    /// servers, each Ready beside its fake sidecar; `bots` accounts, not placed yet.
    pub async fn start(servers: usize, bots: usize) -> Fleet {
        let ttl = TTL_SECS.to_string();
        let stack = NakamaStack::start_with_env(&[
            ("TOWER_SERVER_TTL_SEC", ttl.as_str()),
            ("TOWER_PLACEMENT", "least_loaded"),
        ])
        .expect("the native Nakama stack must start (scripts/install.d/50-nakama.sh)");
        let mut list = Vec::new();
        for i in 0..servers {
            list.push(GameServer::start(&stack, &format!("fleet-{i}")).await);
        }
        let lobby = Lobby::new(stack.http_url(), stack.server_key()).unwrap();
        let sessions = join_all((0..bots).map(|i| {
            let lobby = lobby.clone();
            async move {
                lobby
                    .authenticate_device(
                        &format!("fleet-bot-device-{i:04}"),
                        Some(&format!("bot{i}")),
                    )
                    .await
                    .unwrap()
            }
        }))
        .await;
        let bots = sessions
            .into_iter()
            .map(|session| Bot {
                session,
                client: None,
                stints: Vec::new(),
                route: Vec::new(),
                step: 0,
                anchor: None,
                sidestep_until: None,
            })
            .collect();
        Fleet {
            stack,
            servers: list,
            bots,
            pool: ClientPool::new(2).unwrap(),
        }
    }

    pub fn server(&self, id: &str) -> &GameServer {
        self.servers.iter().find(|s| s.id == id).unwrap()
    }

    /// The bots `which` queue in the matchmaker in pairs (Nakama forms no match under 2),
    /// and each connects to the server its ticket names. Panics when one is not matched
    /// within `timeout`.
    pub async fn place(&mut self, which: &[usize], timeout: Duration) {
        let queued_at = Instant::now();
        let sessions: Vec<Session> = which
            .iter()
            .map(|&i| self.bots[i].session.clone())
            .collect();
        let found = join_all(sessions.into_iter().map(|s| async move {
            let mut socket = s.connect_realtime().await?;
            let m = socket.find_match(2, 2, timeout).await;
            socket.close().await.ok();
            m
        }))
        .await;
        for (&i, m) in which.iter().zip(found) {
            let m = m.unwrap_or_else(|e| panic!("bot{i} not matched: {e}"));
            self.bots[i].connect(&self.pool, &m, queued_at);
        }
    }

    /// Drives every bot for `d`.
    pub async fn run_for(&mut self, d: Duration) {
        self.run_until(|_| false, d).await;
    }

    /// Drives every bot until `done` holds (true) or `timeout` passes (false).
    pub async fn run_until(&mut self, done: impl Fn(&Fleet) -> bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            for bot in &mut self.bots {
                bot.tick();
            }
            if done(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(PUMP).await;
        }
    }

    /// Indices of the bots whose current stint is on `server`.
    pub fn on(&self, server: &str) -> Vec<usize> {
        (0..self.bots.len())
            .filter(|&i| self.bots[i].server() == Some(server))
            .collect()
    }

    /// Waits (bounded) until every server's `players` Counter equals the bots connected to
    /// it; returns the mismatches left, as (id, counter, bots).
    pub async fn counters_settle(&mut self, timeout: Duration) -> Vec<(String, i64, usize)> {
        let mut left = Vec::new();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            self.run_for(Duration::from_millis(100)).await;
            left = self
                .servers
                .iter()
                .filter(|s| s.exit.is_none())
                .map(|s| {
                    let bots = self
                        .on(&s.id)
                        .into_iter()
                        .filter(|&i| self.bots[i].connected())
                        .count();
                    (s.id.clone(), s.players_counter().count, bots)
                })
                .filter(|(_, c, b)| usize::try_from(*c).ok() != Some(*b))
                .collect();
            if left.is_empty() {
                break;
            }
        }
        left
    }

    /// The saved state Nakama holds for bot `i`: (current_floor, highest_floor).
    pub async fn saved_floors(&self, i: usize) -> Option<(u64, u64)> {
        let (state, _) = self.bots[i].session.saved_state().await.ok()??;
        Some((
            state["current_floor"].as_u64()?,
            state["highest_floor"].as_u64()?,
        ))
    }

    /// The registry as Nakama holds it (`tower_server_list`), for failure messages.
    pub async fn registry(&self) -> String {
        let url = format!(
            "{}/v2/rpc/tower_server_list?http_key={}&unwrap",
            self.stack.http_url(),
            self.stack.http_key()
        );
        let answer = reqwest::Client::new()
            .post(url)
            .timeout(Duration::from_secs(5))
            .body("{}")
            .send()
            .await;
        match answer {
            Ok(a) => a.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        }
    }

    pub async fn stop(mut self) {
        for bot in &mut self.bots {
            if let Some(c) = bot.client.take() {
                c.disconnect();
            }
        }
        self.servers.clear();
        self.stack.stop().unwrap();
    }
}

/// `p`-th percentile (0..=100) of `samples` (nearest rank); `None` when empty.
pub fn percentile(samples: &[Duration], p: u32) -> Option<Duration> {
    let mut v = samples.to_vec();
    v.sort();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::try_from(p).unwrap() * n).div_ceil(100).clamp(1, n);
    Some(v[rank - 1])
}

/// What one run of [`scenario`] measured.
#[derive(Debug)]
pub struct Figures {
    pub servers: usize,
    pub bots: usize,
    /// Matchmaker entry to first snapshot, every placement of the first round.
    pub first_snapshot: Vec<Duration>,
    /// Bots per server after the first placement.
    pub spread: Vec<(String, usize)>,
    /// Floors climbed by every bot before the drain (the progress a drain must keep).
    pub floors_climbed: u64,
    pub drained_players: usize,
    /// SIGTERM to the drained server's process exit.
    pub drain_exit: Duration,
    /// SIGTERM to the last drained player playing (admitted) on another server.
    pub drain_to_last_playing: Duration,
    pub crash_players: usize,
    pub crash_moved: usize,
    /// Floors behind the last one a crashed-out player had reached, summed and worst.
    pub crash_floors_lost: u64,
    pub crash_worst_floors_lost: u64,
    /// SIGKILL to every crashed-out player seeing its typed disconnect.
    pub crash_detected: Duration,
    /// SIGKILL to the last crashed-out player playing elsewhere.
    pub crash_to_last_playing: Duration,
}

const PLACE_TIMEOUT: Duration = Duration::from_secs(20);

/// The whole story, with its assertions: place `bots` bots on three servers (least-loaded),
/// drain one with SIGTERM (its players land elsewhere with exactly their saved state), then
/// SIGKILL another (its players land on the last one, losing at most what one autosave
/// interval held), asserting the Agones states and Counters at each step.
pub async fn scenario(bots: usize) -> Figures {
    assert!(bots.is_multiple_of(2), "bots are matched in pairs");
    let mut fleet = Fleet::start(3, bots).await;
    for s in &fleet.servers {
        assert_eq!(s.sdk.state(), GameServerState::Ready, "{}", s.id);
        assert_eq!(
            s.players_counter(),
            CounterStatus {
                count: 0,
                capacity: i64::from(CAPACITY)
            },
            "{}: the server sizes its Counter at start",
            s.id
        );
    }

    // 1. Everyone through the matchmaker.
    let all: Vec<usize> = (0..bots).collect();
    let before = fleet.registry().await;
    fleet.place(&all, PLACE_TIMEOUT).await;
    let playing = fleet
        .run_until(|f| f.bots.iter().all(Bot::playing), Duration::from_secs(30))
        .await;
    assert!(playing, "every bot playing: {}", describe(&fleet));
    let first_snapshot: Vec<Duration> = fleet
        .bots
        .iter()
        .filter_map(|b| {
            let s = b.stint()?;
            Some(s.first_snapshot? - s.queued_at)
        })
        .collect();
    let spread: Vec<(String, usize)> = fleet
        .servers
        .iter()
        .map(|s| (s.id.clone(), fleet.on(&s.id).len()))
        .collect();
    // Least-loaded: every server gets a fair share (pairs and heartbeat lag allow slack).
    let fair = bots / 3;
    for (id, n) in &spread {
        assert!(
            n + 4 >= fair && *n <= fair + 4,
            "least-loaded spread {spread:?}: {id} has {n}; registry before {before}, after {}\n{}",
            fleet.registry().await,
            describe(&fleet)
        );
    }
    let left = fleet.counters_settle(Duration::from_secs(5)).await;
    assert!(
        left.is_empty(),
        "Counter = players on each server: {left:?}"
    );
    for s in &fleet.servers {
        assert_eq!(s.sdk.state(), GameServerState::Allocated, "{}", s.id);
        assert_eq!(
            s.sdk.history().last_chunk::<2>(),
            Some(&[GameServerState::Ready, GameServerState::Allocated]),
            "{}",
            s.id
        );
    }
    // Progress to keep: every bot climbs a floor (the climb itself is saved).
    let climbed = fleet
        .run_until(
            |f| {
                f.bots.iter().all(|b| {
                    b.stint().is_some_and(|s| {
                        s.floors.len() >= 2 && s.last_floor() > Some(s.floors[0].1)
                    })
                })
            },
            Duration::from_secs(40),
        )
        .await;
    assert!(climbed, "every bot climbs a floor: {}", describe(&fleet));
    let floors_climbed: u64 = fleet
        .bots
        .iter()
        .filter_map(|b| {
            let s = b.stint()?;
            Some(u64::from(
                s.last_floor()?.saturating_sub(s.floors.first()?.1),
            ))
        })
        .sum();
    // 2. Drain fleet-0: SIGTERM, as Kubernetes sends it.
    let drained_id = fleet.servers[0].id.clone();
    let drained = fleet.on(&drained_id);
    let t_drain = Instant::now();
    fleet.servers[0].sigterm();
    let told = fleet
        .run_until(
            |f| drained.iter().all(|&i| !f.bots[i].connected()),
            Duration::from_secs(GRACE_SECS),
        )
        .await;
    assert!(told, "every player of the drained server told");
    for &i in &drained {
        let (_, reason, message) = fleet.bots[i].stint().unwrap().ended.clone().unwrap();
        assert_eq!(
            reason,
            DisconnectReason::ServerShutdown,
            "bot{i}: {message}"
        );
    }
    let status = fleet.servers[0]
        .wait_exit(Duration::from_secs(GRACE_SECS))
        .await
        .expect("the drained server exits within its grace period");
    let drain_exit = t_drain.elapsed();
    assert!(status.success(), "drain exits 0: {status}");
    let log = fleet.servers[0].log();
    for phase in [
        "refusing",
        "deregistered",
        "saved",
        "agones_shutdown",
        "done",
    ] {
        assert!(
            log.lines().any(
                |l| l.contains("drain") && l.contains(&format!("phase=\"{phase}\""))
                    || l.contains(&format!("phase={phase}"))
            ),
            "drain phase {phase} logged:\n{}",
            fleet.servers[0].log_tail()
        );
    }
    {
        let s = &fleet.servers[0];
        assert_eq!(s.sdk.state(), GameServerState::Shutdown);
        let h = s.sdk.history();
        let at = |st: GameServerState| h.iter().position(|x| *x == st).unwrap();
        assert!(
            at(GameServerState::Ready) < at(GameServerState::Allocated)
                && at(GameServerState::Allocated) < at(GameServerState::Shutdown),
            "Ready → Allocated → Shutdown: {h:?}"
        );
    }
    // Nothing lost: what Nakama holds is where each player was, and where it lands.
    let mut saved = Vec::new();
    for &i in &drained {
        let last = fleet.bots[i].stint().unwrap().last_floor().unwrap();
        let (current, highest) = fleet.saved_floors(i).await.expect("state saved");
        assert_eq!(current, u64::from(last), "bot{i}: saved floor = last floor");
        assert!(highest >= current);
        saved.push(current);
    }
    fleet.place(&drained, PLACE_TIMEOUT).await;
    let moved = fleet
        .run_until(
            |f| drained.iter().all(|&i| f.bots[i].playing()),
            Duration::from_secs(20),
        )
        .await;
    assert!(
        moved,
        "drained players playing elsewhere: {}",
        describe(&fleet)
    );
    let drain_to_last_playing = drained
        .iter()
        .map(|&i| fleet.bots[i].stint().unwrap().floors[0].0 - t_drain)
        .max()
        .unwrap_or_default();
    for (&i, want) in drained.iter().zip(&saved) {
        let stint = fleet.bots[i].stint().unwrap();
        assert_ne!(
            stint.server, drained_id,
            "bot{i} placed on the drained server"
        );
        assert_eq!(
            u64::from(stint.floors[0].1),
            *want,
            "bot{i} continues from its saved floor"
        );
    }
    let left = fleet.counters_settle(Duration::from_secs(5)).await;
    assert!(left.is_empty(), "Counters after the drain: {left:?}");
    fleet.run_for(Duration::from_secs(3)).await;

    // 3. Crash fleet-1: SIGKILL, nothing drained, nothing deregistered.
    let crashed_id = fleet.servers[1].id.clone();
    let crashed = fleet.on(&crashed_id);
    let pings = fleet.servers[1].sdk.health_pings();
    assert!(pings > 0, "health pings while running");
    let t_kill = Instant::now();
    fleet.servers[1].kill9();
    let seen = fleet
        .run_until(
            |f| crashed.iter().all(|&i| !f.bots[i].connected()),
            Duration::from_secs(30),
        )
        .await;
    assert!(seen, "every player of the crashed server sees it");
    let crash_detected = t_kill.elapsed();
    for &i in &crashed {
        let (_, reason, message) = fleet.bots[i].stint().unwrap().ended.clone().unwrap();
        assert_eq!(
            reason,
            DisconnectReason::ConnectionLost,
            "bot{i}: {message}"
        );
    }
    {
        let s = &fleet.servers[1];
        assert_eq!(s.sdk.health_pings(), pings, "no health after the crash");
        assert_eq!(
            s.sdk.state(),
            GameServerState::Allocated,
            "no Shutdown from a crash (Agones marks it Unhealthy)"
        );
    }
    let (mut lost_total, mut lost_worst) = (0u64, 0u64);
    let mut saved = Vec::new();
    let autosave = Duration::from_secs(u64::from(AUTOSAVE_SECS));
    for &i in &crashed {
        let stint = fleet.bots[i].stint().unwrap().clone();
        let last = u64::from(stint.last_floor().unwrap());
        let (current, _) = fleet.saved_floors(i).await.expect("state saved");
        // Loss ≤ one autosave: the saved floor is at least the one held an autosave period
        // (and a second of slack for the save's round trip) before the kill.
        let bound = stint
            .floor_at(t_kill - autosave - Duration::from_secs(1))
            .or_else(|| stint.floors.first().map(|&(_, f)| f))
            .unwrap();
        assert!(
            current >= u64::from(bound),
            "bot{i}: saved floor {current} older than one autosave ({bound}); floors {:?}",
            stint.floors.iter().map(|f| f.1).collect::<Vec<_>>()
        );
        let lost = last.saturating_sub(current);
        lost_total += lost;
        lost_worst = lost_worst.max(lost);
        saved.push(current);
    }
    fleet.place(&crashed, PLACE_TIMEOUT).await;
    let moved = fleet
        .run_until(
            |f| crashed.iter().all(|&i| f.bots[i].playing()),
            Duration::from_secs(20),
        )
        .await;
    assert!(
        moved,
        "crashed-out players playing elsewhere: {}",
        describe(&fleet)
    );
    let crash_to_last_playing = crashed
        .iter()
        .map(|&i| fleet.bots[i].stint().unwrap().floors[0].0 - t_kill)
        .max()
        .unwrap_or_default();
    let survivor = fleet.servers[2].id.clone();
    let mut crash_moved = 0;
    for (&i, want) in crashed.iter().zip(&saved) {
        let stint = fleet.bots[i].stint().unwrap();
        assert_eq!(stint.server, survivor, "bot{i}: only the survivor is live");
        assert_eq!(u64::from(stint.floors[0].1), *want, "bot{i}: from its save");
        crash_moved += 1;
    }
    let left = fleet.counters_settle(Duration::from_secs(5)).await;
    assert!(left.is_empty(), "Counters after the crash: {left:?}");
    assert_eq!(
        fleet.server(&survivor).players_counter().count,
        i64::try_from(bots).unwrap(),
        "everyone on the survivor"
    );

    // 4. The survivor drains too (and the test leaves nothing running).
    fleet.servers[2].sigterm();
    let status = fleet.servers[2]
        .wait_exit(Duration::from_secs(GRACE_SECS + 5))
        .await
        .expect("the last server exits");
    assert!(status.success());
    assert_eq!(fleet.servers[2].sdk.state(), GameServerState::Shutdown);
    let figures = Figures {
        servers: 3,
        bots,
        first_snapshot,
        spread,
        floors_climbed,
        drained_players: drained.len(),
        drain_exit,
        drain_to_last_playing,
        crash_players: crashed.len(),
        crash_moved,
        crash_floors_lost: lost_total,
        crash_worst_floors_lost: lost_worst,
        crash_detected,
        crash_to_last_playing,
    };
    fleet.stop().await;
    figures
}

/// Where every bot is, for failure messages.
fn describe(fleet: &Fleet) -> String {
    let mut out = String::new();
    for (i, b) in fleet.bots.iter().enumerate() {
        if !b.playing() {
            out.push_str(&format!(
                "\n bot{i}: server {:?} connected {} stint {:?}",
                b.server(),
                b.connected(),
                b.stint()
            ));
        }
    }
    for s in &fleet.servers {
        out.push_str(&format!("\n--- {} log tail:\n{}", s.id, s.log_tail()));
    }
    let nakama = std::fs::read_to_string(fleet.stack.dir().join("nakama.log")).unwrap_or_default();
    out.push_str("\n--- nakama (tower):\n");
    for line in nakama.lines().filter(|l| l.contains("tower")).take(80) {
        out.push_str(line);
        out.push('\n');
    }
    out
}
