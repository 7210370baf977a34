//! Whether this process runs beside an Agones SDK sidecar, and where it listens.

use thiserror::Error;

/// The sidecar's REST port when `AGONES_SDK_HTTP_PORT` is not set (Agones' default).
pub const DEFAULT_HTTP_PORT: u16 = 9358;

/// Agones sets both variables on every game server container it starts.
const HTTP_PORT_VAR: &str = "AGONES_SDK_HTTP_PORT";
const GRPC_PORT_VAR: &str = "AGONES_SDK_GRPC_PORT";

/// Where the SDK sidecar's REST API listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgonesEnv {
    pub host: String,
    pub http_port: u16,
}

impl AgonesEnv {
    /// The sidecar on this machine at `port` (what a test passes for its fake).
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            http_port: port,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}:{}", self.host, self.http_port)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EnvError {
    #[error("{var}={value:?} is not a TCP port")]
    BadPort { var: &'static str, value: String },
}

/// `Ok(None)` when no Agones variable is set: the server runs without Agones.
pub fn from_env() -> Result<Option<AgonesEnv>, EnvError> {
    from_vars(|name| std::env::var(name).ok())
}

/// [`from_env`] over any variable lookup (pure, for tests).
pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<AgonesEnv>, EnvError> {
    let http = var(HTTP_PORT_VAR).filter(|v| !v.is_empty());
    let grpc = var(GRPC_PORT_VAR).filter(|v| !v.is_empty());
    if http.is_none() && grpc.is_none() {
        return Ok(None);
    }
    let http_port = match http {
        None => DEFAULT_HTTP_PORT,
        Some(value) => match value.trim().parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => {
                return Err(EnvError::BadPort {
                    var: HTTP_PORT_VAR,
                    value,
                });
            }
        },
    };
    // The sidecar listens on the pod's loopback; "localhost" is what Agones documents.
    Ok(Some(AgonesEnv {
        host: "localhost".to_owned(),
        http_port,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn absent_without_agones_variables() {
        assert_eq!(from_vars(lookup(&[])), Ok(None));
        assert_eq!(from_vars(lookup(&[("AGONES_SDK_HTTP_PORT", "")])), Ok(None));
    }

    #[test]
    fn reads_the_http_port() {
        let env = from_vars(lookup(&[("AGONES_SDK_HTTP_PORT", "9400")]))
            .unwrap()
            .unwrap();
        assert_eq!(env.http_port, 9400);
        assert_eq!(env.base_url(), "http://localhost:9400");
    }

    #[test]
    fn grpc_port_alone_means_agones_on_the_default_http_port() {
        let env = from_vars(lookup(&[("AGONES_SDK_GRPC_PORT", "9357")]))
            .unwrap()
            .unwrap();
        assert_eq!(env.http_port, DEFAULT_HTTP_PORT);
    }

    #[test]
    fn refuses_a_bad_port() {
        for bad in ["x", "0", "70000", "-1"] {
            assert!(matches!(
                from_vars(lookup(&[("AGONES_SDK_HTTP_PORT", bad)])),
                Err(EnvError::BadPort { .. })
            ));
        }
    }
}
