//! Thin gRPC shell over Nakama's `nakama.api.Nakama` service (our subset, see
//! `meta/proto/nakama_api.proto`).

use super::MetaError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
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

/// A cheap-to-clone Nakama client: runtime RPCs with the http_key (never a player's session).
#[derive(Clone)]
pub struct NakamaClient {
    grpc: pb::nakama_client::NakamaClient<Channel>,
    http_key: String,
}

impl NakamaClient {
    /// Prepares a client; the connection is made on first use and re-made after Nakama
    /// restarts.
    pub fn connect_lazy(url: &str, http_key: &str, timeout: Duration) -> Result<Self, MetaError> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| MetaError::Config(format!("grpc_url {url:?}: {e}")))?
            .connect_timeout(timeout)
            .timeout(timeout)
            .tcp_nodelay(true);
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
        assert!(matches!(got, Err(MetaError::Config(_))));
    }
}
