//! Personal access tokens: made here, shown once, stored only as a hash.

use rand::RngExt;
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is recognisable in a scan.
pub const PREFIX: &str = "wi_";

/// A fresh token: the prefix and 32 random bytes in hex.
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let mut token = String::with_capacity(PREFIX.len() + 64);
    token.push_str(PREFIX);
    token.push_str(&hex::encode(bytes));
    token
}

/// The stored form of a token: SHA-256 in lowercase hex. Tokens are looked up by this hash, so
/// the secret itself is never compared byte by byte nor kept.
pub fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 of some bytes, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        assert_eq!(a.len(), PREFIX.len() + 64);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256_so_stored_tokens_keep_matching() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
