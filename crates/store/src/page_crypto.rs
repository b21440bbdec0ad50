//! The page crypto of the encrypted cache: SQLCipher's own format (AES-256-CBC with a fresh
//! random IV per page write, then an HMAC-SHA256 over the ciphertext, the IV and the page
//! number), computed here instead of by SQLCipher's reference OpenSSL provider.
//!
//! SQLCipher asks its provider for three things on every page it writes: random bytes for the
//! IV and the reserve, an AES-256-CBC encryption and an HMAC. The reference provider, which
//! its authors describe as "intentionally non-optimized", looks OpenSSL 3's algorithms up
//! again on each call (`EVP_MAC_fetch`, a new `EVP_CIPHER_CTX`, `RAND_bytes` under a mutex):
//! 12 µs a page on the build machine (x86-64 server CPU). A clerk's case save writes about 16
//! pages in three commits, and a catalog version thousands.
//!
//! Here a page costs about 5 µs:
//! - the random bytes come from a per-thread pool of OS randomness (one `getrandom` call per
//!   85 pages);
//! - on x86-64 with AES-NI and the SHA extensions, the encryption hashes the ciphertext for the
//!   HMAC in the same pass ([`fused`]), and the HMAC that SQLCipher asks for next resumes from
//!   that hash once it has checked that it is the same key and the same bytes ([`Pending`]);
//! - elsewhere, RustCrypto's AES and SHA-256.
//!
//! Everything else (key derivation, decryption, sizes, other HMAC digests) stays with the
//! reference provider. The bytes on disk are the reference provider's: the tests check each
//! call against it byte for byte, and a cache written here against SQLCipher's own
//! `cipher_integrity_check` under the reference provider, so a cache stays readable by stock
//! SQLCipher with the same settings.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_uchar, c_void};
use std::sync::OnceLock;

use aes::Aes256;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};

#[cfg(target_arch = "x86_64")]
mod fused;

type Block64 = sha2::digest::generic_array::GenericArray<u8, sha2::digest::consts::U64>;

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;
/// `SQLCIPHER_ENCRYPT` in SQLCipher's provider interface (decrypt is 0).
const SQLCIPHER_ENCRYPT: c_int = 1;
/// `SQLCIPHER_HMAC_SHA256`.
const SQLCIPHER_HMAC_SHA256: c_int = 1;
const AES_BLOCK: usize = 16;

/// `struct sqlcipher_provider` of SQLCipher 4 (sqlcipher.h; the vendored 4.20 that
/// `libsqlite3-sys` builds), field for field. [`install`] checks that the default provider
/// reads as SQLCipher's OpenSSL one through it before replacing anything.
#[repr(C)]
#[derive(Clone, Copy)]
struct Provider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int>,
    random: Option<RandomFn>,
    hmac: Option<HmacFn>,
    kdf: Option<KdfFn>,
    cipher: Option<CipherFn>,
    get_cipher: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    fips_status: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    next: *mut Provider,
}

type RandomFn = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
type HmacFn = unsafe extern "C" fn(
    *mut c_void,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    *mut c_uchar,
) -> c_int;
type KdfFn = unsafe extern "C" fn(
    *mut c_void,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    c_int,
    c_int,
    c_int,
    *mut c_uchar,
) -> c_int;
type CipherFn = unsafe extern "C" fn(
    *mut c_void,
    c_int,
    *const c_uchar,
    c_int,
    *const c_uchar,
    *const c_uchar,
    c_int,
    *mut c_uchar,
) -> c_int;

unsafe extern "C" {
    fn sqlcipher_get_provider() -> *mut Provider;
    fn sqlcipher_register_provider(p: *mut Provider) -> c_int;
    fn sqlcipher_malloc(size: u64) -> *mut c_void;
}

/// The reference provider's functions, for everything outside the fast path.
struct Reference {
    hmac: HmacFn,
    cipher: CipherFn,
}

static REFERENCE: OnceLock<Option<Reference>> = OnceLock::new();

