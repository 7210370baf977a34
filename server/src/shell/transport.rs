//! The QUIC endpoint, driven by one task. quinn-proto's `Endpoint` and every client's
//! `Connection` live here with no task, waker, lock or timer of their own (quinn gives
//! each connection all four): one loop reads the socket in batches (`recvmmsg`, GRO),
//! routes each datagram to its connection, takes the tick loop's messages for every
//! connection at once, fires the timers that are due from one ordered set, and then drives
//! only the connections something happened to, queueing their packets to send together.
//! The per-connection protocol is [`super::link`]; logins run off the loop
//! ([`super::auth`]).

use crate::connection::{AuthResult, ConnLimits, Outgoing, ServerConn};
use crate::core::ConnId;
use crate::shell::admission::{self, Admission};
use crate::shell::link::{Ctx, Link};
use crate::shell::{Shared, auth};
use bytes::BytesMut;
use quinn_proto::{
    ConnectionHandle, DatagramEvent, EcnCodepoint, Endpoint, EndpointConfig, EndpointEvent,
    Incoming, ServerConfig,
};
use quinn_udp::{RecvMeta, UdpSocketState};
use std::collections::{BTreeSet, HashMap};
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, warn};

/// One tick's messages for every connection, in the order the core produced them.
pub(crate) type Batch = Vec<(ConnId, Outgoing)>;

/// Ticks of messages queued from the tick loop to the transport (about two seconds):
/// beyond that the loop keeps control messages for later and drops snapshots.
pub(crate) const BATCH_QUEUE: usize = 64;

/// UDP socket buffers of the server's endpoint. One socket carries every player's datagrams
/// (~30 000 a second at 1,000 players); the kernel's default receive buffer (~200 KB, a few
/// hundred small datagrams) overflows during a stall of a few milliseconds, and each loss
/// costs a QUIC retransmission and a congestion-window cut. The kernel clamps the request
/// to `net.core.rmem_max` / `wmem_max`.
const SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// `recvmmsg` calls per wake before the loop drives what they brought.
const RECV_ROUNDS: usize = 8;

/// Datagrams per transmit with segmentation offload (as quinn caps it).
const MAX_GSO_SEGMENTS: usize = 10;

/// One receive slot: the largest UDP payload, or several coalesced by GRO.
const RECV_SLOT: usize = 64 * 1024;

/// The server's UDP socket on `addr` with `SOCKET_BUFFER_BYTES` buffers (a smaller buffer
/// than asked for is only logged: the server still works).
pub(crate) fn bind(addr: SocketAddr) -> io::Result<(UdpSocket, UdpSocketState)> {
    let socket = std::net::UdpSocket::bind(addr)?;
    let state = UdpSocketState::new((&socket).into())?;
    for (what, result) in [
        (
            "receive",
            state.set_recv_buffer_size((&socket).into(), SOCKET_BUFFER_BYTES),
        ),
        (
            "send",
            state.set_send_buffer_size((&socket).into(), SOCKET_BUFFER_BYTES),
        ),
    ] {
        if let Err(e) = result {
            warn!("cannot set the UDP {what} buffer: {e}");
        }
    }
    socket.set_nonblocking(true)?;
    Ok((UdpSocket::from_std(socket)?, state))
}

pub(crate) struct Transport {
    socket: UdpSocket,
    udp: UdpSocketState,
    endpoint: Endpoint,
    links: HashMap<ConnectionHandle, Link>,
    by_id: HashMap<ConnId, ConnectionHandle>,
    /// Every link's next deadline, earliest first.
    timers: BTreeSet<(Instant, ConnectionHandle)>,
    /// Links to drive before the loop sleeps again.
    dirty: Vec<ConnectionHandle>,
    outbox: Outbox,
    /// quinn-proto writes one transmit here at a time.
    scratch: Vec<u8>,
    recv_buf: Vec<u8>,
    max_gso: usize,
    shared: Arc<Shared>,
    logins: mpsc::UnboundedSender<auth::Done>,
    logins_done: mpsc::UnboundedReceiver<auth::Done>,
    stopping: bool,
}

