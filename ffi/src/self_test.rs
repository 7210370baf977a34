//! The load-time self-test at the C ABI: procgen regenerates its embedded golden floors
//! once per process, on the first call of `tower_self_test`, of the floor API
//! (`tower_floor_generate*`, `tower_floor_verify`) or of `tower_client_connect`. On a
//! mismatch that call and every later one fails with `TOWER_STATUS_SELF_TEST_FAILED`, and
//! `tower_last_error()` names the platform and generator version: a build whose floors
//! differ never hands out or accepts a floor.

use std::sync::OnceLock;

use crate::error::{FfiError, TowerStatus, guard};

/// The outcome of the one run, shared by every thread.
static OUTCOME: OnceLock<Result<(), procgen::SelfTestError>> = OnceLock::new();

/// Runs the self-test on first use; afterwards returns the cached outcome.
pub(crate) fn ensure() -> Result<(), FfiError> {
    checked(OUTCOME.get_or_init(procgen::self_test))
}

/// The outcome as the ABI reports it (separate from the cache so a mismatch is testable).
fn checked(outcome: &Result<(), procgen::SelfTestError>) -> Result<(), FfiError> {
    outcome.clone().map_err(FfiError::SelfTest)
}

/// Regenerates a handful of golden floors embedded in the library and compares their
/// hashes (about 1 ms, once per process; later calls return the first outcome). Returns
/// `TOWER_STATUS_SELF_TEST_FAILED` when this build's floors differ from every other
/// platform's; `tower_last_error()` then names the platform, the generator version and
/// the first differing floor, and every floor function fails the same way. Hosts call it
/// at start-up to fail early; the floor functions run it on their first call anyway.
#[unsafe(no_mangle)]
pub extern "C" fn tower_self_test() -> TowerStatus {
    guard(ensure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::last_error;

    #[test]
    fn the_self_test_passes_on_this_build() {
        assert_eq!(tower_self_test(), TowerStatus::Ok);
        assert_eq!(tower_self_test(), TowerStatus::Ok);
    }

    #[test]
    fn a_mismatch_is_a_status_and_a_message_naming_platform_and_version() {
        let mut wrong = procgen::GOLDEN_FLOORS;
        wrong[0].hash.0[0] ^= 0x80;
        let outcome = procgen::check_floors(&wrong, procgen::floor_hash);
        assert!(outcome.is_err());
        let status = guard(|| checked(&outcome));
        assert_eq!(status, TowerStatus::SelfTestFailed);
        let message = last_error();
        assert!(
            message.starts_with("floor self-test failed on "),
            "{message}"
        );
        assert!(
            message.contains(procgen::Platform::current().target),
            "{message}"
        );
        assert!(
            message.contains(&format!("generator version {}", procgen::GENERATOR_VERSION)),
            "{message}"
        );
        assert!(message.contains("seed 0 floor 0"), "{message}");
    }
}
