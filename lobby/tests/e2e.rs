//! The proof, end to end on loopback: the real native Nakama stack, our game server with
//! Nakama backends (in-process, started by `tower_server::launch` as the binary does), and two players who
//! authenticate with device auth, form a guild, join Nakama's matchmaker over the realtime
//! socket, receive their tickets, connect over QUIC pinning the announced certificate, prove
//! the floor hash, and climb a floor while Nakama is DOWN (stopped after they entered their
//! first floor, restarted once they climbed), then leave. Nakama must then hold their saved
//! state (every queued save landed, with the right versions, or the newest would have been
//! rejected), their highest floor on the leaderboard and the guild's record; each saw the
//! other with the guild on its roster; the registry announced the server's real certificate
//! fingerprint and forgot the server once it shut down.

#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, Credentials, EntityKind, Event, PlayerInput, Pos, Trust,
};
use tower_lobby::{Lobby, MatchAssignment, NakamaStack, Session};
use tower_meta::NakamaConfig;
use tower_meta::nakama::{NakamaClient, registry};

const GUILD: &str = "E2E Climbers";

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One player: connected through Nakama, walking to the stairs up.
struct Climber {
    name: &'static str,
    client: Client,
    admitted: Vec<u32>,
    route: Vec<(u16, u16)>,
    step: usize,
    proofs_ok: bool,
    roster_guilds: Vec<(String, String)>,
    errors: Vec<String>,
}

