//! Thin gRPC shell over Nakama's `nakama.api.Nakama` service (our subset, see
//! `meta/proto/nakama_api.proto`).

use super::MetaError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Uri};
use tonic::{Code, Request};

#[allow(clippy::all, clippy::unwrap_used)]
pub(crate) mod pb {
    tonic::include_proto!("nakama.api");
}

/// Why a call to Nakama failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RpcError {
    /// Nakama could not be reached or failed transiently: worth retrying.
    #[error("nakama unavailable: {0}")]
    Unavailable(String),
    /// Nakama (or one of our modules) refused the call: retrying will not help.
    #[error("nakama refused the call ({code:?}): {message}")]
    Refused { code: Code, message: String },
    /// The answer did not have the expected shape.
    #[error("unexpected answer from nakama: {0}")]
    BadAnswer(String),
}

impl From<tonic::Status> for RpcError {
    fn from(status: tonic::Status) -> RpcError {
        match status.code() {
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Unknown
            | Code::Aborted
            | Code::ResourceExhausted
            | Code::Internal => RpcError::Unavailable(status.message().to_owned()),
            code => RpcError::Refused {
                code,
                message: status.message().to_owned(),
            },
        }
    }
}

/// Why the configured gRPC address of Nakama cannot be used (refused at start-up).
#[derive(Debug, thiserror::Error)]
pub enum GrpcUrlError {
    #[error("grpc_url {url:?} is not a URL: {reason}")]
    Invalid { url: String, reason: String },
    #[error("grpc_url {url:?}: the scheme must be https (or http to a loopback host)")]
    Scheme { url: String },
    #[error(
        "grpc_url {url:?}: plain http carries the http key in clear; use https (TLS, e.g. the \
         nginx in front of Nakama's gRPC port), or http only to a loopback host"
    )]
    PlainToRemote { url: String },
    #[error("grpc_ca {path:?} is set but grpc_url {url:?} is not https")]
    CaWithoutTls { url: String, path: PathBuf },
    #[error("cannot read grpc_ca {path:?}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("grpc_ca {path:?} holds no PEM certificate")]
    CaNotPem { path: PathBuf },
    #[error("TLS setup for grpc_url {url:?} failed: {reason}")]
    Tls { url: String, reason: String },
}

/// How the game server reaches Nakama's gRPC API, decided from `grpc_url` alone: TLS for
/// `https://`, plain text only to a loopback host (the http key travels in every call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcTransport {
    Tls,
    PlainLoopback,
}

