//! Status codes, the thread-local last error, and the guard every entry point runs in.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Result of every fallible `tower_*` function. `TOWER_STATUS_OK` is zero; on any other
/// value `tower_last_error()` describes what went wrong on this thread.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TowerStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// A caller-owned buffer is too short; the needed length was written to the length
    /// out-parameter and nothing else was written.
    BufferTooSmall = 2,
    /// The handle was never issued, was already freed, or is of another kind.
    BadHandle = 3,
    /// An argument is out of range (floor size, string not UTF-8, ...).
    InvalidArgument = 4,
    /// A hash argument is not exactly `TOWER_HASH_LEN` bytes.
    BadHashLength = 5,
    /// The floor regenerated from the seed does not have the given hash.
    HashMismatch = 6,
    /// A bug inside the library panicked; the panic was caught at the boundary. The handle
    /// involved stays valid and can be freed.
    Panic = 7,
    /// The client has no such state yet (no Welcome, not admitted to a floor).
    NotReady = 8,
    /// The connection is over; only polling events and freeing are useful.
    Closed = 9,
    /// The operating system refused a resource (thread, UDP socket).
    Io = 10,
    /// The load-time self-test regenerated a golden floor with another hash: this build's
    /// floors differ from every other platform's, so no floor function works.
    SelfTestFailed = 11,
}

/// Why a call failed: becomes a [`TowerStatus`] plus the thread-local message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FfiError {
    #[error("argument `{0}` is NULL")]
    Null(&'static str),
    #[error("buffer `{name}` has room for {got} elements, {needed} are needed")]
    BufferTooSmall {
        name: &'static str,
        needed: usize,
        got: usize,
    },
    #[error("{kind} handle {id} is not live (never issued, already freed, or of another kind)")]
    BadHandle { kind: &'static str, id: u64 },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("a floor hash is {expected} bytes, got {got}", expected = crate::TOWER_HASH_LEN)]
    BadHashLength { got: usize },
    #[error(
        "floor hash mismatch for floor seed {seed} floor {floor}: expected {expected}, computed {computed}"
    )]
    HashMismatch {
        seed: u64,
        floor: u32,
        expected: String,
        computed: String,
    },
    #[error("panic inside tower_ffi: {0}")]
    Panic(String),
    #[error("not ready: {0}")]
    NotReady(&'static str),
    #[error("the connection is closed")]
    Closed,
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    SelfTest(procgen::SelfTestError),
}

impl FfiError {
    pub(crate) fn status(&self) -> TowerStatus {
        match self {
            FfiError::Null(_) => TowerStatus::NullPointer,
            FfiError::BufferTooSmall { .. } => TowerStatus::BufferTooSmall,
            FfiError::BadHandle { .. } => TowerStatus::BadHandle,
            FfiError::InvalidArgument(_) => TowerStatus::InvalidArgument,
            FfiError::BadHashLength { .. } => TowerStatus::BadHashLength,
            FfiError::HashMismatch { .. } => TowerStatus::HashMismatch,
            FfiError::Panic(_) => TowerStatus::Panic,
            FfiError::NotReady(_) => TowerStatus::NotReady,
            FfiError::Closed => TowerStatus::Closed,
            FfiError::Io(_) => TowerStatus::Io,
            FfiError::SelfTest(_) => TowerStatus::SelfTestFailed,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // Interior NULs cannot come from our messages, but never trust that at a boundary.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

/// Runs one entry point: catches panics, turns errors into a status and the last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), FfiError>) -> TowerStatus {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        Err(FfiError::Panic(message))
    });
    match outcome {
        Ok(()) => TowerStatus::Ok,
        Err(error) => {
            set_last_error(&error.to_string());
            error.status()
        }
    }
}

/// Borrows `*ptr` for writing, or fails with `Null(name)`.
///
/// # Safety
/// `ptr` is NULL or valid for writes of one `T`.
pub(crate) unsafe fn out_ref<'a, T>(
    ptr: *mut T,
    name: &'static str,
) -> Result<&'a mut T, FfiError> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid for writes.
    unsafe { ptr.as_mut() }.ok_or(FfiError::Null(name))
}

/// Checks a caller's (pointer, length) pair before any slice is built from it: a length no
/// buffer can have (more than `isize::MAX` bytes, e.g. `SIZE_MAX`) is an invalid argument,
/// a NULL pointer with a non-zero length is `Null(name)`, a misaligned pointer is refused.
/// Building the slice first would be undefined behaviour, and the standard library's debug
/// precondition checks abort the whole host process on it.
pub(crate) fn check_buffer<T>(
    ptr: *const T,
    len: usize,
    name: &'static str,
) -> Result<(), FfiError> {
    let max = isize::MAX.unsigned_abs() / size_of::<T>().max(1);
    if len > max {
        return Err(FfiError::InvalidArgument(format!(
            "`{name}` length {len} is larger than any buffer can be (at most {max} elements)"
        )));
    }
    if len == 0 {
        return Ok(());
    }
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    if !ptr.is_aligned() {
        return Err(FfiError::InvalidArgument(format!(
            "`{name}` is not aligned for its element type"
        )));
    }
    Ok(())
}