impl Climber {
    fn connect(name: &'static str, m: &MatchAssignment) -> Climber {
        let addr: SocketAddr = format!("{}:{}", m.address, m.port).parse().unwrap();
        let pin =
            CertFingerprint::parse(&m.fingerprint).expect("the match names the certificate to pin");
        let credentials = Credentials::Ticket {
            ticket: m.ticket.clone(),
        };
        let client = Client::connect(ClientConfig::new(
            addr,
            Trust::Fingerprint(pin),
            credentials,
        ))
        .unwrap();
        Climber {
            name,
            client,
            admitted: Vec::new(),
            route: Vec::new(),
            step: 0,
            proofs_ok: true,
            roster_guilds: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn climbed(&self) -> bool {
        self.admitted.len() >= 2 && self.admitted.last() > self.admitted.first()
    }

    /// Handles events and sends this tick's input.
    fn tick(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::FloorEntered { matches, .. } => self.proofs_ok &= matches,
                Event::FloorAdmitted { floor, .. } => {
                    self.admitted.push(floor);
                    self.route.clear();
                }
                Event::Roster(change) => {
                    self.roster_guilds
                        .extend(change.entries.into_iter().map(|e| (e.name, e.guild)));
                }
                Event::Error { code, message } => self.errors.push(format!("{code:?}: {message}")),
                Event::Disconnected { .. } => self.errors.push(format!("{event:?}")),
                _ => {}
            }
        }
        let (Some((_, floor)), Some(me)) = (
            self.client.current_floor(),
            self.client.predicted_position(),
        ) else {
            return;
        };
        if self.admitted.is_empty() {
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
            let centre = Pos::tile_center(i32::from(x), i32::from(y));
            if me.dist2(centre) > 40 * 40 {
                break;
            }
            self.step += 1;
        }
        let target = self.route.get(self.step).map_or(
            Pos::tile_center(i32::from(floor.stairs_up.0), i32::from(floor.stairs_up.1)),
            |&(x, y)| Pos::tile_center(i32::from(x), i32::from(y)),
        );
        let (dx, dy) = (f64::from(target.x - me.x), f64::from(target.y - me.y));
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let monster_near = self
            .client
            .interpolated_entities(Instant::now())
            .iter()
            .any(|e| {
                e.kind == EntityKind::Monster && {
                    let (ex, ey) = (e.x - me.x as f32 / 256.0, e.y - me.y as f32 / 256.0);
                    ex * ex + ey * ey < 2.0 * 2.0
                }
            });
        self.client.send_input(PlayerInput {
            move_x: (dx / len * 127.0).round() as i8,
            move_y: (dy / len * 127.0).round() as i8,
            attack: monster_near,
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_play_through_nakama() {
    let stack = NakamaStack::start().expect("the native Nakama stack must start");
    let lobby = Lobby::new(stack.http_url(), stack.server_key()).unwrap();

    // The game server exactly as the binary starts it (`tower_server::launch`): no
    // fingerprint configured, so it must announce the one of the certificate it generates.
    let cert_dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut nakama = NakamaConfig::local_dev(stack.grpc_url(), "e2e-1", "127.0.0.1", port);
    nakama.http_key = stack.http_key().to_owned();
    nakama.ticket_key = stack.ticket_key().to_owned();
    nakama.cert_fingerprint = String::new();
    nakama.heartbeat_secs = 1;
    let config = tower_server::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        cert_dir: cert_dir.path().to_owned(),
        autosave_secs: 2,
        nakama: Some(nakama.clone()),
        ..tower_server::Config::default()
    };
    let launched = tower_server::launch(config)
        .await
        .expect("game server starts");
    let fingerprint = launched.server.fingerprint.clone();
    assert_eq!(fingerprint.len(), 64, "a SHA-256 in hex");
    let registry =
        NakamaClient::connect_lazy(&nakama.grpc_url, &nakama.http_key, nakama.request_timeout())
            .unwrap();

    // Two players: device auth, a guild created by one and joined by the other.
    let ann = lobby
        .authenticate_device("e2e-device-ann-0001", Some("ann"))
        .await
        .unwrap();
    let bob = lobby
        .authenticate_device("e2e-device-bob-0001", Some("bob"))
        .await
        .unwrap();
    let guild = ann.create_guild(GUILD, "end-to-end").await.unwrap();
    bob.join_guild(&guild.id).await.unwrap();

    // Matchmaker over the realtime socket; each gets their own ticket for our server.
    let find = |s: Session| async move {
        let mut socket = s.connect_realtime().await.unwrap();
        let m = socket.find_match(2, 2, Duration::from_secs(30)).await;
        socket.close().await.ok();
        m
    };
    let (ma, mb) = tokio::join!(find(ann.clone()), find(bob.clone()));
    let (ma, mb) = (ma.expect("ann is matched"), mb.expect("bob is matched"));
    for m in [&ma, &mb] {
        assert_eq!((m.server_id.as_str(), m.port), ("e2e-1", port));
        assert_eq!(
            m.fingerprint, fingerprint,
            "the registry announces the real certificate"
        );
    }

    // Play: connect, prove floors, climb. Bounded in time.
    let mut climbers = [Climber::connect("ann", &ma), Climber::connect("bob", &mb)];
    let play = async |climbers: &mut [Climber; 2], until: fn(&Climber) -> bool, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline && !climbers.iter().all(until) {
            for c in climbers.iter_mut() {
                c.tick();
            }
            tokio::time::sleep(Duration::from_millis(33)).await;
        }
    };
    play(&mut climbers, |c| !c.admitted.is_empty(), 30).await;
    assert!(
        climbers.iter().all(|c| !c.admitted.is_empty()),
        "both players admitted to a floor"
    );

    // Nakama goes down mid-session: play goes on, floor-change saves queue up in the server.
    stack.stop_nakama().expect("stop nakama");
    play(&mut climbers, Climber::climbed, 120).await;
    stack.start_nakama().expect("restart nakama");
    play(&mut climbers, |_| false, 2).await;
    for c in &climbers {
        assert!(c.errors.is_empty(), "{}: {:?}", c.name, c.errors);
        assert!(c.proofs_ok, "{}: floor hash proof mismatch", c.name);
        assert!(
            c.climbed(),
            "{} did not climb a floor: admitted to {:?}",
            c.name,
            c.admitted
        );
    }
    // Each saw the other on its floor, by name and with the guild Nakama knows them in.
    for (c, other) in [(&climbers[0], "bob"), (&climbers[1], "ann")] {
        assert!(
            c.roster_guilds
                .iter()
                .any(|(name, guild)| name == other && guild == GUILD),
            "{} never saw {other} in guild {GUILD:?} on the roster: {:?}",
            c.name,
            c.roster_guilds
        );
    }
    let highest: Vec<u32> = climbers
        .iter()
        .map(|c| *c.admitted.iter().max().unwrap())
        .collect();
    for c in &climbers {
        c.client.disconnect();
    }

    // Leaving saves; graceful shutdown flushes every save.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let listed = registry::list_servers(&registry).await.unwrap();
    assert!(listed.iter().any(|s| s.entry.id == "e2e-1"), "{listed:?}");
    launched.shutdown().await;
    let listed = registry::list_servers(&registry).await.unwrap();
    assert!(
        listed.iter().all(|s| s.entry.id != "e2e-1"),
        "a stopped server leaves the registry: {listed:?}"
    );

    for (session, floor) in [(&ann, highest[0]), (&bob, highest[1])] {
        let (state, _version) = session
            .saved_state()
            .await
            .unwrap()
            .expect("state saved in Nakama");
        assert_eq!(
            state["highest_floor"].as_u64(),
            Some(u64::from(floor)),
            "{}: {state}",
            session.username()
        );
    }
    let board = ann.leaderboard("tower_highest_floor", 10).await.unwrap();
    for (name, floor) in [("ann", highest[0]), ("bob", highest[1])] {
        let record = board
            .iter()
            .find(|r| r.username == name)
            .unwrap_or_else(|| panic!("{name} on {board:?}"));
        assert_eq!(record.score, u64::from(floor), "{name}");
    }
    let guilds = ann
        .leaderboard("tower_guild_highest_floor", 10)
        .await
        .unwrap();
    assert_eq!(guilds.len(), 1, "{guilds:?}");
    assert_eq!(
        (guilds[0].username.as_str(), guilds[0].score),
        (GUILD, u64::from(*highest.iter().max().unwrap()))
    );
    stack.stop().unwrap();
}