impl Transport {
    pub(crate) fn new(
        (socket, udp): (UdpSocket, UdpSocketState),
        server_config: ServerConfig,
        shared: Arc<Shared>,
    ) -> Transport {
        let endpoint = Endpoint::new(
            Arc::new(EndpointConfig::default()),
            Some(Arc::new(server_config)),
            !udp.may_fragment(),
            None,
        );
        let (logins, logins_done) = mpsc::unbounded_channel();
        let max_gso = udp.max_gso_segments().clamp(1, MAX_GSO_SEGMENTS);
        Transport {
            socket,
            endpoint,
            links: HashMap::new(),
            by_id: HashMap::new(),
            timers: BTreeSet::new(),
            dirty: Vec::new(),
            outbox: Outbox::default(),
            scratch: Vec::with_capacity(1500),
            recv_buf: vec![0; quinn_udp::BATCH_SIZE * RECV_SLOT],
            max_gso,
            udp,
            shared,
            logins,
            logins_done,
            stopping: false,
        }
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Runs until `stop` fires (or its sender is dropped) and every connection has closed.
    pub(crate) async fn run(
        mut self,
        mut batches: mpsc::Receiver<Batch>,
        mut stop: oneshot::Receiver<()>,
    ) {
        loop {
            let wake = self.timers.first().map(|(t, _)| *t);
            // Biased: the tick's messages and logins are few and never starve the socket,
            // which stays ready under load.
            tokio::select! {
                biased;
                _ = &mut stop, if !self.stopping => self.stop(Instant::now()),
                Some(batch) = batches.recv() => {
                    self.deliver(batch);
                    while let Ok(batch) = batches.try_recv() {
                        self.deliver(batch);
                    }
                }
                Some(done) = self.logins_done.recv() => self.logged_in(done),
                ready = self.socket.readable() => match ready {
                    Ok(()) => self.receive(Instant::now()),
                    Err(e) => warn!("UDP socket: {e}"),
                },
                () = sleep_until(wake) => {}
            }
            let now = Instant::now();
            self.expire(now);
            self.drive_dirty(now);
            self.outbox.send(&self.socket, &self.udp).await;
            if self.stopping && self.links.is_empty() {
                return;
            }
        }
    }

    /// Closes every connection and refuses new ones; the loop ends once they are drained.
    fn stop(&mut self, now: Instant) {
        self.stopping = true;
        let cx = Ctx {
            shared: &self.shared,
            logins: &self.logins,
            now,
        };
        // Connections already ending finish as they were (their last frames, the linger).
        for (ch, link) in self.links.iter_mut().filter(|(_, l)| l.is_open()) {
            link.shut_down(&cx);
            mark(&mut self.dirty, *ch, link);
        }
    }

    fn deliver(&mut self, batch: Batch) {
        let mut panicked = Vec::new();
        for (id, msg) in batch {
            let Some(&ch) = self.by_id.get(&id) else {
                continue; // gone since the tick
            };
            let Some(link) = self.links.get_mut(&ch) else {
                continue;
            };
            let max = link.conn.datagrams().max_size();
            // Encoding runs on what the core made of the peer's input: a panic costs only
            // this connection (see `drive`).
            if catch_unwind(AssertUnwindSafe(|| link.machine.handle_outgoing(msg, max))).is_err() {
                panicked.push(ch);
                continue;
            }
            mark(&mut self.dirty, ch, link);
        }
        for ch in panicked {
            self.evict(ch);
        }
    }

    fn logged_in(&mut self, (id, result): (ConnId, Option<AuthResult>)) {
        let Some(&ch) = self.by_id.get(&id) else {
            return;
        };
        if let Some(link) = self.links.get_mut(&ch) {
            link.machine.handle_auth_result(result, rand::random());
            mark(&mut self.dirty, ch, link);
        }
    }

    /// Reads what the socket holds (bounded per wake) and routes every datagram.
    fn receive(&mut self, now: Instant) {
        let mut buf = std::mem::take(&mut self.recv_buf);
        let mut metas = [RecvMeta::default(); quinn_udp::BATCH_SIZE];
        for _ in 0..RECV_ROUNDS {
            let mut slots: Vec<IoSliceMut> =
                buf.chunks_mut(RECV_SLOT).map(IoSliceMut::new).collect();
            let read = self.socket.try_io(Interest::READABLE, || {
                self.udp.recv((&self.socket).into(), &mut slots, &mut metas)
            });
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    if e.kind() != io::ErrorKind::WouldBlock {
                        debug!("UDP receive: {e}");
                    }
                    break;
                }
            };
            for (meta, slot) in metas.iter().zip(buf.chunks(RECV_SLOT)).take(n) {
                for datagram in slot[..meta.len].chunks(meta.stride.max(1)) {
                    self.route(now, meta, datagram);
                }
            }
        }
        self.recv_buf = buf;
    }

    /// One datagram to its connection, or a new connection, or the endpoint's answer.
    fn route(&mut self, now: Instant, meta: &RecvMeta, datagram: &[u8]) {
        self.scratch.clear();
        let event = self.endpoint.handle(
            now,
            meta.addr,
            meta.dst_ip,
            meta.ecn.map(proto_ecn),
            BytesMut::from(datagram),
            &mut self.scratch,
        );
        match event {
            Some(DatagramEvent::ConnectionEvent(ch, event)) => {
                if let Some(link) = self.links.get_mut(&ch) {
                    link.conn.handle_event(event);
                    mark(&mut self.dirty, ch, link);
                }
            }
            Some(DatagramEvent::NewConnection(incoming)) => self.admit(now, incoming),
            Some(DatagramEvent::Response(t)) => self.outbox.push(t, &self.scratch),
            None => {}
        }
    }

    /// Accepts a connection attempt within the pre-login bounds (`admission::admit`): the
    /// rest are refused or, under pressure, asked to prove their address first (QUIC Retry).
    fn admit(&mut self, now: Instant, incoming: Incoming) {
        let shared = &self.shared;
        let ip = incoming.remote_address().ip();
        let counts = shared.prelogin.counts(ip);
        let limits = shared.config.prelogin_limits();
        // An attempt that already carries a Retry token cannot be retried again.
        let validated = incoming.remote_address_validated() || !incoming.may_retry();
        self.scratch.clear();
        if self.stopping {
            let t = self.endpoint.refuse(incoming, &mut self.scratch);
            return self.outbox.push(t, &self.scratch);
        }
        match admission::admit(counts, validated, &limits) {
            Admission::Accept => match self.endpoint.accept(incoming, now, &mut self.scratch, None)
            {
                Ok((ch, conn)) => {
                    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
                    let mut conn_limits = ConnLimits::from_config(&shared.config);
                    conn_limits.handshake_timeout = admission::handshake_timeout(
                        counts.total,
                        conn_limits.handshake_timeout,
                        &limits,
                    );
                    let machine = ServerConn::new(id, conn_limits, now, rand::random());
                    let mut link = Link::new(
                        id,
                        conn,
                        machine,
                        shared.prelogin.enter(ip),
                        shared.config.control_write_timeout(),
                    );
                    mark(&mut self.dirty, ch, &mut link);
                    self.links.insert(ch, link);
                    self.by_id.insert(id, ch);
                }
                Err(e) => {
                    debug!(%ip, "QUIC handshake refused: {}", e.cause);
                    if let Some(t) = e.response {
                        self.outbox.push(t, &self.scratch);
                    }
                }
            },
            Admission::Retry => {
                shared.metrics.quic_retries.inc();
                match self.endpoint.retry(incoming, &mut self.scratch) {
                    Ok(t) => self.outbox.push(t, &self.scratch),
                    // Cannot happen after `may_retry`; drop the attempt silently if it does.
                    Err(e) => self.endpoint.ignore(e.into_incoming()),
                }
            }
            Admission::Refuse(reason) => {
                shared.metrics.prelogin_refused(reason);
                debug!(%ip, reason = reason.label(), ?counts, "connection refused: too many connections not logged in");
                let t = self.endpoint.refuse(incoming, &mut self.scratch);
                self.outbox.push(t, &self.scratch);
            }
        }
    }

    /// Fires every deadline that is due.
    fn expire(&mut self, now: Instant) {
        while let Some(&(at, ch)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some(link) = self.links.get_mut(&ch) {
                link.armed = None;
                link.handle_timeout(now);
                mark(&mut self.dirty, ch, link);
            }
        }
    }

    fn drive_dirty(&mut self, now: Instant) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for ch in dirty.drain(..) {
            self.drive(ch, now);
        }
        self.dirty = dirty;
    }

    /// [`Transport::drive_link`], with a panic (a bug, perhaps reached by a hostile peer's
    /// bytes) costing that connection only, as when each connection had a task of its own.
    fn drive(&mut self, ch: ConnectionHandle, now: Instant) {
        if catch_unwind(AssertUnwindSafe(|| self.drive_link(ch, now))).is_err() {
            self.evict(ch);
        }
    }

    /// Drops a connection whose handling panicked. The peer gets no close: its next packet
    /// finds no connection and is answered with a stateless reset.
    fn evict(&mut self, ch: ConnectionHandle) {
        if let Some(id) = self.forget(ch) {
            error!(conn = id, "handling a connection panicked; dropping it");
            let _ = self.endpoint.handle_event(ch, EndpointEvent::drained());
        }
    }

    /// Removes a connection from every index and counts it gone; its id, if it was there.
    fn forget(&mut self, ch: ConnectionHandle) -> Option<ConnId> {
        let link = self.links.remove(&ch)?;
        self.by_id.remove(&link.id);
        if let Some(at) = link.armed {
            self.timers.remove(&(at, ch));
        }
        let id = link.id;
        link.drained(&self.shared);
        Some(id)
    }

    /// Everything one connection has to do after something happened to it: its events,
    /// the state machine's output, quinn-proto's bookkeeping with the endpoint, its packets
    /// and its next deadline. A drained connection is dropped.
    fn drive_link(&mut self, ch: ConnectionHandle, now: Instant) {
        let Some(link) = self.links.get_mut(&ch) else {
            return;
        };
        link.dirty = false;
        let cx = Ctx {
            shared: &self.shared,
            logins: &self.logins,
            now,
        };
        let mut drained = false;
        loop {
            link.handle_events(&cx);
            link.flush(&cx);
            let mut answered = false;
            while let Some(event) = link.conn.poll_endpoint_events() {
                drained |= event.is_drained();
                if let Some(answer) = self.endpoint.handle_event(ch, event) {
                    link.conn.handle_event(answer);
                    answered = true;
                }
            }
            if !answered {
                break;
            }
        }
        loop {
            self.scratch.clear();
            let Some(t) = link
                .conn
                .poll_transmit(now, self.max_gso, &mut self.scratch)
            else {
                break;
            };
            self.outbox.push(t, &self.scratch);
        }
        let deadline = if drained { None } else { link.deadline() };
        if deadline != link.armed {
            if let Some(old) = link.armed {
                self.timers.remove(&(old, ch));
            }
            if let Some(at) = deadline {
                self.timers.insert((at, ch));
            }
            link.armed = deadline;
        }
        if drained {
            self.forget(ch);
        }
    }
}

