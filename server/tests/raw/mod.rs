//! A quinn connection driven by hand, for what the real client never does: a client we did
//! not write. Shared by the loopback test binaries (e2e, hostile); each uses a part of it.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;
use tower_client::{CertFingerprint, Trust};
use tower_protocol::pb::{self, client_control, server_control};
use tower_protocol::{FrameDecoder, PROTOCOL_VERSION, decode_server, encode_client};
use tower_server::ServerHandle;

/// A raw quinn connection. `stream_window` is the flow-control credit it grants the server
/// on the control stream (it never grows unless the client reads).
pub struct Raw {
    _endpoint: quinn::Endpoint,
    pub conn: quinn::Connection,
    pub send: Option<quinn::SendStream>,
    pub recv: Option<quinn::RecvStream>,
    decoder: FrameDecoder,
}

pub fn client_endpoint(h: &ServerHandle, stream_window: Option<u32>) -> quinn::Endpoint {
    client_endpoint_at(h, stream_window, [127, 0, 0, 1].into())
}

/// A client endpoint bound to `ip` (any of 127.0.0.0/8 on Linux: many source addresses).
pub fn client_endpoint_at(
    h: &ServerHandle,
    stream_window: Option<u32>,
    ip: std::net::IpAddr,
) -> quinn::Endpoint {
    let trust = Trust::Fingerprint(CertFingerprint::parse(&h.fingerprint).unwrap());
    let mut cfg = tower_client::quic_client_config(&trust).unwrap();
    let mut transport = quinn::TransportConfig::default();
    if let Some(window) = stream_window {
        transport.stream_receive_window(window.into());
    }
    cfg.transport_config(Arc::new(transport));
    let mut endpoint = quinn::Endpoint::client((ip, 0).into()).unwrap();
    endpoint.set_default_client_config(cfg);
    endpoint
}

impl Raw {
    pub async fn connect(h: &ServerHandle, stream_window: Option<u32>) -> Raw {
        Raw::connect_at(h, stream_window, [127, 0, 0, 1].into()).await
    }

    pub async fn connect_at(
        h: &ServerHandle,
        stream_window: Option<u32>,
        ip: std::net::IpAddr,
    ) -> Raw {
        let endpoint = client_endpoint_at(h, stream_window, ip);
        let connecting = endpoint.connect(h.addr, "localhost").unwrap();
        let conn = tokio::time::timeout(Duration::from_secs(10), connecting)
            .await
            .expect("QUIC handshake in time")
            .expect("QUIC handshake");
        Raw {
            _endpoint: endpoint,
            conn,
            send: None,
            recv: None,
            decoder: FrameDecoder::new(),
        }
    }

    /// Opens the control stream (once).
    pub async fn open(&mut self) {
        if self.send.is_none() {
            let (send, recv) = self.conn.open_bi().await.unwrap();
            self.send = Some(send);
            self.recv = Some(recv);
        }
    }

    pub async fn write(&mut self, msg: client_control::Msg) {
        self.open().await;
        let frame = encode_client(msg).unwrap();
        self.send.as_mut().unwrap().write_all(&frame).await.unwrap();
    }

    pub async fn hello(&mut self, credentials: pb::hello::Credentials, resume_token: Vec<u8>) {
        self.write(client_control::Msg::Hello(pb::Hello {
            protocol_version: PROTOCOL_VERSION,
            credentials: Some(credentials),
            resume_token,
        }))
        .await;
    }

    pub async fn dev_hello(&mut self, name: &str) {
        self.hello(dev(name), Vec::new()).await;
    }

    pub async fn next(&mut self) -> server_control::Msg {
        let mut buf = [0u8; 4096];
        for _ in 0..1000 {
            if let Some(frame) = self.decoder.next_frame().unwrap() {
                return decode_server(&frame).unwrap();
            }
            let read = tokio::time::timeout(
                Duration::from_secs(10),
                self.recv.as_mut().unwrap().read(&mut buf),
            );
            let n = read
                .await
                .expect("a message in time")
                .unwrap()
                .expect("stream open");
            self.decoder.push(&buf[..n]);
        }
        panic!("no complete frame in 1000 reads");
    }

    /// Hello, Welcome, FloorEnter, proof, FloorAdmitted, Roster.
    pub async fn join(h: &ServerHandle, name: &str, stream_window: Option<u32>) -> Raw {
        Raw::join_at(h, name, stream_window, [127, 0, 0, 1].into()).await
    }

    /// [`Raw::join`] from source address `ip`.
    pub async fn join_at(
        h: &ServerHandle,
        name: &str,
        stream_window: Option<u32>,
        ip: std::net::IpAddr,
    ) -> Raw {
        let mut raw = Raw::connect_at(h, stream_window, ip).await;
        raw.dev_hello(name).await;
        let msg = raw.next().await;
        assert!(
            matches!(msg, server_control::Msg::Welcome(_)),
            "{name}: {msg:?}"
        );
        let server_control::Msg::FloorEnter(enter) = raw.next().await else {
            panic!("floor enter")
        };
        raw.prove(enter.floor, enter.seed).await;
        let server_control::Msg::FloorAdmitted(_) = raw.next().await else {
            panic!("admitted")
        };
        let roster = raw.next().await;
        assert!(matches!(&roster, server_control::Msg::Roster(r) if r.reset));
        raw
    }

    pub async fn prove(&mut self, floor: u32, seed: u64) {
        let hash = procgen::generate(seed, floor).hash();
        self.write(client_control::Msg::FloorProof(pb::FloorProof {
            floor,
            hash: hash.0.to_vec(),
            generator_version: procgen::GENERATOR_VERSION,
        }))
        .await;
    }

    /// The application close code, once the server closed the connection (within `secs`).
    pub async fn closed_with(&self, secs: u64) -> Option<u32> {
        let closed = tokio::time::timeout(Duration::from_secs(secs), self.conn.closed()).await;
        match closed {
            Ok(quinn::ConnectionError::ApplicationClosed(c)) => {
                Some(u32::try_from(c.error_code.into_inner()).unwrap_or(u32::MAX))
            }
            _ => None,
        }
    }
}

pub fn dev(name: &str) -> pb::hello::Credentials {
    pb::hello::Credentials::Dev(pb::DevLogin { name: name.into() })
}
