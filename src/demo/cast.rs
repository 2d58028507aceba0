//! The demo cast every seeding step agrees on: tenant IDs and names, and the named people
//! with their stable IDs. Baseline users are generated from an index, so any step can refer
//! to user `i` without reading the store.

/// A demo tenant: stable ID, name, domain.
pub struct TenantCast {
    pub id: &'static str,
    pub name: &'static str,
    pub domain: &'static str,
}

pub const TENANTS: &[TenantCast] = &[
    TenantCast {
        id: "T-acme",
        name: "Acme",
        domain: "acme.com",
    },
    TenantCast {
        id: "T-acme-holdings",
        name: "Acme-Holdings",
        domain: "acmeholdings.com",
    },
    TenantCast {
        id: "T-acme-corp",
        name: "Acme Corp",
        domain: "acmecorp.com",
    },
    TenantCast {
        id: "T-acme-inc",
        name: "Acme, Inc",
        domain: "acmeinc.com",
    },
    TenantCast {
        id: "T-globex",
        name: "Globex",
        domain: "globex.example",
    },
    TenantCast {
        id: "T-initech",
        name: "Initech",
        domain: "initech.example",
    },
    TenantCast {
        id: "T-umbrella",
        name: "Umbrella",
        domain: "umbrella.example",
    },
    TenantCast {
        id: "T-hooli",
        name: "Hooli",
        domain: "hooli.example",
    },
    TenantCast {
        id: "T-stark",
        name: "Stark Industries",
        domain: "stark.example",
    },
    TenantCast {
        id: "T-wayne",
        name: "Wayne Enterprises",
        domain: "wayne.example",
    },
    TenantCast {
        id: "T-empty",
        name: "Vandelay Imports",
        domain: "vandelay.example",
    },
];

/// A named demo user: stable user ID and login ID.
pub struct PersonCast {
    pub user_id: &'static str,
    pub login_id: &'static str,
    pub name: &'static str,
}

pub const PEOPLE: &[PersonCast] = &[
    PersonCast {
        user_id: "U-jane",
        login_id: "jane.doe@example.com",
        name: "Jane Doe",
    },
    PersonCast {
        user_id: "U-alice",
        login_id: "alice@acme.com",
        name: "Alice Anders",
    },
    PersonCast {
        user_id: "U-bob",
        login_id: "bob@acme.com",
        name: "Bob Brown",
    },
    PersonCast {
        user_id: "U-abc123",
        login_id: "user_abc123",
        name: "Chris Abbott",
    },
    PersonCast {
        user_id: "U-qa",
        login_id: "qa_test_user@example.com",
        name: "QA Test User",
    },
    PersonCast {
        user_id: "U-admin",
        login_id: "it-admin@acme.com",
        name: "Ivy Admin",
    },
];

/// Number of generated baseline users (in addition to the named ones).
pub const BASELINE_USERS: usize = 5000;

/// The stable ID and login ID of baseline user `i` (0-based).
pub fn baseline(i: usize) -> (String, String) {
    (
        format!("U-b{i:05}"),
        format!("user{i:05}@customers.example"),
    )
}
