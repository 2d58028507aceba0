//! Handlers of the `users` operations: user records (create, replace, patch, delete), search,
//! roles and tenant membership, credentials (password hashes, passkeys, TOTP, trusted
//! devices) and the project's user custom-attribute definitions.
//!
//! Storage: a user is one `users` document in the `User` shape of `_defs/User.yaml`, keyed by
//! `userId`. Secrets never live in that document, so no read path can leak them: a password
//! hash sits in `user_credentials` (keyed by userId), passkeys in `user_passkeys`, trusted
//! devices in `trusted_devices`, attribute definitions in `user_attributes` (keyed by name).
//! Every change writes a platform audit event (UserCreated / UserModified / UserDeleted, with
//! the Descoper as actor), as the platform does for management-API changes.
//!
//! One module per concern; this one holds the collection names and the index keys.

mod access;
mod attributes;
mod batch;
mod factors;
mod lifecycle;
mod passwords;
mod profile;
mod record;
mod search;
mod sso_apps;
#[cfg(test)]
pub(crate) mod tests;

// What the other areas (`tests`, `projects`, `jwt_templates`, audits) use.
pub(crate) use lifecycle::{create_user, delete_user_record};
pub(crate) use record::{args, audit, find_user, out};
pub(crate) use search::{TestScope, search};
// Shared between the modules here.
use access::{check_roles, normalize_tenants};
use attributes::check_custom_attributes;
use passwords::set_password;
use profile::apply_profile;
use record::{modify, s, save_user, strings, user_out};
use search::cmp_values;

pub(crate) const USERS: &str = "users";
const CREDENTIALS: &str = "user_credentials";
const PASSKEYS: &str = "user_passkeys";
const DEVICES: &str = "trusted_devices";
const ATTRIBUTES: &str = "user_attributes";
