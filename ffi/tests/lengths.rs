//! Every entry point that takes a caller length checks it before building a slice from it
//! (issue 8): `SIZE_MAX` is an invalid argument and NULL with a non-zero length is a NULL
//! pointer error. Before the fix, the debug library built the slice first and the standard
//! library's precondition check aborted the whole process (this test binary included).

use std::ptr;

use tower_ffi::{
    TowerClientHandle, TowerConnectOptions, TowerEntity, TowerFloorHandle, TowerSpawn, TowerStatus,
    tower_client_connect, tower_client_entities, tower_client_free, tower_client_resume_token,
    tower_floor_encode, tower_floor_free, tower_floor_generate, tower_floor_hash,
    tower_floor_spawns, tower_floor_tiles, tower_floor_verify,
};

fn floor() -> TowerFloorHandle {
    let mut h = TowerFloorHandle { id: 0 };
    // SAFETY: valid out pointer.
    assert_eq!(
        unsafe { tower_floor_generate(7, 1, &mut h) },
        TowerStatus::Ok
    );
    h
}

/// A client handle to a loopback port nobody answers on: enough for the length checks.
fn client(port: u16) -> TowerClientHandle {
    let address = std::ffi::CString::new(format!("127.0.0.1:{port}")).expect("no NUL");
    let options = TowerConnectOptions {
        server_address: address.as_ptr(),
        cert_fingerprint: c"00000000000000000000000000000000000000000000000000000000000000ff"
            .as_ptr(),
        dev_name: c"len-test".as_ptr(),
        ticket: ptr::null(),
        resume_token: ptr::null(),
        resume_token_len: 0,
    };
    let mut h = TowerClientHandle { id: 0 };
    // SAFETY: valid options and out pointer.
    assert_eq!(
        unsafe { tower_client_connect(&options, &mut h) },
        TowerStatus::Ok
    );
    h
}

#[test]
fn floor_buffers_check_their_length_first() {
    let h = floor();
    let mut bytes = [0u8; 8];
    let mut spawns = [TowerSpawn {
        x: 0,
        y: 0,
        kind: 0,
        level: 0,
    }; 2];
    let mut len = 0usize;
    // SAFETY: every pointer is valid for the few elements it has; the lengths lie, and the
    // library must notice before touching the buffers.
    unsafe {
        for (status, what) in [
            (
                tower_floor_tiles(h, bytes.as_mut_ptr(), usize::MAX, &mut len),
                "tiles SIZE_MAX",
            ),
            (
                tower_floor_encode(h, bytes.as_mut_ptr(), usize::MAX, &mut len),
                "encode SIZE_MAX",
            ),
            (
                tower_floor_spawns(h, spawns.as_mut_ptr(), usize::MAX, &mut len),
                "spawns SIZE_MAX",
            ),
            (
                tower_floor_spawns(h, spawns.as_mut_ptr(), usize::MAX / 2, &mut len),
                "spawns SIZE_MAX/2 (fits usize, not isize bytes)",
            ),
            (
                tower_floor_hash(h, bytes.as_mut_ptr(), usize::MAX),
                "hash SIZE_MAX",
            ),
        ] {
            assert_eq!(status, TowerStatus::InvalidArgument, "{what}");
        }
        for (status, what) in [
            (
                tower_floor_tiles(h, ptr::null_mut(), 5, &mut len),
                "tiles NULL/5",
            ),
            (
                tower_floor_encode(h, ptr::null_mut(), 5, &mut len),
                "encode NULL/5",
            ),
            (
                tower_floor_spawns(h, ptr::null_mut(), 5, &mut len),
                "spawns NULL/5",
            ),
            (tower_floor_hash(h, ptr::null_mut(), 32), "hash NULL/32"),
            (tower_floor_verify(1, 1, ptr::null(), 32), "verify NULL/32"),
        ] {
            assert_eq!(status, TowerStatus::NullPointer, "{what}");
        }
        // A hash length that no buffer can have is refused before it is read.
        assert_eq!(
            tower_floor_verify(1, 1, bytes.as_ptr(), usize::MAX),
            TowerStatus::InvalidArgument
        );
        assert_eq!(tower_floor_free(h), TowerStatus::Ok);
    }
}

#[test]
fn client_entities_checks_its_length_first() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a silent port");
    let port = silent.local_addr().expect("local addr").port();
    let h = client(port);
    let mut entities = [TowerEntity::default(); 2];
    let mut len = 0usize;
    // SAFETY: the buffer is valid for two elements; the lengths lie.
    unsafe {
        assert_eq!(
            tower_client_entities(h, 0.0, entities.as_mut_ptr(), usize::MAX, &mut len),
            TowerStatus::InvalidArgument
        );
        assert_eq!(
            tower_client_entities(h, 0.0, ptr::null_mut(), 3, &mut len),
            TowerStatus::NullPointer
        );
        // The honest protocol still works.
        assert_eq!(
            tower_client_entities(h, 0.0, entities.as_mut_ptr(), entities.len(), &mut len),
            TowerStatus::Ok
        );
    }
    assert_eq!(len, 0);
    assert_eq!(tower_client_free(h), TowerStatus::Ok);
}

#[test]
fn resume_token_lengths_are_checked_first() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a silent port");
    let port = silent.local_addr().expect("local addr").port();
    let h = client(port);
    let mut token = [0u8; 16];
    let mut len = 0usize;
    // SAFETY: the buffer is valid for 16 bytes; the lengths lie.
    unsafe {
        assert_eq!(
            tower_client_resume_token(h, token.as_mut_ptr(), usize::MAX, &mut len),
            TowerStatus::InvalidArgument
        );
        assert_eq!(
            tower_client_resume_token(h, ptr::null_mut(), 16, &mut len),
            TowerStatus::NullPointer
        );
        // Honest lengths: no Welcome yet, so no token.
        assert_eq!(
            tower_client_resume_token(h, token.as_mut_ptr(), token.len(), &mut len),
            TowerStatus::NotReady
        );
    }
    assert_eq!(tower_client_free(h), TowerStatus::Ok);

    // A token length no buffer can have is refused before the pointer is read.
    let address = std::ffi::CString::new(format!("127.0.0.1:{port}")).expect("no NUL");
    for (len, want) in [
        (usize::MAX, TowerStatus::InvalidArgument),
        (token.len() * 64, TowerStatus::InvalidArgument),
    ] {
        let options = TowerConnectOptions {
            server_address: address.as_ptr(),
            cert_fingerprint: c"00000000000000000000000000000000000000000000000000000000000000ff"
                .as_ptr(),
            dev_name: c"len-test".as_ptr(),
            ticket: ptr::null(),
            resume_token: token.as_ptr(),
            resume_token_len: len,
        };
        let mut h = TowerClientHandle { id: 0 };
        // SAFETY: valid options (the length lies) and out pointer.
        assert_eq!(
            unsafe { tower_client_connect(&options, &mut h) },
            want,
            "len {len}"
        );
        assert_eq!(h.id, 0);
    }
    let options = TowerConnectOptions {
        server_address: address.as_ptr(),
        cert_fingerprint: c"00000000000000000000000000000000000000000000000000000000000000ff"
            .as_ptr(),
        dev_name: c"len-test".as_ptr(),
        ticket: ptr::null(),
        resume_token: ptr::null(),
        resume_token_len: 16,
    };
    let mut h = TowerClientHandle { id: 0 };
    // SAFETY: valid options (NULL token with a length) and out pointer.
    assert_eq!(
        unsafe { tower_client_connect(&options, &mut h) },
        TowerStatus::NullPointer
    );
}
