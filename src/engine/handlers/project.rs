//! Handlers of the `project` operations that need real logic.

/// Document keys these handlers look documents up by (beyond what the YAML verbs declare).
pub const KEYS: &[(&str, &[&str])] = &[];
