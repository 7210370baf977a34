//! The JSON the SDK sidecar speaks (Agones v1.56, `sdks/swagger/sdk.swagger.json` and
//! `beta.swagger.json`). The sidecar's gateway writes proto field names, every field (zero
//! values too), and int64 as JSON strings; it reads int64 as strings or numbers.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `GET /gameserver`: the parts of the GameServer resource the SDK exports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameServer {
    #[serde(default)]
    pub object_meta: ObjectMeta,
    #[serde(default)]
    pub status: Status,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub state: GameServerState,
    /// The node's address players connect to.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub counters: BTreeMap<String, CounterStatus>,
}

impl Status {
    /// The host port Agones mapped for the container port named `name`.
    pub fn port(&self, name: &str) -> Option<u16> {
        self.ports
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| u16::try_from(p.port).ok())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub port: i32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterStatus {
    #[serde(default, with = "int64")]
    pub count: i64,
    #[serde(default, with = "int64")]
    pub capacity: i64,
}

/// The GameServer states Agones documents (`GameServerState` in the CRD reference). A
/// state this crate does not know is kept as text rather than refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GameServerState {
    PortAllocation,
    Creating,
    Starting,
    #[default]
    Scheduled,
    RequestReady,
    Ready,
    Reserved,
    Allocated,
    Shutdown,
    Error,
    Unhealthy,
    Other(String),
}

impl GameServerState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::PortAllocation => "PortAllocation",
            Self::Creating => "Creating",
            Self::Starting => "Starting",
            Self::Scheduled => "Scheduled",
            Self::RequestReady => "RequestReady",
            Self::Ready => "Ready",
            Self::Reserved => "Reserved",
            Self::Allocated => "Allocated",
            Self::Shutdown => "Shutdown",
            Self::Error => "Error",
            Self::Unhealthy => "Unhealthy",
            Self::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "PortAllocation" => Self::PortAllocation,
            "Creating" => Self::Creating,
            "Starting" => Self::Starting,
            "Scheduled" => Self::Scheduled,
            "RequestReady" => Self::RequestReady,
            "Ready" => Self::Ready,
            "Reserved" => Self::Reserved,
            "Allocated" => Self::Allocated,
            "Shutdown" => Self::Shutdown,
            "Error" => Self::Error,
            "Unhealthy" => Self::Unhealthy,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for GameServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GameServerState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GameServerState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// `GET /v1beta1/counters/{name}` and the answer to a PATCH.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    #[serde(default)]
    pub name: String,
    #[serde(default, with = "int64")]
    pub count: i64,
    #[serde(default, with = "int64")]
    pub capacity: i64,
}

/// One change to a Counter (`PATCH /v1beta1/counters/{name}`). The lifecycle sets absolute
/// counts: a set is idempotent, so a retried request cannot count a player twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterUpdate {
    SetCount(i64),
    SetCapacity(i64),
    /// Increment (positive) or decrement (negative).
    Diff(i64),
}

/// The PATCH body (`CounterUpdateRequest`; the name travels in the path).
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CounterUpdateBody {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_int64")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_int64")]
    pub capacity: Option<i64>,
    #[serde(
        default,
        rename = "countDiff",
        alias = "count_diff",
        skip_serializing_if = "is_zero",
        with = "int64"
    )]
    pub count_diff: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl From<CounterUpdate> for CounterUpdateBody {
    fn from(u: CounterUpdate) -> Self {
        match u {
            CounterUpdate::SetCount(n) => Self {
                count: Some(n),
                ..Self::default()
            },
            CounterUpdate::SetCapacity(n) => Self {
                capacity: Some(n),
                ..Self::default()
            },
            CounterUpdate::Diff(n) => Self {
                count_diff: n,
                ..Self::default()
            },
        }
    }
}

/// `PUT /metadata/label` and `/metadata/annotation`.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyValue {
    pub key: String,
    pub value: String,
}

/// int64 as the gateway writes it (a string), read from a string or a number.
pub(crate) mod int64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(n: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&n.to_string())
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Num(i64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Either::deserialize(d)? {
            Either::Num(n) => Ok(n),
            Either::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| D::Error::custom(format!("not an int64: {t:?}"))),
        }
    }
}

pub(crate) mod opt_int64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => super::int64::serialize(n, s),
            None => s.serialize_none(),
        }
    }

    #[derive(Deserialize)]
    struct Wrap(#[serde(with = "super::int64")] i64);

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_gameserver() {
        // The shape of the example answer in Agones' REST SDK reference, with a counter.
        let json = r#"{"object_meta":{"name":"local","namespace":"default","uid":"1234",
            "resource_version":"v1","generation":"1","creation_timestamp":"1531795395",
            "annotations":{"annotation":"true"},"labels":{"islocal":"true"}},
            "spec":{"health":{"disabled":false,"period_seconds":3}},
            "status":{"state":"Ready","address":"127.0.0.1","addresses":[],
            "ports":[{"name":"default","port":7777}],
            "counters":{"players":{"count":"3","capacity":"64"}},"lists":{}}}"#;
        let gs: GameServer = serde_json::from_str(json).unwrap();
        assert_eq!(gs.status.state, GameServerState::Ready);
        assert_eq!(gs.status.port("default"), Some(7777));
        assert_eq!(
            gs.status.counters["players"],
            CounterStatus {
                count: 3,
                capacity: 64
            }
        );
        assert_eq!(gs.object_meta.labels["islocal"], "true");
    }

    #[test]
    fn counter_update_bodies() {
        let body = |u| serde_json::to_string(&CounterUpdateBody::from(u)).unwrap();
        assert_eq!(body(CounterUpdate::SetCount(4)), r#"{"count":"4"}"#);
        assert_eq!(body(CounterUpdate::SetCapacity(64)), r#"{"capacity":"64"}"#);
        assert_eq!(body(CounterUpdate::Diff(-1)), r#"{"countDiff":"-1"}"#);
        let back: CounterUpdateBody =
            serde_json::from_str(r#"{"count":7,"count_diff":"2"}"#).unwrap();
        assert_eq!(
            back,
            CounterUpdateBody {
                count: Some(7),
                capacity: None,
                count_diff: 2
            }
        );
    }

    #[test]
    fn int64_accepts_strings_and_numbers_and_refuses_junk() {
        let c: Counter = serde_json::from_str(r#"{"name":"p","count":2,"capacity":"9"}"#).unwrap();
        assert_eq!((c.count, c.capacity), (2, 9));
        assert!(serde_json::from_str::<Counter>(r#"{"count":"two"}"#).is_err());
    }

    #[test]
    fn unknown_states_are_kept() {
        let s: GameServerState = serde_json::from_str(r#""Draining""#).unwrap();
        assert_eq!(s, GameServerState::Other("Draining".into()));
        assert_eq!(
            serde_json::to_string(&GameServerState::Allocated).unwrap(),
            r#""Allocated""#
        );
    }
}