/// Registers the provider, once per process, before the first keyed connection. SQLCipher
/// gives each connection the provider registered when it is keyed, so connections keyed
/// earlier keep the reference one (which writes the same bytes). If SQLCipher has no provider
/// with the expected functions, nothing is registered and the reference provider stays.
pub(crate) fn install() {
    REFERENCE.get_or_init(|| {
        // SAFETY: sqlite3_initialize is idempotent and registers SQLCipher's default provider;
        // the provider struct is SQLCipher 4's, copied whole before three fields are replaced;
        // its memory comes from sqlcipher_malloc because SQLCipher frees every registered
        // provider with sqlcipher_free at exit.
        unsafe {
            if rusqlite::ffi::sqlite3_initialize() != SQLITE_OK {
                return None;
            }
            let default = sqlcipher_get_provider();
            if default.is_null() {
                return None;
            }
            let reference = *default;
            let (Some(name), Some(hmac), Some(cipher), Some(_)) = (
                reference.get_provider_name,
                reference.hmac,
                reference.cipher,
                reference.random,
            ) else {
                return None;
            };
            if std::ffi::CStr::from_ptr(name(std::ptr::null_mut())) != c"openssl" {
                tracing::warn!(
                    "SQLCipher's default crypto provider is not its OpenSSL one; keeping it"
                );
                return None;
            }
            let ours = sqlcipher_malloc(std::mem::size_of::<Provider>() as u64) as *mut Provider;
            if ours.is_null() {
                return None;
            }
            ours.write(Provider {
                // The reference provider has none; ours must not run one twice either.
                init: None,
                shutdown: None,
                get_provider_name: Some(provider_name),
                random: Some(random),
                hmac: Some(page_hmac),
                cipher: Some(page_cipher),
                next: std::ptr::null_mut(),
                ..reference
            });
            if sqlcipher_register_provider(ours) != SQLITE_OK {
                return None;
            }
            tracing::debug!("SQLCipher page crypto: RustCrypto provider registered");
            Some(Reference { hmac, cipher })
        }
    });
}

unsafe extern "C" fn provider_name(_ctx: *mut c_void) -> *const c_char {
    c"onewindow-rustcrypto".as_ptr()
}

/// IVs and reserve bytes: the operating system's CSPRNG, fetched 4 KiB at a time per thread
/// (one `getrandom` call a page cost as much as the page's HMAC). A forked child would share
/// the rest of its parent's pool; SQLite connections must not cross a fork anyway, and the
/// desk forks only to exec (printing, pdftoppm).
unsafe extern "C" fn random(_ctx: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    let Ok(len) = usize::try_from(length) else {
        return SQLITE_ERROR;
    };
    if len == 0 {
        return SQLITE_OK;
    }
    if buffer.is_null() {
        return SQLITE_ERROR;
    }
    // SAFETY: SQLCipher passes a writable buffer of `length` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(buffer as *mut u8, len) };
    let filled = if len > RandomPool::SIZE / 8 {
        getrandom::fill(out).is_ok()
    } else {
        POOL.with_borrow_mut(|pool| pool.take(out))
    };
    if filled { SQLITE_OK } else { SQLITE_ERROR }
}

/// Random bytes from the OS, handed out once each and wiped as they go.
struct RandomPool {
    bytes: [u8; RandomPool::SIZE],
    /// Bytes handed out from the front (all of them when empty).
    used: usize,
}

impl RandomPool {
    const SIZE: usize = 4096;

    fn take(&mut self, out: &mut [u8]) -> bool {
        if Self::SIZE - self.used < out.len() {
            if getrandom::fill(&mut self.bytes).is_err() {
                return false;
            }
            self.used = 0;
        }
        let from = &mut self.bytes[self.used..self.used + out.len()];
        out.copy_from_slice(from);
        from.fill(0);
        self.used += out.len();
        true
    }
}