/// Queues `link` (at `ch`) to be driven, once.
fn mark(dirty: &mut Vec<ConnectionHandle>, ch: ConnectionHandle, link: &mut Link) {
    if !link.dirty {
        link.dirty = true;
        dirty.push(ch);
    }
}

/// Packets to send, gathered across connections during one pass of the loop.
#[derive(Default)]
struct Outbox {
    bytes: Vec<u8>,
    packets: Vec<(quinn_proto::Transmit, Range<usize>)>,
}

impl Outbox {
    fn push(&mut self, t: quinn_proto::Transmit, contents: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&contents[..t.size]);
        self.packets.push((t, start..self.bytes.len()));
    }

    /// Sends everything queued; waits for the socket only when the kernel's buffer is full.
    async fn send(&mut self, socket: &UdpSocket, udp: &UdpSocketState) {
        for (t, range) in &self.packets {
            let transmit = quinn_udp::Transmit {
                destination: t.destination,
                ecn: t.ecn.map(udp_ecn),
                contents: &self.bytes[range.clone()],
                segment_size: t.segment_size,
                src_ip: t.src_ip,
            };
            loop {
                match socket.try_io(Interest::WRITABLE, || udp.send(socket.into(), &transmit)) {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if socket.writable().await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        debug!(to = %t.destination, "UDP send: {e}");
                        break;
                    }
                }
            }
        }
        self.packets.clear();
        self.bytes.clear();
    }
}

fn proto_ecn(ecn: quinn_udp::EcnCodepoint) -> EcnCodepoint {
    match ecn {
        quinn_udp::EcnCodepoint::Ect0 => EcnCodepoint::Ect0,
        quinn_udp::EcnCodepoint::Ect1 => EcnCodepoint::Ect1,
        quinn_udp::EcnCodepoint::Ce => EcnCodepoint::Ce,
    }
}

fn udp_ecn(ecn: EcnCodepoint) -> quinn_udp::EcnCodepoint {
    match ecn {
        EcnCodepoint::Ect0 => quinn_udp::EcnCodepoint::Ect0,
        EcnCodepoint::Ect1 => quinn_udp::EcnCodepoint::Ect1,
        EcnCodepoint::Ce => quinn_udp::EcnCodepoint::Ce,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
