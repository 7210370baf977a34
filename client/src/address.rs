//! Where a client connects: an IP literal, or a host name that the shell resolves on its
//! own runtime (never on the caller's thread). Parsing and the choice among resolved
//! addresses are pure; only `shell.rs` asks the system resolver.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use thiserror::Error;

/// A game server's address as the matchmaker or a user gives it: `IP:port`, `[IPv6]:port`
/// or `host.name:port`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerAddress {
    /// Ready to use; nothing to resolve.
    Ip(SocketAddr),
    /// Resolved asynchronously when the connection starts (see [`pick_resolved`]).
    Host {
        /// Host name, e.g. "game.example.com".
        host: String,
        /// UDP port.
        port: u16,
    },
}

/// Why a server address did not parse.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AddressParseError {
    #[error("server address {0:?} has no port (expected host:port, IP:port or [IPv6]:port)")]
    NoPort(String),
    #[error("server address {0:?} has a bad port (1 to 65535)")]
    BadPort(String),
    #[error("server address {0:?}: IPv6 literals need brackets, e.g. [::1]:4433")]
    UnbracketedIpv6(String),
    #[error("server address {0:?} has an invalid host name")]
    BadHost(String),
}

/// Longest DNS name (RFC 1035) and label.
const MAX_HOST_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

fn valid_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= MAX_HOST_LEN
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl ServerAddress {
    /// Parses `IP:port`, `[IPv6]:port` or `host:port` (port 1-65535); a bare IPv6 address
    /// without brackets is refused rather than guessed at.
    pub fn parse(text: &str) -> Result<Self, AddressParseError> {
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return if addr.port() == 0 {
                Err(AddressParseError::BadPort(text.into()))
            } else {
                Ok(ServerAddress::Ip(addr))
            };
        }
        if text.parse::<IpAddr>().is_ok() || text.starts_with('[') {
            // An IP without a port, or a bracketed literal that did not parse above.
            return Err(AddressParseError::NoPort(text.into()));
        }
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| AddressParseError::NoPort(text.into()))?;
        if host.contains(':') {
            return Err(
                if host.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                    AddressParseError::UnbracketedIpv6(text.into())
                } else {
                    AddressParseError::BadHost(text.into())
                },
            );
        }
        let port = match port.parse::<u16>() {
            Ok(p) if p != 0 => p,
            _ => return Err(AddressParseError::BadPort(text.into())),
        };
        if !valid_host(host) {
            return Err(AddressParseError::BadHost(text.into()));
        }
        Ok(ServerAddress::Host {
            host: host.to_owned(),
            port,
        })
    }

    /// From a host (name or IP literal, IPv6 with or without brackets) and a port given
    /// apart, as a matchmaker announces them.
    pub fn from_parts(host: &str, port: u16) -> Result<Self, AddressParseError> {
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return ServerAddress::parse(&SocketAddr::new(ip, port).to_string());
        }
        ServerAddress::parse(&format!("{host}:{port}"))
    }

    /// The TLS server name (SNI) that fits this address: the host name, or "localhost" for
    /// an IP literal (certificate pinning does not check names).
    pub fn tls_name(&self) -> &str {
        match self {
            ServerAddress::Ip(_) => "localhost",
            ServerAddress::Host { host, .. } => host.strip_suffix('.').unwrap_or(host),
        }
    }
}

impl From<SocketAddr> for ServerAddress {
    fn from(addr: SocketAddr) -> Self {
        ServerAddress::Ip(addr)
    }
}