/// HMAC-SHA256 over `in` then `in2` (the ciphertext and IV, then the page number); other
/// digests go to the reference provider. When the encryption just before on this thread hashed
/// this very ciphertext under this key ([`Pending`]), the HMAC resumes from there.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn page_hmac(
    ctx: *mut c_void,
    algorithm: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    input: *const c_uchar,
    in_sz: c_int,
    input2: *const c_uchar,
    in2_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    let fast = algorithm == SQLCIPHER_HMAC_SHA256
        && !key.is_null()
        && !input.is_null()
        && !out.is_null()
        && (0..=64).contains(&key_sz)
        && in_sz >= 0
        && (input2.is_null() || in2_sz >= 0);
    if !fast {
        let Some(Some(reference)) = REFERENCE.get() else {
            return SQLITE_ERROR;
        };
        // SAFETY: the caller's arguments, passed on unchanged.
        return unsafe {
            (reference.hmac)(
                ctx, algorithm, key, key_sz, input, in_sz, input2, in2_sz, out,
            )
        };
    }
    // SAFETY: SQLCipher passes buffers of the sizes it names, and a 32-byte output for SHA-256.
    let (key, input, input2) = unsafe {
        (
            std::slice::from_raw_parts(key, key_sz as usize),
            std::slice::from_raw_parts(input, in_sz as usize),
            if input2.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(input2, in2_sz as usize)
            },
        )
    };
    let tag = hmac_sha256(key, input, input2);
    // SAFETY: 32 bytes out, as above.
    unsafe { std::ptr::copy_nonoverlapping(tag.as_ptr(), out, tag.len()) };
    SQLITE_OK
}

/// AES-256-CBC without padding. Encryption is done here; decryption (already fast in the
/// reference provider, where CBC decrypts blocks in parallel) and anything unexpected go to
/// the reference provider.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn page_cipher(
    ctx: *mut c_void,
    mode: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    iv: *const c_uchar,
    input: *const c_uchar,
    in_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    let fast = mode == SQLCIPHER_ENCRYPT
        && key_sz == 32
        && !key.is_null()
        && !iv.is_null()
        && !input.is_null()
        && !out.is_null()
        && in_sz > 0
        && (in_sz as usize).is_multiple_of(AES_BLOCK);
    if !fast {
        let Some(Some(reference)) = REFERENCE.get() else {
            return SQLITE_ERROR;
        };
        // SAFETY: the caller's arguments, passed on unchanged.
        return unsafe { (reference.cipher)(ctx, mode, key, key_sz, iv, input, in_sz, out) };
    }
    let len = in_sz as usize;
    // SAFETY: SQLCipher passes a 32-byte key, a 16-byte IV and `in_sz`-byte buffers (separate
    // ones; a partial overlap is copied first and encrypted in place).
    unsafe {
        let (from, to) = (input as usize, out as usize);
        let apart = from + len <= to || to + len <= from;
        let input = if from == to || apart {
            input
        } else {
            std::ptr::copy(input, out, len);
            out as *const u8
        };
        encrypt(
            &*(key as *const [u8; 32]),
            &*(iv as *const [u8; AES_BLOCK]),
            input,
            out,
            len,
        );
    }
    SQLITE_OK
}

/// What the last encryption on this thread hashed of its ciphertext for the HMAC that
/// SQLCipher asks for next: under which key (its inner pad's state, which stands for the key),
/// at which address, the bytes hashed and the SHA-256 state after them. Taken (`live` false)
/// by the first HMAC after it; the buffer is kept for the next page.
struct Pending {
    live: bool,
    inner: [u32; 8],
    at: usize,
    hashed: Vec<u8>,
    state: [u32; 8],
}

thread_local! {
    /// The inner pad state of the last HMAC key used on this thread: the key the next page's
    /// HMAC will almost always use. (Key material in process memory, like SQLCipher's own
    /// keys and the decrypted pages in its cache.)
    static LAST_INNER: Cell<Option<[u32; 8]>> = const { Cell::new(None) };
    static PENDING: RefCell<Pending> = const {
        RefCell::new(Pending { live: false, inner: [0; 8], at: 0, hashed: Vec::new(), state: [0; 8] })
    };
    static POOL: RefCell<RandomPool> = const {
        RefCell::new(RandomPool { bytes: [0; RandomPool::SIZE], used: RandomPool::SIZE })
    };
    /// HMACs that resumed from the encryption's hashing (for the tests to see the fast path
    /// taken).
    #[cfg(test)]
    static RESUMED: Cell<u32> = const { Cell::new(0) };
}

