//! Game-server tickets, sans-IO: the caller passes "now", so every rule is tested by stepping.
//!
//! A ticket is an HS256 JWT minted by the Nakama matchmaker hook (`nakama/modules/
//! tower_matchmaker.lua`) with the key shared by Nakama and the game servers. It is accepted
//! once, by the server it names, before it expires, and only if it is short-lived. It also
//! names the server's *instance* (random per process start, announced in the registry
//! heartbeat): the replay memory lives in the process, so a ticket accepted before a restart
//! must not be good after it, and the new instance id guarantees that.

use crate::model::AuthError;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// Longest lifetime (exp − iat) a ticket may claim.
pub const MAX_TICKET_LIFETIME_SECS: u64 = 60;
/// Tolerated clock difference between Nakama and this server.
pub const CLOCK_SKEW_SECS: u64 = 5;

/// What a ticket says. Claim names are short because every client carries them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClaims {
    /// Nakama user id.
    pub sub: String,
    /// Nakama username.
    pub usr: String,
    /// The game server this ticket is for.
    pub srv: String,
    /// The instance (process start) of that server the ticket was minted for.
    pub ins: String,
    /// Unique id, remembered until expiry to refuse a replay.
    pub jti: String,
    /// Issued at / expires at, Unix seconds.
    pub iat: u64,
    pub exp: u64,
}

impl TicketClaims {
    /// The claims of a ticket WITHOUT checking its signature: for tests and tools that
    /// inspect a ticket (what it names), never for accepting one.
    pub fn unverified(token: &str) -> Result<TicketClaims, AuthError> {
        jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|e| AuthError::BadTicket(format!("malformed: {e}")))
    }
}

/// Signs a ticket (what the Nakama module does; used by tests and tools).
pub fn sign_ticket(key: &[u8], claims: &TicketClaims) -> Result<String, AuthError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .map_err(|e| AuthError::BadTicket(format!("cannot sign: {e}")))
}

/// Ids of accepted tickets until they expire. Bounded: when `capacity` unexpired tickets are
/// remembered, new ones are refused (as unavailable) rather than forgetting a live id.
struct ReplayGuard {
    capacity: usize,
    by_id: HashMap<String, u64>,
    by_expiry: BTreeSet<(u64, String)>,
}