/// A caller-owned buffer of `len` elements. NULL is accepted only with `len == 0`; the
/// pair is checked by [`check_buffer`] first.
///
/// # Safety
/// `ptr` is NULL or valid for writes of `len` elements of `T`.
pub(crate) unsafe fn out_slice<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &'static str,
) -> Result<&'a mut [T], FfiError> {
    check_buffer(ptr.cast_const(), len, name)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: non-NULL, aligned, at most isize::MAX bytes (checked above) and, by the
    // caller's contract, valid for `len` writes.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A caller-owned input buffer of `len` bytes. NULL is accepted only with `len == 0`; the
/// pair is checked by [`check_buffer`] first.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `len` bytes.
pub(crate) unsafe fn in_slice<'a>(
    ptr: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], FfiError> {
    check_buffer(ptr, len, name)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL, at most isize::MAX bytes (checked above) and, by the caller's
    // contract, valid for `len` reads.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Copies `items` into a caller buffer using the "ask for the length" protocol: the needed
/// count always goes to `*out_len`; the items are written only if they all fit. The
/// caller's length is checked before anything else, and only the `items.len()` elements
/// actually written are ever viewed as a slice.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
pub(crate) unsafe fn copy_out<T: Copy>(
    items: &[T],
    buf: *mut T,
    buf_len: usize,
    out_len: *mut usize,
    name: &'static str,
) -> Result<(), FfiError> {
    check_buffer(buf.cast_const(), buf_len, name)?;
    // SAFETY: forwarded caller contract.
    let needed = unsafe { out_ref(out_len, "out_len") }?;
    *needed = items.len();
    if buf_len < items.len() {
        return Err(FfiError::BufferTooSmall {
            name,
            needed: items.len(),
            got: buf_len,
        });
    }
    // SAFETY: forwarded caller contract; `items.len() <= buf_len`.
    let dst = unsafe { out_slice(buf, items.len(), name) }?;
    dst.copy_from_slice(items);
    Ok(())
}

/// A human-readable description of the last failed call on the calling thread, or "" if
/// none failed yet. Never NULL. The string is owned by the library and stays valid until
/// the next failing `tower_*` call on the same thread; copy it to keep it. Successful calls
/// do not clear it.
#[unsafe(no_mangle)]
pub extern "C" fn tower_last_error() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// The constant name of a status code ("TOWER_STATUS_OK", ...), or "TOWER_STATUS_UNKNOWN".
/// The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn tower_status_name(status: i32) -> *const c_char {
    let name: &'static std::ffi::CStr = match status {
        0 => c"TOWER_STATUS_OK",
        1 => c"TOWER_STATUS_NULL_POINTER",
        2 => c"TOWER_STATUS_BUFFER_TOO_SMALL",
        3 => c"TOWER_STATUS_BAD_HANDLE",
        4 => c"TOWER_STATUS_INVALID_ARGUMENT",
        5 => c"TOWER_STATUS_BAD_HASH_LENGTH",
        6 => c"TOWER_STATUS_HASH_MISMATCH",
        7 => c"TOWER_STATUS_PANIC",
        8 => c"TOWER_STATUS_NOT_READY",
        9 => c"TOWER_STATUS_CLOSED",
        10 => c"TOWER_STATUS_IO",
        11 => c"TOWER_STATUS_SELF_TEST_FAILED",
        _ => c"TOWER_STATUS_UNKNOWN",
    };
    name.as_ptr()
}

/// This thread's last error as an owned string, for the crate's tests.
#[cfg(test)]
pub(crate) fn last_error() -> String {
    // SAFETY: tower_last_error never returns NULL and the string lives until the next
    // failing call on this thread.
    unsafe { std::ffi::CStr::from_ptr(tower_last_error()) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status = guard(|| panic!("boom {}", 42));
        assert_eq!(status, TowerStatus::Panic);
        assert_eq!(last_error(), "panic inside tower_ffi: boom 42");
    }

    #[test]
    fn success_leaves_the_last_error_alone() {
        let _ = guard(|| Err(FfiError::Null("x")));
        assert_eq!(guard(|| Ok(())), TowerStatus::Ok);
        assert_eq!(last_error(), "argument `x` is NULL");
    }

    #[test]
    fn the_last_error_is_per_thread() {
        let _ = guard(|| Err(FfiError::Null("main")));
        let other = std::thread::spawn(last_error).join().expect("thread runs");
        assert_eq!(other, "");
    }

    #[test]
    fn status_names_match_the_enum() {
        for (status, name) in [
            (TowerStatus::Ok, "TOWER_STATUS_OK"),
            (TowerStatus::BufferTooSmall, "TOWER_STATUS_BUFFER_TOO_SMALL"),
            (TowerStatus::Panic, "TOWER_STATUS_PANIC"),
        ] {
            // SAFETY: static C strings.
            let got = unsafe { CStr::from_ptr(tower_status_name(status as i32)) };
            assert_eq!(got.to_str(), Ok(name));
        }
        // SAFETY: static C string.
        let unknown = unsafe { CStr::from_ptr(tower_status_name(-5)) };
        assert_eq!(unknown.to_str(), Ok("TOWER_STATUS_UNKNOWN"));
    }
}
