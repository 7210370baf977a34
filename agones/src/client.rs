//! The I/O shell: a small async client for the SDK sidecar's REST API (Agones v1.56,
//! `sdks/swagger/*.swagger.json`), retrying with backoff while the sidecar is not up.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use thiserror::Error;
use tokio::time::Instant;

use crate::PLAYERS_COUNTER;
use crate::env::AgonesEnv;
use crate::lifecycle::Action;
use crate::retry::RetryPolicy;
use crate::wire::{Counter, CounterUpdate, CounterUpdateBody, GameServer, KeyValue};

#[derive(Debug, Error)]
pub enum SdkError {
    /// The sidecar did not answer within the retry budget: not started, or gone.
    #[error("Agones SDK server at {url} did not answer {op} ({attempts} attempts in {elapsed:?})")]
    Unreachable {
        op: &'static str,
        url: String,
        attempts: u32,
        elapsed: Duration,
        #[source]
        source: reqwest::Error,
    },
    /// The sidecar answered with an error status (e.g. a Counter that does not exist, or a
    /// count out of `[0, capacity]`).
    #[error("Agones SDK server refused {op} with HTTP {status}: {message}")]
    Refused {
        op: &'static str,
        status: u16,
        message: String,
    },
    #[error("Agones SDK server's answer to {op} is not the documented JSON")]
    Decode {
        op: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("building the HTTP client")]
    Client(#[source] reqwest::Error),
}

impl SdkError {
    /// True when the sidecar could not be reached at all (as opposed to refusing a call).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }
}

/// A client of one SDK sidecar. Cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct SdkClient {
    http: reqwest::Client,
    base: String,
    retry: RetryPolicy,
}

/// Longest error text kept from an answer (the sidecar's are one line).
const MAX_MESSAGE: usize = 512;

impl SdkClient {
    pub fn new(env: &AgonesEnv, retry: RetryPolicy) -> Result<Self, SdkError> {
        let http = reqwest::Client::builder()
            .connect_timeout(retry.request_timeout)
            .no_proxy()
            .build()
            .map_err(SdkError::Client)?;
        Ok(Self {
            http,
            base: env.base_url(),
            retry,
        })
    }

