//! A UDP socket that holds every outgoing datagram for a while before sending it: the
//! round trip of a real player's path, and its jitter, for load tests on loopback (where
//! the kernel has no `netem`). Timing on the path changes what QUIC sends, not only when:
//! with a round trip of 0, each side's delayed ACK expires long before its next packet, so
//! both send ACK-only packets that a player on the internet would not
//! (docs/performance-wire.md).
//!
//! Delaying one direction only is enough: both ends measure the sum as their RTT.

use quinn::udp::{EcnCodepoint, RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Datagrams held at most, as a socket buffer would: beyond it the newest are dropped.
const MAX_HELD: usize = 1 << 16;

/// What a [`DelayedSend`] adds to each datagram's path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathDelay {
    /// Every datagram waits at least this long.
    pub base: Duration,
    /// ... and up to this much more, uniformly at random, drawn for each datagram. One
    /// socket carries many connections, so datagrams do overtake each other; one
    /// connection's own datagrams (an input every 33–100 ms) seldom do when the jitter is
    /// below their spacing.
    pub jitter: Duration,
}

impl PathDelay {
    /// Nothing added: the bare socket.
    pub const NONE: PathDelay = PathDelay {
        base: Duration::ZERO,
        jitter: Duration::ZERO,
    };

    /// `base` for every datagram, no jitter.
    pub fn fixed(base: Duration) -> PathDelay {
        PathDelay {
            base,
            jitter: Duration::ZERO,
        }
    }

    fn is_none(&self) -> bool {
        *self == PathDelay::NONE
    }

    /// When a datagram handed over at `now` leaves.
    fn due(&self, now: Instant) -> Instant {
        let extra = if self.jitter.is_zero() {
            Duration::ZERO
        } else {
            self.jitter.mul_f64(rand::random::<f64>())
        };
        now + self.base + extra
    }
}

/// A datagram waiting for its time.
struct Held {
    /// When it leaves, and the order it came in (for datagrams due at the same instant).
    due: (Instant, u64),
    destination: SocketAddr,
    ecn: Option<EcnCodepoint>,
    contents: Vec<u8>,
    segment_size: Option<usize>,
    src_ip: Option<IpAddr>,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        self.due.cmp(&other.due)
    }
}

#[derive(Default)]
struct Queue {
    /// Earliest due first.
    held: BinaryHeap<Reverse<Held>>,
    handed_over: u64,
    closed: bool,
}

/// An [`AsyncUdpSocket`] that sends through `inner` as `path` says, after quinn asks it to.
/// Must be made inside a tokio runtime: a task of its own sends what is due.
pub(crate) struct DelayedSend {
    inner: Arc<dyn AsyncUdpSocket>,
    path: PathDelay,
    queue: Arc<Mutex<Queue>>,
    due: Arc<Notify>,
}

impl DelayedSend {
    /// `inner` itself when `path` adds nothing.
    pub(crate) fn wrap(inner: Arc<dyn AsyncUdpSocket>, path: PathDelay) -> Arc<dyn AsyncUdpSocket> {
        if path.is_none() {
            inner
        } else {
            Self::new(inner, path)
        }
    }

    fn new(inner: Arc<dyn AsyncUdpSocket>, path: PathDelay) -> Arc<Self> {
        let queue = Arc::new(Mutex::new(Queue::default()));
        let due = Arc::new(Notify::new());
        tokio::spawn(send_when_due(inner.clone(), queue.clone(), due.clone()));
        Arc::new(DelayedSend {
            inner,
            path,
            queue,
            due,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        lock(&self.queue)
    }

    /// Queues `transmit` to leave at `due` (dropped if `MAX_HELD` are waiting already).
    fn hold(&self, transmit: &Transmit, due: Instant) {
        let first_due = {
            let mut q = self.lock();
            if q.held.len() >= MAX_HELD {
                return;
            }
            let held = Held {
                due: (due, q.handed_over),
                destination: transmit.destination,
                ecn: transmit.ecn,
                contents: transmit.contents.to_vec(),
                segment_size: transmit.segment_size,
                src_ip: transmit.src_ip,
            };
            q.handed_over += 1;
            let first = q.held.peek().is_none_or(|f| held.due < f.0.due);
            q.held.push(Reverse(held));
            first
        };
        if first_due {
            self.due.notify_one();
        }
    }
}

fn lock(queue: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for DelayedSend {
    fn drop(&mut self) {
        self.lock().closed = true;
        self.due.notify_one();
    }
}

impl fmt::Debug for DelayedSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelayedSend")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Sends every held datagram when its time comes, until the socket is dropped.
async fn send_when_due(inner: Arc<dyn AsyncUdpSocket>, queue: Arc<Mutex<Queue>>, due: Arc<Notify>) {
    let mut writable = inner.clone().create_io_poller();
    loop {
        let next = {
            let q = lock(&queue);
            if q.closed {
                return;
            }
            q.held.peek().map(|h| h.0.due.0)
        };
        match next {
            None => due.notified().await,
            // A datagram due sooner may come in meanwhile (jitter): it wakes the loop.
            Some(at) if at > Instant::now() => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = due.notified() => {}
                }
            }
            Some(_) => {
                let Some(Reverse(h)) = lock(&queue).held.pop() else {
                    continue;
                };
                let transmit = Transmit {
                    destination: h.destination,
                    ecn: h.ecn,
                    contents: &h.contents,
                    segment_size: h.segment_size,
                    src_ip: h.src_ip,
                };
                loop {
                    match inner.try_send(&transmit) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            if std::future::poll_fn(|cx| writable.as_mut().poll_writable(cx))
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                        // Like the kernel's: a datagram that cannot go is lost, not retried.
                        _ => break,
                    }
                }
            }
        }
    }
}

