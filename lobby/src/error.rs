use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LobbyError {
    #[error("bad argument: {0}")]
    BadArgument(String),
    #[error("cannot reach nakama: {0}")]
    Http(String),
    #[error("nakama answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from nakama: {0}")]
    BadAnswer(String),
    #[error("realtime socket: {0}")]
    Realtime(String),
    #[error("no game server available: {0}")]
    NoServer(String),
    #[error("no match within {0:?}")]
    Timeout(Duration),
}

impl From<reqwest::Error> for LobbyError {
    fn from(e: reqwest::Error) -> LobbyError {
        if e.is_decode() {
            LobbyError::BadAnswer(e.to_string())
        } else {
            LobbyError::Http(e.to_string())
        }
    }
}