/// Encrypts the `len` bytes at `input` into `out` (AES-256-CBC). With the CPU support and a
/// key seen before, the ciphertext is hashed for the HMAC in the same pass (see `fused`).
///
/// # Safety
/// `input` valid for reads and `out` for writes of `len` bytes, a multiple of 16; the two the
/// same buffer or not overlapping.
unsafe fn encrypt(
    key: &[u8; 32],
    iv: &[u8; AES_BLOCK],
    input: *const u8,
    out: *mut u8,
    len: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(inner) = LAST_INNER.get()
        && *FUSED
    {
        // SAFETY: the CPU has the features (FUSED); the buffers as above.
        let state = unsafe { fused::cbc_encrypt_sha256(key, iv, input, out, len, inner) };
        let hashed = len / 64 * 64;
        PENDING.with_borrow_mut(|pending| {
            pending.hashed.clear();
            // SAFETY: the first `hashed` bytes of the `len` written at `out`.
            pending
                .hashed
                .extend_from_slice(unsafe { std::slice::from_raw_parts(out, hashed) });
            pending.live = true;
            pending.inner = inner;
            pending.at = out as usize;
            pending.state = state;
        });
        return;
    }
    PENDING.with_borrow_mut(|pending| pending.live = false);
    // SAFETY: the buffers as above; then the `len` bytes at `out` as AES blocks (alignment 1).
    unsafe { std::ptr::copy(input, out, len) };
    let blocks = unsafe {
        std::slice::from_raw_parts_mut(out as *mut cbc::cipher::Block<Aes256>, len / AES_BLOCK)
    };
    cbc::Encryptor::<Aes256>::new(key.into(), iv.into()).encrypt_blocks_mut(blocks);
}

#[cfg(target_arch = "x86_64")]
static FUSED: std::sync::LazyLock<bool> = std::sync::LazyLock::new(fused::available);

/// HMAC-SHA256 (RFC 2104) of `input` then `input2` under `key` (at most one block long).
fn hmac_sha256(key: &[u8], input: &[u8], input2: &[u8]) -> [u8; 32] {
    let (mut ipad, mut opad) = ([0x36u8; 64], [0x5cu8; 64]);
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner_start = Sha256State::after_block(&ipad);
    LAST_INNER.set(Some(inner_start.state));
    let resumed = PENDING.with_borrow_mut(|p| {
        let live = std::mem::replace(&mut p.live, false);
        let same = live
            && p.inner == inner_start.state
            && p.at == input.as_ptr() as usize
            && input.len() >= p.hashed.len()
            && input[..p.hashed.len()] == p.hashed[..];
        same.then(|| {
            let resumed = Sha256State {
                state: p.state,
                len: 64 + p.hashed.len() as u64,
                buf: [0; 64],
                buffered: 0,
            };
            (resumed, p.hashed.len())
        })
    });
    let mut inner = inner_start;
    let mut rest = input;
    if let Some((state, hashed)) = resumed {
        #[cfg(test)]
        RESUMED.set(RESUMED.get() + 1);
        inner = state;
        rest = &input[hashed..];
    }
    inner.update(rest);
    inner.update(input2);
    let mut outer = Sha256State::after_block(&opad);
    outer.update(&inner.finish());
    outer.finish()
}

/// SHA-256 that can start from a state part way through a message (an HMAC pad hashed, or a
/// ciphertext hashed while it was encrypted).
#[derive(Clone)]
struct Sha256State {
    state: [u32; 8],
    /// Bytes of the message so far.
    len: u64,
    buf: [u8; 64],
    buffered: usize,
}

