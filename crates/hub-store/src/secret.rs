//! Bearer values the hub hands out (session cookies, desk sessions, kiosk credentials, CSRF
//! tokens): 256 bits from the OS's random source as hex; the store keeps only their SHA-256.

use sha2::{Digest, Sha256};

/// A new bearer value: 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).expect("the OS random source works");
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a bearer value (or an enrolment code): its SHA-256 as hex.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Whether `v` has the shape of a bearer value (checked before it reaches the store).
pub fn is_token(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}