    /// The same client with another retry policy (e.g. a short one while draining).
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self {
            retry,
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `POST /ready`: ready to take players; the fleet may allocate this server.
    pub async fn ready(&self) -> Result<(), SdkError> {
        self.post_empty("ready", "/ready").await
    }

    /// `POST /health`: one health ping. Not retried: it is sent again every period.
    pub async fn health(&self) -> Result<(), SdkError> {
        let once = self.with_retry(RetryPolicy::once(self.retry.request_timeout));
        once.post_empty("health", "/health").await
    }

    /// `POST /allocate`: this server now has players; a scale-down must not remove it.
    pub async fn allocate(&self) -> Result<(), SdkError> {
        self.post_empty("allocate", "/allocate").await
    }

    /// `POST /shutdown`: Agones deletes this server's pod.
    pub async fn shutdown(&self) -> Result<(), SdkError> {
        self.post_empty("shutdown", "/shutdown").await
    }

    /// `GET /gameserver`: state, address and ports of this server.
    pub async fn game_server(&self) -> Result<GameServer, SdkError> {
        self.call("gameserver", Method::GET, "/gameserver", None::<&()>)
            .await
    }

    /// `PUT /metadata/label`: Agones stores it as `agones.dev/sdk-<key>`.
    pub async fn set_label(&self, key: &str, value: &str) -> Result<(), SdkError> {
        let body = KeyValue {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let _: IgnoredAny = self
            .call("set_label", Method::PUT, "/metadata/label", Some(&body))
            .await?;
        Ok(())
    }

    /// `GET /v1beta1/counters/{name}`.
    pub async fn counter(&self, name: &str) -> Result<Counter, SdkError> {
        let path = format!("/v1beta1/counters/{}", path_segment(name));
        self.call("get_counter", Method::GET, &path, None::<&()>)
            .await
    }

    /// `PATCH /v1beta1/counters/{name}`; answers the Counter after the update.
    pub async fn update_counter(
        &self,
        name: &str,
        update: CounterUpdate,
    ) -> Result<Counter, SdkError> {
        let path = format!("/v1beta1/counters/{}", path_segment(name));
        let body = CounterUpdateBody::from(update);
        self.call("update_counter", Method::PATCH, &path, Some(&body))
            .await
    }

    /// Performs the SDK call of one lifecycle [`Action`]. `BeginDrain` has none: the server's
    /// shell drains (stop admitting, deregister, tell players, save) and reports it done.
    pub async fn apply(&self, action: Action) -> Result<(), SdkError> {
        let players =
            |update| async move { self.update_counter(PLAYERS_COUNTER, update).await.map(drop) };
        match action {
            Action::SetPlayersCapacity(n) => players(CounterUpdate::SetCapacity(n.into())).await,
            Action::SetPlayers(n) => players(CounterUpdate::SetCount(n.into())).await,
            Action::Ready => self.ready().await,
            Action::Allocate => self.allocate().await,
            Action::Health => self.health().await,
            Action::Shutdown { .. } => self.shutdown().await,
            Action::BeginDrain(_) => Ok(()),
        }
    }

    async fn post_empty(&self, op: &'static str, path: &str) -> Result<(), SdkError> {
        // The gateway wants a JSON body on every POST, `{}` for Empty.
        let _: IgnoredAny = self
            .call(op, Method::POST, path, Some(&serde_json::json!({})))
            .await?;
        Ok(())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, SdkError> {
        let url = format!("{}{}", self.base, path);
        let start = Instant::now();
        let mut failed = 0u32;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .timeout(self.retry.request_timeout);
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.map(|bytes| (status, bytes))
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok((status, bytes)) if status.is_success() => {
                    return serde_json::from_slice(&bytes)
                        .map_err(|source| SdkError::Decode { op, source });
                }
                // The sidecar is up but not serving yet: worth another try, like no answer.
                Ok((StatusCode::SERVICE_UNAVAILABLE, _))
                    if self.retry.should_retry(start.elapsed()) => {}
                Ok((status, bytes)) => {
                    return Err(SdkError::Refused {
                        op,
                        status: status.as_u16(),
                        message: error_message(&bytes),
                    });
                }
                Err(source) => {
                    let elapsed = start.elapsed();
                    if !self.retry.should_retry(elapsed) {
                        return Err(SdkError::Unreachable {
                            op,
                            url,
                            attempts: failed + 1,
                            elapsed,
                            source,
                        });
                    }
                    tracing::debug!(op, %url, error = %source, "Agones SDK not answering yet; retrying");
                }
            }
            failed += 1;
            let left = self.retry.budget.saturating_sub(start.elapsed());
            tokio::time::sleep(self.retry.delay(failed).min(left)).await;
        }
    }
}

/// The message of the gateway's error JSON (`{"code":5,"message":"..."}`), or the raw text.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct GatewayError {
        message: String,
    }
    let text = match serde_json::from_slice::<GatewayError>(body) {
        Ok(e) => e.message,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    text.chars().take(MAX_MESSAGE).collect()
}

/// Counter names are DNS-label-like in Agones; escape anything else rather than build a
/// different path.
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_prefers_the_gateway_message() {
        assert_eq!(
            error_message(br#"{"code":5,"message":"players Counter not found"}"#),
            "players Counter not found"
        );
        assert_eq!(error_message(b"plain text"), "plain text");
        assert_eq!(error_message(&[b'x'; 4000]).len(), MAX_MESSAGE);
    }

    #[test]
    fn counter_names_cannot_escape_the_path() {
        assert_eq!(path_segment("players"), "players");
        assert_eq!(path_segment("../ready"), "..%2Fready");
        assert_eq!(path_segment("a b?"), "a%20b%3F");
    }
}
