//! How the lobby trusts Nakama: TLS (rustls with ring, HTTP/1.1 for both the API and the
//! websocket) verified against the system's roots or a given CA, or plain HTTP, which is
//! accepted only towards a loopback host (a developer's own machine).

use crate::error::LobbyError;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Which certificates authenticate Nakama's TLS port.
#[derive(Clone, Debug)]
pub enum NakamaTrust {
    /// The system's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` override them, as for OpenSSL).
    SystemRoots,
    /// Only these CA certificates (PEM), e.g. `scripts/nakama-stack.sh`'s `tls/ca.pem`.
    CaPem(Vec<u8>),
}

impl NakamaTrust {
    /// Reads a PEM file of CA certificates.
    pub fn ca_file(path: &Path) -> Result<NakamaTrust, LobbyError> {
        std::fs::read(path).map(NakamaTrust::CaPem).map_err(|e| {
            LobbyError::BadArgument(format!("cannot read CA file {}: {e}", path.display()))
        })
    }
}

/// The rustls client configuration for `trust`: TLS 1.2+, ALPN http/1.1 (Nakama's websocket
/// upgrade needs HTTP/1.1), never a skipped verification.
pub(crate) fn client_config(trust: &NakamaTrust) -> Result<Arc<rustls::ClientConfig>, LobbyError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        NakamaTrust::SystemRoots => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system store often holds a few certificates rustls cannot use; skip them.
                let _ = roots.add(cert);
            }
        }
        NakamaTrust::CaPem(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| LobbyError::BadArgument(format!("bad CA PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| LobbyError::BadArgument(format!("unusable CA: {e}")))?;
            }
        }
    }
    if roots.is_empty() {
        return Err(LobbyError::BadArgument(
            "no CA certificate to verify nakama's TLS certificate with".into(),
        ));
    }
    with_roots(roots)
}

/// A configuration that trusts nothing: a plain-http lobby's HTTP client gets it, so that
/// reqwest never needs a process-wide crypto provider and no redirect to https can succeed.
pub(crate) fn trust_nothing() -> Result<Arc<rustls::ClientConfig>, LobbyError> {
    with_roots(rustls::RootCertStore::empty())
}

fn with_roots(roots: rustls::RootCertStore) -> Result<Arc<rustls::ClientConfig>, LobbyError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LobbyError::Http(format!("tls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The host of an `http(s)://host[:port][/...]` url (brackets of an IPv6 literal removed).
pub(crate) fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// true for `localhost` and loopback addresses: the only hosts plain HTTP may be used with.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A websocket's byte stream: plain TCP (loopback development) or TLS.
pub(crate) enum NetStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl NetStream {
    /// Connects to `host:port`, with TLS (verified for `host`) when `tls` is given.
    pub(crate) async fn connect(
        host: &str,
        port: u16,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<NetStream, LobbyError> {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| LobbyError::Realtime(format!("connect {host}:{port}: {e}")))?;
        let Some(config) = tls else {
            return Ok(NetStream::Plain(tcp));
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| LobbyError::BadArgument(format!("bad host {host:?}: {e}")))?;
        let stream = tokio_rustls::TlsConnector::from(config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| LobbyError::Realtime(format!("tls with {host}:{port}: {e}")))?;
        Ok(NetStream::Tls(Box::new(stream)))
    }
}

impl AsyncRead for NetStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            NetStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            NetStream::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            NetStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            NetStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            NetStream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_loopback() {
        assert_eq!(host_of("http://127.0.0.1:7350"), Some("127.0.0.1"));
        assert_eq!(host_of("https://[::1]:7350/x"), Some("::1"));
        assert_eq!(
            host_of("http://user@nakama.example:80"),
            Some("nakama.example")
        );
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("::1"));
        assert!(is_loopback_host("LOCALHOST"));
        assert!(!is_loopback_host("10.0.0.1") && !is_loopback_host("nakama.example"));
    }
}