impl GrpcTransport {
    /// Checks `url` against the rule above.
    pub fn of(url: &str) -> Result<GrpcTransport, GrpcUrlError> {
        let uri: Uri = url
            .parse()
            .map_err(
                |e: tonic::codegen::http::uri::InvalidUri| GrpcUrlError::Invalid {
                    url: url.to_owned(),
                    reason: e.to_string(),
                },
            )?;
        let host = uri.host().ok_or_else(|| GrpcUrlError::Invalid {
            url: url.to_owned(),
            reason: "no host".to_owned(),
        })?;
        match uri.scheme_str() {
            Some("https") => Ok(GrpcTransport::Tls),
            Some("http") if is_loopback(host) => Ok(GrpcTransport::PlainLoopback),
            Some("http") => Err(GrpcUrlError::PlainToRemote {
                url: url.to_owned(),
            }),
            _ => Err(GrpcUrlError::Scheme {
                url: url.to_owned(),
            }),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// The TLS settings: only the CA in `ca` when given, else the system's roots.
fn tls_config(ca: Option<&Path>) -> Result<ClientTlsConfig, GrpcUrlError> {
    let tls = ClientTlsConfig::new();
    let Some(path) = ca else {
        return Ok(tls.with_native_roots());
    };
    let pem = std::fs::read(path).map_err(|source| GrpcUrlError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(GrpcUrlError::CaNotPem {
            path: path.to_owned(),
        });
    }
    Ok(tls.ca_certificate(Certificate::from_pem(pem)))
}

/// A cheap-to-clone Nakama client: runtime RPCs with the http_key (never a player's session).
#[derive(Clone)]
pub struct NakamaClient {
    grpc: pb::nakama_client::NakamaClient<Channel>,
    http_key: String,
}

impl NakamaClient {
    /// Prepares a client for `url` with the system's TLS roots (see [`Self::connect_lazy_with_ca`]).
    pub fn connect_lazy(url: &str, http_key: &str, timeout: Duration) -> Result<Self, MetaError> {
        Self::connect_lazy_with_ca(url, None, http_key, timeout)
    }

    /// The client `cfg` describes (`grpc_url`, `grpc_ca`, `http_key`, `request_timeout_ms`).
    pub fn for_config(cfg: &crate::NakamaConfig) -> Result<Self, MetaError> {
        Self::connect_lazy_with_ca(
            &cfg.grpc_url,
            cfg.grpc_ca.as_deref(),
            &cfg.http_key,
            cfg.request_timeout(),
        )
    }

    /// Prepares a client; the connection is made on first use and re-made after Nakama
    /// restarts. `https://` speaks TLS and verifies Nakama's certificate against `ca` (a PEM
    /// file) when given, else the system's roots; `http://` is refused unless the host is
    /// loopback.
    pub fn connect_lazy_with_ca(
        url: &str,
        ca: Option<&Path>,
        http_key: &str,
        timeout: Duration,
    ) -> Result<Self, MetaError> {
        let transport = GrpcTransport::of(url)?;
        let mut endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| GrpcUrlError::Invalid {
                url: url.to_owned(),
                reason: e.to_string(),
            })?
            .connect_timeout(timeout)
            .timeout(timeout)
            .tcp_nodelay(true);
        match (transport, ca) {
            (GrpcTransport::Tls, ca) => {
                endpoint = endpoint
                    .tls_config(tls_config(ca)?)
                    .map_err(|e| GrpcUrlError::Tls {
                        url: url.to_owned(),
                        reason: e.to_string(),
                    })?;
            }
            (GrpcTransport::PlainLoopback, Some(path)) => {
                return Err(GrpcUrlError::CaWithoutTls {
                    url: url.to_owned(),
                    path: path.to_owned(),
                }
                .into());
            }
            (GrpcTransport::PlainLoopback, None) => {}
        }
        Ok(NakamaClient {
            grpc: pb::nakama_client::NakamaClient::new(endpoint.connect_lazy()),
            http_key: http_key.to_owned(),
        })
    }

    /// Calls a runtime RPC authenticated by the http_key, with JSON in and out.
    pub async fn rpc<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        id: &str,
        request: &Req,
    ) -> Result<Resp, RpcError> {
        let payload = serde_json::to_string(request)
            .map_err(|e| RpcError::BadAnswer(format!("cannot encode request: {e}")))?;
        let rpc = pb::Rpc {
            id: id.to_owned(),
            payload,
            http_key: self.http_key.clone(),
        };
        let answer = self
            .grpc
            .clone()
            .rpc_func(Request::new(rpc))
            .await?
            .into_inner();
        serde_json::from_str(&answer.payload)
            .map_err(|e| RpcError::BadAnswer(format!("{id}: {e}: {:?}", answer.payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StoreError;
    use tonic::Status;

    #[test]
    fn transient_statuses_are_retryable_and_refusals_are_not() {
        for status in [
            Status::unavailable("down"),
            Status::deadline_exceeded("slow"),
            Status::internal("lua: storage write failed"),
            Status::unknown("transport"),
        ] {
            assert!(matches!(RpcError::from(status), RpcError::Unavailable(_)));
        }
        let stale = RpcError::from(Status::failed_precondition("stale write"));
        assert_eq!(StoreError::from(stale), StoreError::Conflict);
        let bad = RpcError::from(Status::invalid_argument("user_id must be a Nakama user id"));
        assert!(matches!(StoreError::from(bad), StoreError::Rejected(m) if m.contains("user_id")));
        let gone = RpcError::from(Status::not_found("unknown user"));
        assert!(!StoreError::from(gone).is_transient());
        let data = RpcError::from(Status::data_loss("stored state is unusable"));
        assert!(matches!(StoreError::from(data), StoreError::Corrupt(_)));
        let key = RpcError::from(Status::unauthenticated("HTTP key invalid"));
        assert!(matches!(
            key,
            RpcError::Refused {
                code: Code::Unauthenticated,
                ..
            }
        ));
        assert!(matches!(
            StoreError::from(RpcError::Unavailable("x".into())),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn a_bad_url_is_a_config_error() {
        let got = NakamaClient::connect_lazy("not a url", "k", Duration::from_secs(1));
        assert!(matches!(got, Err(MetaError::GrpcUrl(_))));
    }

    #[test]
    fn plain_grpc_is_allowed_only_to_loopback() {
        for url in [
            "http://127.0.0.1:7349",
            "http://127.5.0.1:7349",
            "http://[::1]:7349",
            "http://localhost:7349",
            "http://LOCALHOST:7349",
        ] {
            assert_eq!(
                GrpcTransport::of(url).ok(),
                Some(GrpcTransport::PlainLoopback),
                "{url}"
            );
        }
        for url in [
            "http://nakama:7349",
            "http://10.0.0.5:7349",
            "http://[2001:db8::1]:7349",
            "http://localhost.example.com:7349",
            "http://127.0.0.1.nip.io:7349",
        ] {
            assert!(
                matches!(
                    GrpcTransport::of(url),
                    Err(GrpcUrlError::PlainToRemote { .. })
                ),
                "{url}"
            );
            let refused = NakamaClient::connect_lazy(url, "k", Duration::from_secs(1));
            assert!(
                matches!(
                    refused,
                    Err(MetaError::GrpcUrl(GrpcUrlError::PlainToRemote { .. }))
                ),
                "{url}"
            );
        }
        for url in [
            "https://nakama-tls:7449",
            "https://127.0.0.1:7449",
            "https://[::1]:1",
        ] {
            assert_eq!(
                GrpcTransport::of(url).ok(),
                Some(GrpcTransport::Tls),
                "{url}"
            );
        }
        assert!(matches!(
            GrpcTransport::of("ftp://127.0.0.1:7349"),
            Err(GrpcUrlError::Scheme { .. })
        ));
        assert!(matches!(
            GrpcTransport::of("127.0.0.1:7349"),
            Err(GrpcUrlError::Scheme { .. } | GrpcUrlError::Invalid { .. })
        ));
    }

    #[test]
    fn the_ca_file_must_exist_hold_pem_and_come_with_https() {
        let t = Duration::from_secs(1);
        let dir = std::env::temp_dir().join(format!("tower-grpc-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let missing = dir.join("missing.pem");
        let got = NakamaClient::connect_lazy_with_ca("https://127.0.0.1:1", Some(&missing), "k", t);
        assert!(matches!(
            got,
            Err(MetaError::GrpcUrl(GrpcUrlError::CaFile { .. }))
        ));
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let got = NakamaClient::connect_lazy_with_ca("https://127.0.0.1:1", Some(&junk), "k", t);
        assert!(matches!(
            got,
            Err(MetaError::GrpcUrl(GrpcUrlError::CaNotPem { .. }))
        ));
        let got = NakamaClient::connect_lazy_with_ca("http://127.0.0.1:1", Some(&junk), "k", t);
        assert!(matches!(
            got,
            Err(MetaError::GrpcUrl(GrpcUrlError::CaWithoutTls { .. }))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