impl AsyncUdpSocket for DelayedSend {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(AlwaysWritable)
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        self.hold(transmit, self.path.due(Instant::now()));
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_recv(cx, bufs, meta)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.inner.max_transmit_segments()
    }

    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments()
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}

/// Holding a datagram never blocks.
#[derive(Debug)]
struct AlwaysWritable;

impl UdpPoller for AlwaysWritable {
    fn poll_writable(self: Pin<&mut Self>, _cx: &mut Context) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A receiving socket and a `DelayedSend` on `path` sending to it.
    fn pair(path: PathDelay) -> (std::net::UdpSocket, Arc<DelayedSend>) {
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let runtime = quinn::default_runtime().unwrap();
        let socket = runtime
            .wrap_udp_socket(std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
            .unwrap();
        (receiver, DelayedSend::new(socket, path))
    }

    fn transmit(to: SocketAddr, contents: &[u8]) -> Transmit<'_> {
        Transmit {
            destination: to,
            ecn: None,
            contents,
            segment_size: None,
            src_ip: None,
        }
    }

    /// Each datagram leaves between `base` and `base + jitter` after it was handed over,
    /// spread over that range.
    #[test]
    fn jitter_stays_in_its_bounds() {
        let path = PathDelay {
            base: Duration::from_millis(40),
            jitter: Duration::from_millis(20),
        };
        let now = Instant::now();
        let waits: Vec<Duration> = (0..2_000).map(|_| path.due(now) - now).collect();
        let (low, high) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
        assert!(*low >= path.base && *high <= path.base + path.jitter);
        assert!(
            *high - *low >= Duration::from_millis(15),
            "no jitter: {low:?}..{high:?}"
        );
        assert_eq!(PathDelay::fixed(path.base).due(now), now + path.base);
    }

    /// Datagrams arrive in order, none before its delay, and the sender never waits.
    #[tokio::test]
    async fn datagrams_arrive_in_order_after_the_delay() {
        let delay = Duration::from_millis(60);
        let (receiver, delayed) = pair(PathDelay::fixed(delay));
        let to = receiver.local_addr().unwrap();
        let started = std::time::Instant::now();
        for i in 0..3u8 {
            delayed.try_send(&transmit(to, &[i; 10])).unwrap();
        }
        assert!(started.elapsed() < delay, "try_send waited");
        let got = tokio::task::spawn_blocking(move || {
            (0..3)
                .map(|_| {
                    let mut buf = [0u8; 64];
                    let (n, _) = receiver.recv_from(&mut buf).unwrap();
                    (buf[0], n, started.elapsed())
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        for (i, (first, len, at)) in got.into_iter().enumerate() {
            assert_eq!((usize::from(first), len), (i, 10));
            assert!(at >= delay, "datagram {i} arrived after {at:?}");
        }
    }

    /// A datagram drawn a shorter wait than one already held (jitter) leaves first: the
    /// sending task does not sleep through it.
    #[tokio::test]
    async fn a_datagram_due_sooner_is_not_held_behind_a_later_one() {
        let (receiver, delayed) = pair(PathDelay::fixed(Duration::from_millis(20)));
        let to = receiver.local_addr().unwrap();
        delayed.hold(&transmit(to, &[9]), Instant::now() + Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(20)).await; // the task now sleeps for it
        let started = std::time::Instant::now();
        delayed.try_send(&transmit(to, &[1])).unwrap();
        let (first, waited) = tokio::task::spawn_blocking(move || {
            let mut buf = [0u8; 8];
            receiver.recv_from(&mut buf).unwrap();
            (buf[0], started.elapsed())
        })
        .await
        .unwrap();
        assert_eq!(first, 1, "the datagram due later went first");
        assert!(waited < Duration::from_secs(1), "held {waited:?}");
    }
}
