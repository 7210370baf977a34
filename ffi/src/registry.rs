//! Handle tables: C sees a `u64` id, never a pointer, so a stale or forged handle is
//! detected instead of dereferenced. Ids come from one process-wide counter and are never
//! reused, so a freed id stays invalid forever and ids of different kinds never collide.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::FfiError;

/// 0 is the null handle; the first id issued is 1.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Registry<T> {
    kind: &'static str,
    live: Mutex<BTreeMap<u64, Arc<T>>>,
}

impl<T> Registry<T> {
    pub(crate) const fn new(kind: &'static str) -> Self {
        Registry {
            kind,
            live: Mutex::new(BTreeMap::new()),
        }
    }

    fn table(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<T>>> {
        // A panic while holding the lock cannot leave the map half-updated (every
        // operation is a single insert/remove/get), so a poisoned lock is still usable.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, value: Arc<T>) -> u64 {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        self.table().insert(id, value);
        id
    }

    pub(crate) fn get(&self, id: u64) -> Result<Arc<T>, FfiError> {
        self.table().get(&id).cloned().ok_or(FfiError::BadHandle {
            kind: self.kind,
            id,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.table().len()
    }

    pub(crate) fn remove(&self, id: u64) -> Result<Arc<T>, FfiError> {
        self.table().remove(&id).ok_or(FfiError::BadHandle {
            kind: self.kind,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_id_is_never_valid_again() {
        let registry = Registry::new("test");
        let id = registry.insert(Arc::new(7));
        assert_eq!(*registry.get(id).expect("live"), 7);
        assert!(registry.remove(id).is_ok());
        assert!(registry.remove(id).is_err(), "double free is an error");
        let next = registry.insert(Arc::new(8));
        assert_ne!(id, next, "ids are not reused");
        assert!(registry.get(id).is_err());
        assert!(registry.get(0).is_err(), "0 is the null handle");
        assert_eq!(registry.len(), 1);
    }
}