impl ReplayGuard {
    fn new(capacity: usize) -> ReplayGuard {
        ReplayGuard {
            capacity: capacity.max(1),
            by_id: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    fn forget_expired(&mut self, now: u64) {
        while let Some((exp, id)) = self.by_expiry.first().cloned() {
            if exp > now {
                break;
            }
            self.by_expiry.pop_first();
            self.by_id.remove(&id);
        }
    }

    fn remember(&mut self, id: &str, exp: u64, now: u64) -> Result<(), AuthError> {
        self.forget_expired(now);
        if self.by_id.contains_key(id) {
            return Err(AuthError::Replayed);
        }
        if self.by_id.len() >= self.capacity {
            return Err(AuthError::Unavailable(
                "too many recent tickets; retry shortly".into(),
            ));
        }
        self.by_id.insert(id.to_owned(), exp);
        self.by_expiry.insert((exp, id.to_owned()));
        Ok(())
    }

    fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// Verifies tickets for one game server.
pub struct TicketVerifier {
    key: DecodingKey,
    server_id: String,
    instance: String,
    validation: Validation,
    used: ReplayGuard,
}

impl TicketVerifier {
    pub fn new(
        key: &[u8],
        server_id: &str,
        instance: &str,
        replay_capacity: usize,
    ) -> TicketVerifier {
        let mut validation = Validation::new(Algorithm::HS256);
        // Time rules are checked below against the caller's clock, not the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.required_spec_claims.clear();
        TicketVerifier {
            key: DecodingKey::from_secret(key),
            server_id: server_id.to_owned(),
            instance: instance.to_owned(),
            validation,
            used: ReplayGuard::new(replay_capacity),
        }
    }

    /// Checks signature, lifetime, expiry, server and replay, in that order, and spends the
    /// ticket: [`TicketVerifier::check`] then [`TicketVerifier::spend`].
    pub fn verify(&mut self, token: &str, now: u64) -> Result<TicketClaims, AuthError> {
        let claims = self.check(token, now)?;
        self.spend(&claims, now)?;
        Ok(claims)
    }

    /// Every check of [`TicketVerifier::verify`] without spending the ticket, so that the
    /// caller can make further checks (is the session live?) before spending it: a ticket
    /// presented with somebody else's session is refused without being burnt.
    pub fn check(&mut self, token: &str, now: u64) -> Result<TicketClaims, AuthError> {
        let claims = jsonwebtoken::decode::<TicketClaims>(token, &self.key, &self.validation)
            .map_err(|e| {
                AuthError::BadTicket(match e.kind() {
                    ErrorKind::InvalidSignature => {
                        "bad signature (not signed with this tower's key)".into()
                    }
                    ErrorKind::InvalidAlgorithm => "wrong algorithm (HS256 expected)".into(),
                    _ => format!("malformed: {e}"),
                })
            })?
            .claims;
        if claims.sub.is_empty() || claims.jti.is_empty() {
            return Err(AuthError::BadTicket("missing user or ticket id".into()));
        }
        if claims.exp <= claims.iat || claims.exp - claims.iat > MAX_TICKET_LIFETIME_SECS {
            return Err(AuthError::BadTicket(format!(
                "lifetime must be 1..={MAX_TICKET_LIFETIME_SECS} s"
            )));
        }
        if claims.iat > now + CLOCK_SKEW_SECS {
            return Err(AuthError::BadTicket("issued in the future".into()));
        }
        if claims.exp + CLOCK_SKEW_SECS <= now {
            return Err(AuthError::BadTicket(format!(
                "expired {} s ago",
                now - claims.exp
            )));
        }
        if claims.srv != self.server_id {
            return Err(AuthError::BadTicket(format!(
                "ticket is for game server {:?}, this is {:?}",
                claims.srv, self.server_id
            )));
        }
        if claims.ins != self.instance {
            return Err(AuthError::BadTicket(
                "ticket is for an earlier instance of this server (it restarted since)".into(),
            ));
        }
        self.used.forget_expired(now);
        if self.used.by_id.contains_key(&claims.jti) {
            return Err(AuthError::Replayed);
        }
        Ok(claims)
    }

    /// Marks a checked ticket as used; `Replayed` if it was spent meanwhile.
    pub fn spend(&mut self, claims: &TicketClaims, now: u64) -> Result<(), AuthError> {
        self.used
            .remember(&claims.jti, claims.exp + CLOCK_SKEW_SECS, now)
    }

    /// Ticket ids remembered right now (bounded by the replay capacity).
    pub fn remembered(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key";
    const NOW: u64 = 1_800_000_000;

    fn claims(jti: &str) -> TicketClaims {
        TicketClaims {
            sub: "1b7d4ad6-0f1e-4d55-8e47-3f2a9b6c0d11".into(),
            usr: "ann".into(),
            srv: "s1".into(),
            ins: "i1".into(),
            jti: jti.into(),
            iat: NOW,
            exp: NOW + 30,
        }
    }

    fn token(c: &TicketClaims) -> String {
        sign_ticket(KEY, c).expect("signing works")
    }

    fn bad(r: Result<TicketClaims, AuthError>, needle: &str) {
        match r {
            Err(AuthError::BadTicket(m)) => assert!(m.contains(needle), "{m:?} lacks {needle:?}"),
            other => panic!("expected BadTicket({needle}), got {other:?}"),
        }
    }

    #[test]
    fn a_good_ticket_is_accepted_once() {
        let mut v = TicketVerifier::new(KEY, "s1", "i1", 100);
        let t = token(&claims("a"));
        assert_eq!(v.verify(&t, NOW + 1), Ok(claims("a")));
        assert_eq!(v.verify(&t, NOW + 2), Err(AuthError::Replayed));
        assert_eq!(v.remembered(), 1);
    }

    #[test]
    fn check_does_not_spend_and_a_double_spend_is_refused() {
        let mut v = TicketVerifier::new(KEY, "s1", "i1", 100);
        let t = token(&claims("a"));
        let first = v.check(&t, NOW).expect("valid");
        let second = v.check(&t, NOW).expect("still valid: not spent");
        assert_eq!(v.spend(&first, NOW), Ok(()));
        assert_eq!(
            v.spend(&second, NOW),
            Err(AuthError::Replayed),
            "two racing presentations: one wins"
        );
        assert_eq!(v.check(&t, NOW), Err(AuthError::Replayed));
    }

    #[test]
    fn forged_tickets_are_refused() {
        let mut v = TicketVerifier::new(KEY, "s1", "i1", 100);
        let forged = sign_ticket(b"other-key", &claims("a")).expect("sign");
        bad(v.verify(&forged, NOW), "bad signature");
        bad(v.verify("not.a.jwt", NOW), "malformed");
        bad(v.verify("", NOW), "malformed");
        // Payload swapped under a valid signature.
        let good = token(&claims("a"));
        let other = token(&TicketClaims {
            srv: "s1".into(),
            usr: "eve".into(),
            ..claims("b")
        });
        let parts: Vec<&str> = good.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let spliced = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
        bad(v.verify(&spliced, NOW), "bad signature");
        // alg=none is never accepted.
        let none = format!("eyJhbGciOiJub25lIn0.{}.", parts[1]);
        assert!(matches!(v.verify(&none, NOW), Err(AuthError::BadTicket(_))));
        assert_eq!(v.remembered(), 0, "refused tickets are not spent");
    }

    #[test]
    fn expired_and_overlong_tickets_are_refused() {
        let mut v = TicketVerifier::new(KEY, "s1", "i1", 100);
        let t = token(&claims("a"));
        bad(v.verify(&t, NOW + 30 + CLOCK_SKEW_SECS), "expired");
        let long = TicketClaims {
            exp: NOW + MAX_TICKET_LIFETIME_SECS + 1,
            ..claims("b")
        };
        bad(v.verify(&token(&long), NOW), "lifetime");
        let backwards = TicketClaims {
            exp: NOW,
            ..claims("c")
        };
        bad(v.verify(&token(&backwards), NOW), "lifetime");
        let future = TicketClaims {
            iat: NOW + 100,
            exp: NOW + 130,
            ..claims("d")
        };
        bad(v.verify(&token(&future), NOW), "future");
        // Inside the skew window it is still fine.
        assert!(v.verify(&t, NOW + 30 + CLOCK_SKEW_SECS - 1).is_ok());
    }

    #[test]
    fn a_ticket_for_another_server_is_refused() {
        let mut v = TicketVerifier::new(KEY, "s2", "i1", 100);
        bad(
            v.verify(&token(&claims("a")), NOW),
            "for game server \"s1\"",
        );
    }

    #[test]
    fn a_ticket_for_an_earlier_instance_is_refused() {
        let t = token(&claims("a"));
        let mut before = TicketVerifier::new(KEY, "s1", "i1", 100);
        assert!(before.verify(&t, NOW).is_ok());
        // The server restarts: its replay memory is gone, and so is its instance id.
        let mut after = TicketVerifier::new(KEY, "s1", "i2", 100);
        bad(after.verify(&t, NOW + 1), "earlier instance");
    }

    #[test]
    fn replay_memory_is_bounded_and_forgets_expired_ids() {
        let mut v = TicketVerifier::new(KEY, "s1", "i1", 2);
        assert!(v.verify(&token(&claims("a")), NOW).is_ok());
        assert!(v.verify(&token(&claims("b")), NOW).is_ok());
        assert!(matches!(
            v.verify(&token(&claims("c")), NOW),
            Err(AuthError::Unavailable(_))
        ));
        // Once a and b expired they are forgotten, and a new ticket fits.
        let later = NOW + 40;
        let c = TicketClaims {
            iat: later,
            exp: later + 30,
            ..claims("c")
        };
        assert!(v.verify(&token(&c), later).is_ok());
        assert_eq!(v.remembered(), 1);
    }
}
