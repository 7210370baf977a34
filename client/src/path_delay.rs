//! A UDP socket that holds every outgoing datagram for a fixed time before sending it: the
//! round trip of a real player's path, for load tests on loopback (where the kernel has no
//! `netem`). Timing on the path changes what QUIC sends, not only when: with a round trip
//! of 0, each side's delayed ACK expires long before its next packet, so both send ACK-only
//! packets that a player on the internet would not (docs/performance-wire.md).
//!
//! Delaying one direction only is enough: both ends measure the sum as their RTT.

use quinn::udp::{EcnCodepoint, RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};
use std::collections::VecDeque;
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

/// A datagram waiting for its time.
struct Held {
    due: Instant,
    destination: SocketAddr,
    ecn: Option<EcnCodepoint>,
    contents: Vec<u8>,
    segment_size: Option<usize>,
    src_ip: Option<IpAddr>,
}

#[derive(Default)]
struct Queue {
    held: VecDeque<Held>,
    closed: bool,
}

/// An [`AsyncUdpSocket`] that sends through `inner` `delay` after quinn asks it to. Must be
/// made inside a tokio runtime: a task of its own sends what is due.
pub(crate) struct DelayedSend {
    inner: Arc<dyn AsyncUdpSocket>,
    delay: Duration,
    queue: Arc<Mutex<Queue>>,
    due: Arc<Notify>,
}

impl DelayedSend {
    pub(crate) fn new(inner: Arc<dyn AsyncUdpSocket>, delay: Duration) -> Arc<Self> {
        let queue = Arc::new(Mutex::new(Queue::default()));
        let due = Arc::new(Notify::new());
        tokio::spawn(send_when_due(inner.clone(), queue.clone(), due.clone()));
        Arc::new(DelayedSend {
            inner,
            delay,
            queue,
            due,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        lock(&self.queue)
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
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

/// Sends every held datagram when its time comes, in order (one delay for all keeps the
/// queue sorted), until the socket is dropped.
async fn send_when_due(inner: Arc<dyn AsyncUdpSocket>, queue: Arc<Mutex<Queue>>, due: Arc<Notify>) {
    let mut writable = inner.clone().create_io_poller();
    loop {
        let next = {
            let q = lock(&queue);
            if q.closed {
                return;
            }
            q.held.front().map(|h| h.due)
        };
        match next {
            None => due.notified().await,
            Some(at) if at > Instant::now() => tokio::time::sleep_until(at).await,
            Some(_) => {
                let Some(h) = lock(&queue).held.pop_front() else {
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
        let held = Held {
            due: Instant::now() + self.delay,
            destination: transmit.destination,
            ecn: transmit.ecn,
            contents: transmit.contents.to_vec(),
            segment_size: transmit.segment_size,
            src_ip: transmit.src_ip,
        };
        let was_empty = {
            let mut q = self.lock();
            if q.held.len() >= MAX_HELD {
                return Ok(());
            }
            q.held.push_back(held);
            q.held.len() == 1
        };
        if was_empty {
            self.due.notify_one();
        }
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

    /// Datagrams arrive in order, none before its delay, and the sender never waits.
    #[tokio::test]
    async fn datagrams_arrive_in_order_after_the_delay() {
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let runtime = quinn::default_runtime().unwrap();
        let socket = runtime
            .wrap_udp_socket(std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
            .unwrap();
        let delay = Duration::from_millis(60);
        let delayed = DelayedSend::new(socket, delay);
        let started = std::time::Instant::now();
        for i in 0..3u8 {
            let transmit = Transmit {
                destination: receiver.local_addr().unwrap(),
                ecn: None,
                contents: &[i; 10],
                segment_size: None,
                src_ip: None,
            };
            delayed.try_send(&transmit).unwrap();
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
}