impl Sha256State {
    const H0: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];

    fn after_block(block: &[u8; 64]) -> Sha256State {
        let mut state = Self::H0;
        sha2::compress256(&mut state, &[Block64::from(*block)]);
        Sha256State {
            state,
            len: 64,
            buf: [0; 64],
            buffered: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.buffered > 0 {
            let take = data.len().min(64 - self.buffered);
            self.buf[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < 64 {
                return;
            }
            sha2::compress256(&mut self.state, &[Block64::from(self.buf)]);
            self.buffered = 0;
        }
        let whole = data.len() / 64;
        if whole > 0 {
            // SAFETY: a GenericArray of 64 bytes is laid out as `[u8; 64]` (alignment 1), and
            // `whole` blocks of it are in `data`.
            let blocks =
                unsafe { std::slice::from_raw_parts(data.as_ptr() as *const Block64, whole) };
            sha2::compress256(&mut self.state, blocks);
        }
        let tail = &data[whole * 64..];
        self.buf[..tail.len()].copy_from_slice(tail);
        self.buffered = tail.len();
    }

    fn finish(mut self) -> [u8; 32] {
        // 0x80, zeros up to 56 bytes into a block, then the message length in bits.
        let bits = (self.len * 8).to_be_bytes();
        let zeros = (55 + 64 - self.buffered) % 64;
        let mut pad = [0u8; 1 + 63 + 8];
        pad[0] = 0x80;
        pad[1 + zeros..1 + zeros + 8].copy_from_slice(&bits);
        self.update(&pad[..1 + zeros + 8]);
        debug_assert_eq!(self.buffered, 0);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> &'static Reference {
        install();
        REFERENCE
            .get()
            .and_then(Option::as_ref)
            .expect("SQLCipher's reference provider is present")
    }

    /// Deterministic bytes (no randomness needed to compare two implementations).
    fn bytes(seed: u8, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// One call of a provider's `cipher`, as SQLCipher makes it (no provider context).
    ///
    /// # Safety
    /// `input` readable and `out` writable for `len` bytes; `key` 32 bytes, `iv` 16.
    unsafe fn cipher_call(
        f: CipherFn,
        mode: c_int,
        key: &[u8],
        iv: &[u8],
        input: *const u8,
        len: usize,
        out: *mut u8,
    ) {
        // SAFETY: as the caller promises.
        let rc = unsafe {
            f(
                std::ptr::null_mut(),
                mode,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                input,
                len as c_int,
                out,
            )
        };
        assert_eq!(rc, SQLITE_OK);
    }

    /// Tests that change or depend on which provider is SQLCipher's default take turns.
    static DEFAULT_PROVIDER: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn provider_of(conn: &rusqlite::Connection) -> String {
        conn.query_row("PRAGMA cipher_provider", [], |r| r.get(0))
            .unwrap()
    }

    /// Runs `f` with SQLCipher's reference provider as the default again (connections keyed
    /// meanwhile get it), then puts this module's back. Both write the same bytes, so other
    /// tests keying connections meanwhile are unaffected.
    fn with_reference_provider<T>(f: impl FnOnce() -> T) -> T {
        install();
        // SAFETY: SQLCipher's provider list: ours is the default, the reference one next;
        // registering a listed provider only moves it to the front.
        let ours = unsafe { sqlcipher_get_provider() };
        let theirs = unsafe { (*ours).next };
        assert!(!theirs.is_null());
        assert_eq!(unsafe { sqlcipher_register_provider(theirs) }, SQLITE_OK);
        let out = f();
        assert_eq!(unsafe { sqlcipher_register_provider(ours) }, SQLITE_OK);
        out
    }

    /// The whole-file check: a cache this provider wrote opens under SQLCipher's own OpenSSL
    /// provider, every page's HMAC verifies, and what that provider adds reads back here.
    #[test]
    fn a_cache_written_here_is_a_cache_sqlcipher_reads() {
        let _turn = DEFAULT_PROVIDER.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let key = [42u8; 32];
        let open = || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(&crate::key_pragma("main", &key))
                .unwrap();
            conn.execute_batch(crate::CIPHER_SETTINGS).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
            conn
        };
        let fill = |conn: &rusqlite::Connection, from: i64| {
            let tx = conn.unchecked_transaction().unwrap();
            for i in from..from + 2000 {
                tx.execute(
                    "INSERT INTO t (id, body) VALUES (?1, ?2)",
                    rusqlite::params![i, format!("申请人{i}").repeat(20)],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        };
        let rows = |conn: &rusqlite::Connection| {
            conn.query_row(
                "SELECT count(*) FROM t WHERE body LIKE '申请人%'",
                [],
                |r| r.get::<_, i64>(0),
            )
        };
        // SQLCipher's own check of every page's HMAC: the pages that fail.
        let problems = |conn: &rusqlite::Connection| -> Vec<String> {
            conn.prepare("PRAGMA cipher_integrity_check")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let check = |conn: &rusqlite::Connection, n: i64| {
            assert_eq!(rows(conn).unwrap(), n);
            let problems = problems(conn);
            assert!(problems.is_empty(), "{problems:?}");
        };
        {
            let conn = open();
            assert_eq!(provider_of(&conn), "onewindow-rustcrypto");
            conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
                .unwrap();
            fill(&conn, 0);
            check(&conn, 2000);
        }
        with_reference_provider(|| {
            let conn = open();
            assert_eq!(provider_of(&conn), "openssl");
            check(&conn, 2000);
            fill(&conn, 2000);
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            check(&conn, 4000);
        });
        let conn = open();
        assert_eq!(provider_of(&conn), "onewindow-rustcrypto");
        check(&conn, 4000);
        // And a page changed on disk is caught by the HMAC, as with the reference provider.
        drop(conn);
        let mut file = std::fs::read(&path).unwrap();
        file[4096 * 3 + 200] ^= 1;
        std::fs::write(&path, file).unwrap();
        let conn = open();
        let tampered = rows(&conn).is_err() || !problems(&conn).is_empty();
        assert!(tampered, "a flipped bit in page 4 went unnoticed");
    }

    #[test]
    fn the_provider_is_the_one_new_connections_get() {
        let _turn = DEFAULT_PROVIDER.lock().unwrap_or_else(|e| e.into_inner());
        install();
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&crate::key_pragma("main", &[7u8; 32]))
            .unwrap();
        assert_eq!(provider_of(&conn), "onewindow-rustcrypto");
    }

    #[test]
    fn encryption_is_byte_for_byte_the_reference_providers() {
        let r = reference();
        for (seed, len) in [
            (1u8, 16usize),
            (2, 1024),
            (3, 4096 - 48),
            (4, 4096),
            (5, 65536),
        ] {
            let key = bytes(seed, 32);
            let iv = bytes(seed.wrapping_add(100), 16);
            let page = bytes(seed.wrapping_add(50), len);
            let (mut ours, mut theirs) = (vec![0u8; len], vec![0u8; len]);
            let mut back = vec![0u8; len];
            // SAFETY: buffers of the sizes passed.
            unsafe {
                let e = SQLCIPHER_ENCRYPT;
                cipher_call(
                    page_cipher,
                    e,
                    &key,
                    &iv,
                    page.as_ptr(),
                    len,
                    ours.as_mut_ptr(),
                );
                cipher_call(
                    r.cipher,
                    e,
                    &key,
                    &iv,
                    page.as_ptr(),
                    len,
                    theirs.as_mut_ptr(),
                );
                // And the reference provider decrypts ours back to the page.
                cipher_call(
                    page_cipher,
                    0,
                    &key,
                    &iv,
                    ours.as_ptr(),
                    len,
                    back.as_mut_ptr(),
                );
            }
            assert_eq!(ours, theirs, "{len} bytes");
            assert_ne!(ours, page);
            assert_eq!(back, page);
        }
    }

    /// SQLCipher's write of one page, as `sqlcipher_page_cipher` makes it: encrypt the usable
    /// part, then HMAC the ciphertext and IV followed by the page number. `tamper` runs between
    /// the two calls. Returns (ciphertext ‖ IV, tag).
    fn write_page(
        cipher: CipherFn,
        hmac: HmacFn,
        keys: (&[u8], &[u8]),
        iv: &[u8],
        page: &[u8],
        pgno: u32,
        tamper: impl FnOnce(&mut Vec<u8>),
    ) -> (Vec<u8>, [u8; 32]) {
        let size = page.len();
        let mut out = vec![0u8; size + 16];
        out[size..].copy_from_slice(iv);
        let mut tag = [0u8; 32];
        // SAFETY: buffers of the sizes passed, as SQLCipher lays them out.
        unsafe {
            let iv_out = out.as_ptr().add(size);
            assert_eq!(
                cipher(
                    std::ptr::null_mut(),
                    SQLCIPHER_ENCRYPT,
                    keys.0.as_ptr(),
                    32,
                    iv_out,
                    page.as_ptr(),
                    size as c_int,
                    out.as_mut_ptr()
                ),
                SQLITE_OK
            );
        }
        tamper(&mut out);
        let pgno = pgno.to_le_bytes();
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                hmac(
                    std::ptr::null_mut(),
                    SQLCIPHER_HMAC_SHA256,
                    keys.1.as_ptr(),
                    32,
                    out.as_ptr(),
                    out.len() as c_int,
                    pgno.as_ptr(),
                    4,
                    tag.as_mut_ptr()
                ),
                SQLITE_OK
            );
        }
        (out, tag)
    }

    /// Page writes in a row, as a commit makes them: the first HMAC teaches the thread the key,
    /// after which encryption and HMAC go through the fused pass; every page matches the
    /// reference provider, and so does a page changed between the two calls, one HMACed under
    /// another key, and one whose ciphertext was moved elsewhere.
    #[test]
    fn page_writes_match_the_reference_provider_in_every_path() {
        let r = reference();
        let (key, hkey, other) = (bytes(1, 32), bytes(2, 32), bytes(3, 32));
        for (n, size) in [
            4096 - 48,
            4096 - 48,
            1024 - 48,
            4096 - 80,
            16,
            64,
            65536 - 48,
        ]
        .into_iter()
        .enumerate()
        {
            let page = bytes(n as u8 + 20, size);
            let iv = bytes(n as u8 + 40, 16);
            let ours = write_page(
                page_cipher,
                page_hmac,
                (&key, &hkey),
                &iv,
                &page,
                n as u32,
                |_| {},
            );
            let theirs = write_page(
                r.cipher,
                r.hmac,
                (&key, &hkey),
                &iv,
                &page,
                n as u32,
                |_| {},
            );
            assert_eq!(ours, theirs, "page {n} of {size} bytes");
        }
        #[cfg(target_arch = "x86_64")]
        if *FUSED {
            // Every page after the first: (n pages) × (ours, reference) → n - 1 resumed.
            assert_eq!(RESUMED.get(), 6, "the HMACs after the first resumed");
            let page = bytes(7, 4048);
            let iv = bytes(8, 16);
            write_page(page_cipher, page_hmac, (&key, &hkey), &iv, &page, 1, |_| {});
            PENDING.with_borrow(|p| assert!(!p.live, "the HMAC took what the encryption hashed"));
            // The next encryption hashes for the key just used.
            // SAFETY: buffers of the sizes passed.
            let mut buf = page.clone();
            unsafe {
                encrypt(
                    &[1; 32],
                    &[2; 16],
                    buf.as_ptr(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            PENDING.with_borrow(|p| {
                assert!(p.live, "fused");
                assert_eq!(p.hashed.len(), 4032);
                assert_eq!(p.hashed[..], buf[..4032]);
            });
        }
        let page = bytes(9, 4048);
        let iv = bytes(10, 16);
        let flip = |out: &mut Vec<u8>| out[100] ^= 1;
        let resumed = RESUMED.get();
        assert_eq!(
            write_page(page_cipher, page_hmac, (&key, &hkey), &iv, &page, 5, flip),
            write_page(r.cipher, r.hmac, (&key, &hkey), &iv, &page, 5, flip),
            "a ciphertext changed between encryption and HMAC"
        );
        assert_eq!(
            write_page(
                page_cipher,
                page_hmac,
                (&key, &other),
                &iv,
                &page,
                5,
                |_| {}
            ),
            write_page(r.cipher, r.hmac, (&key, &other), &iv, &page, 5, |_| {}),
            "another HMAC key"
        );
        let moved = |out: &mut Vec<u8>| *out = out.clone();
        assert_eq!(
            write_page(page_cipher, page_hmac, (&key, &hkey), &iv, &page, 5, moved),
            write_page(r.cipher, r.hmac, (&key, &hkey), &iv, &page, 5, |_| {}),
            "the ciphertext at another address"
        );
        assert_eq!(RESUMED.get(), resumed, "none of those three resumed");
    }

    #[test]
    fn sha256_from_a_state_is_sha256() {
        use sha2::Digest;
        let data = bytes(3, 300);
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200, 300] {
            for split in [0, 1, 63, 64, 65, len / 2] {
                let split = split.min(len);
                let block = [0x36u8; 64];
                let mut ours = Sha256State::after_block(&block);
                ours.update(&data[..split]);
                ours.update(&data[split..len]);
                let mut theirs = sha2::Sha256::new();
                theirs.update(block);
                theirs.update(&data[..len]);
                assert_eq!(
                    ours.finish()[..],
                    theirs.finalize()[..],
                    "{len} bytes split at {split}"
                );
            }
        }
    }

    /// The pool hands each byte out once, across refills, and wipes what it handed out.
    #[test]
    fn the_random_pool_never_repeats_itself() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(3 * RandomPool::SIZE / 48) {
            let mut iv = [0u8; 48];
            // SAFETY: a 48-byte buffer.
            assert_eq!(
                unsafe { random(std::ptr::null_mut(), iv.as_mut_ptr().cast(), 48) },
                SQLITE_OK
            );
            assert!(seen.insert(iv), "a repeated reserve");
        }
        POOL.with_borrow(|pool| {
            assert!(pool.bytes[..pool.used].iter().all(|&b| b == 0));
        });
        let mut big = vec![0u8; RandomPool::SIZE];
        // SAFETY: a buffer of the size passed.
        assert_eq!(
            unsafe {
                random(
                    std::ptr::null_mut(),
                    big.as_mut_ptr().cast(),
                    big.len() as c_int,
                )
            },
            SQLITE_OK
        );
        assert!(big.iter().any(|&b| b != 0));
    }

    /// In place, or into a buffer overlapping the input in part (SQLCipher never does that;
    /// the input is copied first), the ciphertext is the one written to a separate buffer.
    #[test]
    fn encryption_in_place_or_overlapping_is_the_same() {
        let key = bytes(12, 32);
        let iv = bytes(13, 16);
        let page = bytes(14, 4096);
        let mut separate = vec![0u8; 4096];
        let mut in_place = page.clone();
        let mut shared = vec![0u8; 4096 + 64];
        shared[64..].copy_from_slice(&page);
        let e = SQLCIPHER_ENCRYPT;
        // SAFETY: buffers of the sizes passed.
        unsafe {
            let (from, to) = (page.as_ptr(), separate.as_mut_ptr());
            cipher_call(page_cipher, e, &key, &iv, from, 4096, to);
            let at = in_place.as_mut_ptr();
            cipher_call(page_cipher, e, &key, &iv, at, 4096, at);
            let base = shared.as_mut_ptr();
            cipher_call(page_cipher, e, &key, &iv, base.add(64), 4096, base);
        }
        assert_eq!(separate, in_place);
        assert_eq!(separate[..], shared[..4096]);
    }

    #[test]
    fn random_bytes_are_filled_and_differ() {
        let (mut a, mut b) = ([0u8; 48], [0u8; 48]);
        // SAFETY: 48-byte buffers.
        unsafe {
            assert_eq!(
                random(std::ptr::null_mut(), a.as_mut_ptr().cast(), 48),
                SQLITE_OK
            );
            assert_eq!(
                random(std::ptr::null_mut(), b.as_mut_ptr().cast(), 48),
                SQLITE_OK
            );
            assert_eq!(
                random(std::ptr::null_mut(), a.as_mut_ptr().cast(), -1),
                SQLITE_ERROR
            );
        }
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 48]);
    }
}
