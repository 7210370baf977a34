//! Nakama's realtime socket (`/ws`, JSON envelopes): join the matchmaker, then wait for the
//! notification Tower's matchmaker hook sends each matched player.

use crate::error::LobbyError;
use crate::tls::{NetStream, host_of};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Notification code of a match ticket (see `nakama/modules/tower_matchmaker.lua`).
pub const NOTIFY_TICKET: i64 = 100;
/// Notification code sent instead when no live game server has room for the whole match.
pub const NOTIFY_NO_SERVER: i64 = 101;

/// Where to play, and the proof that Nakama sent us there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MatchAssignment {
    pub server_id: String,
    pub address: String,
    pub port: u16,
    #[serde(default)]
    pub fingerprint: String,
    /// HS256 JWT for this player and this server, valid until `expires_at` (Unix seconds).
    pub ticket: String,
    pub expires_at: u64,
}

pub struct Realtime {
    ws: WebSocketStream<NetStream>,
    next_cid: u64,
}

/// What one received envelope means to us.
#[derive(Debug, PartialEq)]
enum Event {
    Reply {
        cid: String,
        body: Value,
    },
    Error {
        cid: Option<String>,
        message: String,
    },
    Notification {
        code: i64,
        content: Value,
    },
    Other,
}

/// Parses an envelope into the events it carries (a `notifications` envelope may carry many).
fn parse_envelope(text: &str) -> Result<Vec<Event>, LobbyError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| LobbyError::Realtime(format!("bad envelope: {e}")))?;
    let cid = v.get("cid").and_then(Value::as_str).map(str::to_owned);
    if let Some(error) = v.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error")
            .to_owned();
        return Ok(vec![Event::Error { cid, message }]);
    }
    if let Some(list) = v
        .get("notifications")
        .and_then(|n| n.get("notifications"))
        .and_then(Value::as_array)
    {
        return Ok(list
            .iter()
            .map(|n| {
                let code = n
                    .get("code")
                    .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()));
                let content = n
                    .get("content")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or(Value::Null);
                Event::Notification {
                    code: code.unwrap_or(0),
                    content,
                }
            })
            .collect());
    }
    if let (Some(cid), Some(obj)) = (cid, v.as_object()) {
        let body = obj
            .iter()
            .find(|(k, _)| *k != "cid")
            .map(|(_, b)| b.clone())
            .unwrap_or(Value::Null);
        return Ok(vec![Event::Reply { cid, body }]);
    }
    Ok(vec![Event::Other])
}

impl Realtime {
    /// Opens `/ws` on the lobby's Nakama: over TLS with `tls` (an `https://` lobby, the
    /// same trust as its HTTP calls), else plain (a loopback lobby: `Lobby` allows no other).
    pub(crate) async fn connect(
        http_base: &str,
        token: &str,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Realtime, LobbyError> {
        let (ws_base, default_port) = if let Some(rest) = http_base.strip_prefix("https://") {
            (format!("wss://{rest}"), 443)
        } else if let Some(rest) = http_base.strip_prefix("http://") {
            (format!("ws://{rest}"), 80)
        } else {
            return Err(LobbyError::BadArgument(format!(
                "not an http(s) url: {http_base}"
            )));
        };
        let host = host_of(http_base)
            .ok_or_else(|| LobbyError::BadArgument(format!("no host in {http_base}")))?;
        let authority = http_base
            .split_once("://")
            .map_or("", |(_, r)| r.split('/').next().unwrap_or(r));
        let port = authority
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty() && !authority.ends_with(']'))
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .unwrap_or(default_port);
        let url = format!("{ws_base}/ws?lang=en&status=false&format=json&token={token}");
        let stream = NetStream::connect(host, port, tls).await?;
        let (ws, _) = tokio_tungstenite::client_async(url, stream)
            .await
            .map_err(|e| LobbyError::Realtime(format!("connect: {e}")))?;
        Ok(Realtime { ws, next_cid: 1 })
    }

    async fn send(&mut self, mut envelope: Value) -> Result<String, LobbyError> {
        let cid = self.next_cid.to_string();
        self.next_cid += 1;
        envelope["cid"] = Value::String(cid.clone());
        self.ws
            .send(Message::text(envelope.to_string()))
            .await
            .map_err(|e| LobbyError::Realtime(format!("send: {e}")))?;
        Ok(cid)
    }

