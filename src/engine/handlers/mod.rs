//! Hand-written handlers for operations with real logic, one module per area. Each function
//! is bound to its YAML operation with `#[operation(area::Name)]`.

pub mod session;

/// Keys handlers look documents up by, beyond those the declarative verbs declare.
pub const EXTRA_KEYS: &[(&str, &[&str])] = &[
    ("users", &["loginIds", "userId", "email", "test", "userTenants[].tenantId", "roleNames"]),
    ("tenants", &["id", "name"]),
];
