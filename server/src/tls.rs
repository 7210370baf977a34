//! The server's TLS identity: a configured PEM certificate, or a self-signed one made with
//! rcgen on first start and kept in `cert_dir` (so the pinned fingerprint survives restarts).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad PEM in {path}: {message}")]
    Pem { path: PathBuf, message: String },
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("QUIC rejected the TLS configuration: {0}")]
    Quic(String),
    #[error(
        "{path} is readable by other users (mode {mode:04o}), so its private key may have leaked: \
         remove it (a new certificate is generated; the fingerprint players pin changes), or \
         `chmod 600` it if nobody else could have read it"
    )]
    KeyPermissions { path: PathBuf, mode: u32 },
}

/// A certificate chain with its key, and the SHA-256 fingerprint (lower-case hex) of the
/// leaf certificate's DER that clients pin.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub fingerprint: String,
    /// Where the certificate was read from or written to.
    pub cert_path: PathBuf,
    pub generated: bool,
}

/// SHA-256 of a DER certificate, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Loads `cert` + `key` (PEM).
pub fn load(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    let pem = |path: &Path, e: rustls::pki_types::pem::Error| TlsError::Pem {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(cert, e))?;
    let leaf = chain
        .first()
        .ok_or_else(|| TlsError::NoCertificate(cert.to_owned()))?;
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem(key, e))?;
    Ok(Identity {
        chain,
        key,
        fingerprint,
        cert_path: cert.to_owned(),
        generated: false,
    })
}

/// The certificate in `dir` (`cert.pem`, `key.pem`), created self-signed for `localhost`
/// and `127.0.0.1` when missing, with its fingerprint written to `cert.sha256`.
pub fn load_or_generate(dir: &Path) -> Result<Identity, TlsError> {
    let (cert_path, key_path, fp_path) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("cert.sha256"),
    );
    if cert_path.exists() && key_path.exists() {
        check_private(&key_path)?;
        let id = load(&cert_path, &key_path)?;
        write(&fp_path, format!("{}\n", id.fingerprint).as_bytes())?;
        return Ok(Identity {
            generated: false,
            ..id
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let der = made.cert.der().clone();
    let fingerprint = fingerprint(&der);
    write(&cert_path, made.cert.pem().as_bytes())?;
    write_private(&key_path, made.signing_key.serialize_pem().as_bytes())?;
    write(&fp_path, format!("{fingerprint}\n").as_bytes())?;
    let key =
        PrivateKeyDer::try_from(made.signing_key.serialize_der()).map_err(|m| TlsError::Pem {
            path: key_path,
            message: m.to_owned(),
        })?;
    Ok(Identity {
        chain: vec![der],
        key,
        fingerprint,
        cert_path,
        generated: true,
    })
}

/// Refuses a private key other users may read (group or world bits set): the server writes
/// its own 0600, so looser bits mean an older version or somebody else made it readable.
fn check_private(path: &Path) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TlsError::KeyPermissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    std::fs::write(path, bytes).map_err(|source| TlsError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes a secret readable by its owner only (mode 0600 on Unix), from its creation on:
/// no moment where another user could open it. An existing file is replaced.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let err = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    // A file left over with looser permissions would keep them: start from a new one.
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(err)?;
    file.write_all(bytes).map_err(err)
}

/// How lazily each client may acknowledge the server's packets (the QUIC ACK frequency
/// extension; quinn clients honour it). The server sends a snapshot when a client's input
/// arrives, so the client's next input is due at most one calm input period (3 ticks) after
/// the snapshot; an ACK that may wait that long rides in the input instead of a packet of
/// its own, which the server would have to receive. quinn clamps the delay it requests to
/// `max(RTT, 25 ms)`, so on paths with a round trip under the input period some ACK-only
/// packets remain (docs/performance-wire.md); losses of the control stream are detected at
/// most that much later.
fn client_ack_frequency() -> quinn_proto::AckFrequencyConfig {
    let mut config = quinn_proto::AckFrequencyConfig::default();
    config
        .ack_eliciting_threshold(quinn_proto::VarInt::from_u32(8))
        .max_ack_delay(Some(std::time::Duration::from_millis(100)));
    config
}

/// The QUIC server configuration: TLS 1.3 only, ALPN `tower/1`, datagrams on, one
/// bidirectional stream per connection (the control stream).
pub fn server_config(identity: &Identity) -> Result<quinn_proto::ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    tls.alpn_protocols = vec![tower_protocol::ALPN.to_vec()];
    tls.max_early_data_size = 0;
    let crypto = quinn_proto::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn_proto::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn_proto::TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(1u8.into())
        .max_concurrent_uni_streams(0u8.into())
        .keep_alive_interval(Some(std::time::Duration::from_secs(5)))
        .max_idle_timeout(Some(quinn_proto::IdleTimeout::from(
            quinn_proto::VarInt::from_u32(15_000),
        )))
        .datagram_receive_buffer_size(Some(64 * 1024))
        .datagram_send_buffer_size(256 * 1024)
        .ack_frequency_config(Some(client_ack_frequency()));
    config.transport_config(Arc::new(transport));
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_written_reused_and_fingerprinted() {
        let dir =
            std::env::temp_dir().join(format!("tower-tls-{}-{}", std::process::id(), line!()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = load_or_generate(&dir).expect("generate");
        assert!(a.generated);
        assert_eq!(a.fingerprint.len(), 64);
        assert_eq!(a.fingerprint, fingerprint(&a.chain[0]));
        let written = std::fs::read_to_string(dir.join("cert.sha256")).expect("fingerprint file");
        assert_eq!(written.trim(), a.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(dir.join("key.pem")).expect("written");
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the private key is readable by its owner only");
        }
        let b = load_or_generate(&dir).expect("reuse");
        assert!(!b.generated);
        assert_eq!(a.fingerprint, b.fingerprint);
        server_config(&b).expect("quinn accepts it");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_other_users_can_read_is_refused_not_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tower-tls-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = load_or_generate(&dir).expect("generate");
        let key = dir.join("key.pem");
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let e = load_or_generate(&dir).err().expect("refused");
            assert!(
                matches!(&e, TlsError::KeyPermissions { mode: m, .. } if *m == mode),
                "{e}"
            );
            let text = e.to_string();
            assert!(
                text.contains("key.pem") && text.contains("chmod 600"),
                "{text}"
            );
        }
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let again = load_or_generate(&dir).expect("reused once private");
        assert_eq!(again.fingerprint, made.fingerprint);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_certificate_file_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("tower-tls-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (c, k) = (dir.join("c.pem"), dir.join("k.pem"));
        std::fs::write(&c, "not a certificate").expect("write");
        std::fs::write(&k, "not a key").expect("write");
        let e = load(&c, &k).err().expect("rejected");
        assert!(e.to_string().contains("c.pem"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
