//! How the client decides to trust the server: a pinned SHA-256 fingerprint of the server's
//! certificate (the dev server's self-signed one), or a CA file. There is deliberately no
//! "accept anything" option.

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// SHA-256 of a DER certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

/// Why a certificate fingerprint did not parse.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FingerprintParseError {
    #[error("fingerprint is not hex: {0}")]
    NotHex(String),
    #[error("fingerprint has {0} bytes, expected 32 (SHA-256)")]
    WrongLength(usize),
}

impl CertFingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(cert_der: &[u8]) -> Self {
        CertFingerprint(Sha256::digest(cert_der).into())
    }

    /// Parses 64 hex digits; `:` separators and surrounding whitespace are accepted.
    pub fn parse(text: &str) -> Result<Self, FingerprintParseError> {
        let cleaned: String = text.trim().chars().filter(|c| *c != ':').collect();
        let bytes =
            hex::decode(&cleaned).map_err(|e| FingerprintParseError::NotHex(e.to_string()))?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| FingerprintParseError::WrongLength(bytes.len()))?;
        Ok(CertFingerprint(arr))
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Which servers to trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Accept exactly the certificate with this SHA-256 (names and dates are not checked:
    /// the pin is the identity).
    Fingerprint(CertFingerprint),
    /// Verify the chain against the CA certificates in this PEM file (WebPKI rules).
    CaFile(PathBuf),
}

/// Why the QUIC/TLS client configuration could not be built.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error)]
pub enum TlsConfigError {
    #[error("cannot read CA file {path}: {message}")]
    CaFile { path: PathBuf, message: String },
    #[error("CA file {0} holds no certificate")]
    EmptyCaFile(PathBuf),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("QUIC TLS configuration: {0}")]
    Quic(String),
}

#[derive(Debug)]
struct PinnedCert {
    pin: CertFingerprint,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if CertFingerprint::of(end_entity.as_ref()) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "server certificate fingerprint {} does not match the pinned {}",
                CertFingerprint::of(end_entity.as_ref()).to_hex(),
                self.pin.to_hex()
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// How eagerly the server should acknowledge the client's packets, requested with the QUIC
/// ACK frequency extension (draft-ietf-quic-ack-frequency; quinn 0.11 sends ACK_FREQUENCY
/// frames when configured, and every quinn 0.11 endpoint advertises `min_ack_delay`, i.e.
/// honours them, so the server needs no setting of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckFrequency {
    /// The server may receive this many ack-eliciting packets before it must ACK at once
    /// (QUIC's default is 1: every second packet).
    pub ack_eliciting_threshold: u32,
    /// The longest the server may hold an ACK back, hoping to put it in a snapshot packet
    /// instead of an ACK-only packet. quinn clamps the request to `max(RTT, 25 ms)`.
    pub max_ack_delay: Duration,
}

impl Default for AckFrequency {
    fn default() -> Self {
        AckFrequency {
            ack_eliciting_threshold: 8,
            // a bit more than one 30 Hz tick: a snapshot usually goes out within it
            max_ack_delay: Duration::from_millis(50),
        }
    }
}

/// QUIC transport settings of the client that matter on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportTuning {
    /// `None`: QUIC's default acknowledgement behaviour.
    pub ack_frequency: Option<AckFrequency>,
    /// QUIC PING after this long without sending anything. The input datagrams (at least
    /// one per `IdlePolicy::keepalive`) keep the connection busy, so this only fires when
    /// the game sends nothing (e.g. between floors); it must stay well below the idle
    /// timeout (the smaller of ours, 30 s, and the server's).
    pub keep_alive: Option<Duration>,
}

impl Default for TransportTuning {
    fn default() -> Self {
        TransportTuning {
            ack_frequency: Some(AckFrequency::default()),
            keep_alive: Some(Duration::from_secs(5)),
        }
    }
}

/// The quinn client configuration for `trust`, TLS 1.3 only, ALPN `tower/1`, with the
/// default [`TransportTuning`].
pub fn quic_client_config(trust: &Trust) -> Result<quinn::ClientConfig, TlsConfigError> {
    quic_client_config_tuned(trust, &TransportTuning::default())
}

/// [`quic_client_config`] with explicit transport settings.
pub fn quic_client_config_tuned(
    trust: &Trust,
    tuning: &TransportTuning,
) -> Result<quinn::ClientConfig, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?;
    let mut tls = match trust {
        Trust::Fingerprint(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedCert {
                pin: *pin,
                provider,
            }))
            .with_no_client_auth(),
        Trust::CaFile(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs =
                CertificateDer::pem_file_iter(path).map_err(|e| TlsConfigError::CaFile {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            for cert in certs {
                let cert = cert.map_err(|e| TlsConfigError::CaFile {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                roots.add(cert)?;
            }
            if roots.is_empty() {
                return Err(TlsConfigError::EmptyCaFile(path.clone()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    tls.alpn_protocols = vec![tower_protocol::ALPN.to_vec()];
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| TlsConfigError::Quic(e.to_string()))?;
    let mut cfg = quinn::ClientConfig::new(Arc::new(quic));
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(tuning.keep_alive);
    if let Some(af) = tuning.ack_frequency {
        let mut config = quinn::AckFrequencyConfig::default();
        config
            .ack_eliciting_threshold(quinn::VarInt::from_u32(af.ack_eliciting_threshold))
            .max_ack_delay(Some(af.max_ack_delay));
        transport.ack_frequency_config(Some(config));
    }
    if let Ok(idle) = quinn::IdleTimeout::try_from(Duration::from_secs(30)) {
        transport.max_idle_timeout(Some(idle));
    }
    cfg.transport_config(Arc::new(transport));
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parsing() {
        let hex64 = "ab".repeat(32);
        assert_eq!(
            CertFingerprint::parse(&hex64),
            Ok(CertFingerprint([0xab; 32]))
        );
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(
            CertFingerprint::parse(&format!(" {colons}\n")),
            Ok(CertFingerprint([0xab; 32]))
        );
        assert_eq!(
            CertFingerprint::parse("abcd"),
            Err(FingerprintParseError::WrongLength(2))
        );
        assert!(matches!(
            CertFingerprint::parse("zz"),
            Err(FingerprintParseError::NotHex(_))
        ));
        assert_eq!(CertFingerprint([1; 32]).to_hex(), "01".repeat(32));
    }

    #[test]
    fn ca_file_errors() {
        let missing = PathBuf::from("/nonexistent/ca.pem");
        assert!(matches!(
            quic_client_config(&Trust::CaFile(missing)),
            Err(TlsConfigError::CaFile { .. })
        ));
        let empty = std::env::temp_dir().join(format!("tower-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "no certificates here\n").expect("write temp file");
        let r = quic_client_config(&Trust::CaFile(empty.clone()));
        std::fs::remove_file(&empty).ok();
        assert!(matches!(r, Err(TlsConfigError::EmptyCaFile(_))));
        assert!(quic_client_config(&Trust::Fingerprint(CertFingerprint([0; 32]))).is_ok());
    }
}
