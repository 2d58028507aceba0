//! Demo data: the `project` part of Acme Holdings.

use super::Seed;

pub fn seed(_s: &mut Seed) -> rusqlite::Result<()> {
    Ok(())
}
