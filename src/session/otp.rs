//! One-time passcodes: drawn from the OS CSPRNG, stored only as an HMAC under a server key,
//! compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use rand::TryRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::store::{Db, Result};

/// Digits in a passcode (NIST 800-63B asks for at least 6).
pub const DIGITS: usize = 8;

fn os_random(buf: &mut [u8]) {
    rand::rngs::SysRng
        .try_fill_bytes(buf)
        .expect("the OS random number generator is unavailable");
}

/// A fresh passcode of [`DIGITS`] decimal digits, uniformly drawn (rejection sampling).
pub fn generate() -> String {
    let mut out = String::with_capacity(DIGITS);
    while out.len() < DIGITS {
        let mut b = [0u8; 1];
        os_random(&mut b);
        // 250 is the largest multiple of 10 below 256: reject above it to avoid bias.
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    out
}

/// A random token for URLs, CSRF fields and approval ids (base64url, 32 bytes).
pub fn token() -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    os_random(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The server's passcode key, created once per store.
pub fn server_key(db: &dyn Db) -> Result<Vec<u8>> {
    let mut fresh = vec![0u8; 32];
    os_random(&mut fresh);
    db.secrets().server_key("otp", &fresh)
}

/// HMAC-SHA256(key, context ‖ 0 ‖ code), hex.
pub fn digest(key: &[u8], context: &str, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(context.as_bytes());
    mac.update(&[0]);
    mac.update(code.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `code` matches the stored digest, in constant time.
pub fn matches(key: &[u8], context: &str, code: &str, stored_hex: &str) -> bool {
    let candidate = digest(key, context, code.trim());
    candidate.as_bytes().ct_eq(stored_hex.as_bytes()).into()
}
