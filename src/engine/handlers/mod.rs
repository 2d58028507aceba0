//! Hand-written handlers for operations with real logic, one module per area. Each function
//! is bound to its YAML operation with `#[operation(area::Name)]`.

pub mod access_control;
pub mod audits;
pub mod auth_keys;
pub mod jwt_templates;
pub mod onboarding;
pub mod project;
pub mod projects;
pub mod session;
pub mod tenants;
pub mod tests;
pub mod users;

/// Keys handlers look documents up by, beyond those the declarative verbs declare.
pub fn extra_keys() -> impl Iterator<Item = &'static (&'static str, &'static [&'static str])> {
    access_control::KEYS
        .iter()
        .chain(audits::KEYS)
        .chain(auth_keys::KEYS)
        .chain(jwt_templates::KEYS)
        .chain(project::KEYS)
        .chain(tenants::KEYS)
        .chain(tests::KEYS)
        .chain(users::KEYS)
}