    /// The next events from the socket, or a timeout error at `deadline`.
    async fn receive(
        &mut self,
        deadline: Instant,
        waited: Duration,
    ) -> Result<Vec<Event>, LobbyError> {
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| LobbyError::Timeout(waited))?;
            match frame {
                None => return Err(LobbyError::Realtime("socket closed by nakama".into())),
                Some(Err(e)) => return Err(LobbyError::Realtime(e.to_string())),
                Some(Ok(Message::Text(text))) => return parse_envelope(text.as_str()),
                Some(Ok(Message::Close(frame))) => {
                    return Err(LobbyError::Realtime(format!("closed: {frame:?}")));
                }
                Some(Ok(_)) => {} // ping/pong are answered by tungstenite
            }
        }
    }

    /// Joins Nakama's matchmaker; returns the matchmaker ticket id.
    pub async fn matchmaker_add(
        &mut self,
        min_count: u32,
        max_count: u32,
        query: &str,
    ) -> Result<String, LobbyError> {
        if min_count < 2 || max_count < min_count {
            return Err(LobbyError::BadArgument(
                "need 2 <= min_count <= max_count".into(),
            ));
        }
        let cid = self
            .send(json!({ "matchmaker_add": { "min_count": min_count, "max_count": max_count, "query": query } }))
            .await?;
        let timeout = Duration::from_secs(10);
        let deadline = Instant::now() + timeout;
        loop {
            for event in self.receive(deadline, timeout).await? {
                match event {
                    Event::Reply { cid: c, body } if c == cid => {
                        return body
                            .get("ticket")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                LobbyError::BadAnswer(format!("matchmaker_add: {body}"))
                            });
                    }
                    Event::Error {
                        cid: Some(c),
                        message,
                    } if c == cid => {
                        return Err(LobbyError::Realtime(format!(
                            "matchmaker_add refused: {message}"
                        )));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Waits for the match notification: the assignment, or `NoServer` with Nakama's reason.
    pub async fn wait_for_match(
        &mut self,
        timeout: Duration,
    ) -> Result<MatchAssignment, LobbyError> {
        let deadline = Instant::now() + timeout;
        loop {
            for event in self.receive(deadline, timeout).await? {
                match event {
                    Event::Notification {
                        code: NOTIFY_TICKET,
                        content,
                    } => {
                        return serde_json::from_value(content.clone()).map_err(|e| {
                            LobbyError::BadAnswer(format!("ticket notification {content}: {e}"))
                        });
                    }
                    Event::Notification {
                        code: NOTIFY_NO_SERVER,
                        content,
                    } => {
                        let reason = content
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("no reason given");
                        return Err(LobbyError::NoServer(reason.to_owned()));
                    }
                    Event::Error { message, .. } => return Err(LobbyError::Realtime(message)),
                    _ => {}
                }
            }
        }
    }

    /// `matchmaker_add` (query `*`) then [`Realtime::wait_for_match`].
    pub async fn find_match(
        &mut self,
        min_count: u32,
        max_count: u32,
        timeout: Duration,
    ) -> Result<MatchAssignment, LobbyError> {
        self.matchmaker_add(min_count, max_count, "*").await?;
        self.wait_for_match(timeout).await
    }

    pub async fn close(mut self) -> Result<(), LobbyError> {
        self.ws
            .close(None)
            .await
            .map_err(|e| LobbyError::Realtime(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_parse_into_events() {
        let reply =
            parse_envelope(r#"{"cid":"1","matchmaker_ticket":{"ticket":"t-1"}}"#).expect("reply");
        assert_eq!(
            reply,
            vec![Event::Reply {
                cid: "1".into(),
                body: json!({"ticket":"t-1"})
            }]
        );
        let error =
            parse_envelope(r#"{"cid":"2","error":{"code":3,"message":"nope"}}"#).expect("error");
        assert_eq!(
            error,
            vec![Event::Error {
                cid: Some("2".into()),
                message: "nope".into()
            }]
        );
        let n = parse_envelope(
            r#"{"notifications":{"notifications":[{"code":100,"content":"{\"a\":1}"},{"code":"101","content":"x"}]}}"#,
        )
        .expect("notifications");
        assert_eq!(
            n,
            vec![
                Event::Notification {
                    code: 100,
                    content: json!({"a":1})
                },
                Event::Notification {
                    code: 101,
                    content: Value::Null
                },
            ]
        );
        assert_eq!(
            parse_envelope(r#"{"status_presence_event":{}}"#).expect("other"),
            vec![Event::Other]
        );
        assert!(parse_envelope("not json").is_err());
    }
}
