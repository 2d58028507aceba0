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