impl FromStr for ServerAddress {
    type Err = AddressParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ServerAddress::parse(text)
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddress::Ip(addr) => write!(f, "{addr}"),
            ServerAddress::Host { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// The address to connect to among those a name resolved to: the first IPv4 one, else the
/// first. A game server listens on one socket (127.0.0.1 by default) and a name such as
/// `localhost` often resolves to `::1` first, so IPv4 is the safe default; an IPv6-only name
/// still works.
pub fn pick_resolved(addrs: impl IntoIterator<Item = SocketAddr>) -> Option<SocketAddr> {
    let mut first = None;
    for addr in addrs {
        if addr.is_ipv4() {
            return Some(addr);
        }
        first.get_or_insert(addr);
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str, port: u16) -> ServerAddress {
        ServerAddress::Host {
            host: h.into(),
            port,
        }
    }

    #[test]
    fn literals_and_names_parse() {
        assert_eq!(
            ServerAddress::parse("127.0.0.1:4433"),
            Ok(ServerAddress::Ip(SocketAddr::from(([127, 0, 0, 1], 4433))))
        );
        assert!(matches!(
            ServerAddress::parse("[::1]:4433"),
            Ok(ServerAddress::Ip(a)) if a.is_ipv6()
        ));
        assert_eq!(
            ServerAddress::parse("localhost:7"),
            Ok(host("localhost", 7))
        );
        assert_eq!(
            ServerAddress::parse("eu-1.game.example.com:4433"),
            Ok(host("eu-1.game.example.com", 4433))
        );
        assert_eq!(
            ServerAddress::parse("game.example.com.:1"),
            Ok(host("game.example.com.", 1))
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        use AddressParseError::*;
        for (text, want) in [
            ("127.0.0.1", NoPort("127.0.0.1".into())),
            ("::1", NoPort("::1".into())),
            ("[::1]", NoPort("[::1]".into())),
            ("example.com", NoPort("example.com".into())),
            ("::1:4433", NoPort("::1:4433".into())), // a valid IPv6 address, no port
            ("fe80::1:x:4433", BadHost("fe80::1:x:4433".into())),
            ("1::2::3:4433", UnbracketedIpv6("1::2::3:4433".into())),
            ("example.com:0", BadPort("example.com:0".into())),
            ("127.0.0.1:0", BadPort("127.0.0.1:0".into())),
            ("example.com:99999", BadPort("example.com:99999".into())),
            ("example.com:", BadPort("example.com:".into())),
            (":4433", BadHost(":4433".into())),
            ("-bad.example:1", BadHost("-bad.example:1".into())),
            ("a..b:1", BadHost("a..b:1".into())),
            ("sp ace:1", BadHost("sp ace:1".into())),
            ("http://x:1", BadHost("http://x:1".into())),
        ] {
            assert_eq!(ServerAddress::parse(text), Err(want), "{text}");
        }
        let long = format!("{}.com:1", "a".repeat(64));
        assert!(matches!(ServerAddress::parse(&long), Err(BadHost(_))));
        let too_long = format!("{}:1", ["abc"; 64].join("."));
        assert!(matches!(ServerAddress::parse(&too_long), Err(BadHost(_))));
    }

    #[test]
    fn parts_from_a_matchmaker_are_joined() {
        assert_eq!(
            ServerAddress::from_parts("::1", 9),
            Ok(ServerAddress::Ip("[::1]:9".parse().expect("v6")))
        );
        assert_eq!(
            ServerAddress::from_parts("[::1]", 9),
            ServerAddress::from_parts("::1", 9)
        );
        assert_eq!(
            ServerAddress::from_parts("10.1.2.3", 9),
            Ok(ServerAddress::Ip(([10, 1, 2, 3], 9).into()))
        );
        assert_eq!(
            ServerAddress::from_parts("game.example.com", 9),
            Ok(host("game.example.com", 9))
        );
        assert!(ServerAddress::from_parts("game.example.com", 0).is_err());
        assert!(ServerAddress::from_parts("bad\0host", 9).is_err());
        assert!(ServerAddress::from_parts("a:b", 9).is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in ["127.0.0.1:4433", "[::1]:4433", "game.example.com:4433"] {
            let parsed = ServerAddress::parse(text).expect("valid");
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parsed.to_string().parse::<ServerAddress>(), Ok(parsed));
        }
    }

    #[test]
    fn tls_name_is_the_host_name() {
        assert_eq!(host("game.example.com.", 1).tls_name(), "game.example.com");
        assert_eq!(
            ServerAddress::from(SocketAddr::from(([10, 0, 0, 1], 1))).tls_name(),
            "localhost"
        );
    }

    #[test]
    fn ipv4_is_preferred_among_resolved_addresses() {
        let v6: SocketAddr = "[::1]:9".parse().expect("v6");
        let v4: SocketAddr = "127.0.0.1:9".parse().expect("v4");
        let v4b: SocketAddr = "127.0.0.2:9".parse().expect("v4");
        assert_eq!(pick_resolved([v6, v4, v4b]), Some(v4));
        assert_eq!(pick_resolved([v6]), Some(v6));
        assert_eq!(pick_resolved([]), None);
    }
}
