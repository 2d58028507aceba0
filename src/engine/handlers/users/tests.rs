//! What the YAML examples cannot state: absences (a removed role is gone), cascades, and
//! that secrets are stored only as hashes.
use argon2::Argon2;
use serde_json::{Value, json};

use super::search::{TestScope, matches};
use super::*;
use crate::dispatch::CallError;
use crate::store::docs;
use crate::testkit;

/// The shared harness, plus the reads these tests repeat.
struct T(testkit::Direct);

impl std::ops::Deref for T {
    type Target = testkit::Direct;
    fn deref(&self) -> &testkit::Direct {
        &self.0
    }
}

impl T {
    fn new() -> Self {
        T(testkit::Direct::new())
    }
    fn load(&self, login: &str) -> Result<Value, CallError> {
        self.call("users_read", "LoadUser", json!({"loginId": login}))
            .map(|v| v["user"].clone())
    }
    fn doc(&self, coll: &str, id: &str) -> Option<Value> {
        let pid = self.project_id("acme-prod");
        self.app
            .store
            .writer_blocking()
            .docs()
            .get(&pid, coll, id)
            .unwrap()
    }
}

fn code(e: CallError) -> String {
    match e {
        CallError::Api(a) => a.error_code,
        other => format!("{other}"),
    }
}

#[test]
fn removals_really_remove() {
    let t = T::new();
    t.call(
        "users_write",
        "UpdateUserRemoveRoles",
        json!({"loginId": "alice@acme.com", "roleNames": ["admin"]}),
    )
    .unwrap();
    t.call(
        "users_write",
        "UpdateUserRemoveTenant",
        json!({"loginId": "alice@acme.com", "tenantId": "T-acme-holdings"}),
    )
    .unwrap();
    let alice = t.load("alice@acme.com").unwrap();
    assert_eq!(alice["roleNames"], json!(["editor"]));
    assert_eq!(
        docs::extract(&alice, "userTenants[].tenantId"),
        vec![&json!("T-acme")]
    );
    // UpdateUser is a full replace: what the request leaves out is cleared.
    t.call(
        "users_write",
        "UpdateUser",
        json!({"loginId": "bob@acme.com", "name": "Bob"}),
    )
    .unwrap();
    let bob = t.load("bob@acme.com").unwrap();
    assert_eq!(bob["userTenants"], json!([]));
    assert!(bob.get("email").is_none());
    assert_eq!(
        bob["password"],
        json!(true),
        "credentials survive a profile replace"
    );
}

#[test]
fn a_failed_write_changes_nothing() {
    let t = T::new();
    let before = t.load("bob@acme.com").unwrap();
    let e = t
        .call(
            "users_write",
            "UpdateUserSetRoles",
            json!({"loginId": "bob@acme.com", "roleNames": ["member", "NoSuchRole"]}),
        )
        .unwrap_err();
    assert_eq!(code(e), "E011003");
    let e = t
        .call(
            "users_write",
            "DeleteUsers",
            json!({"userIds": ["U-bob", "U-nobody"]}),
        )
        .unwrap_err();
    assert_eq!(code(e), "E062108");
    assert_eq!(t.load("bob@acme.com").unwrap(), before);
}

#[test]
fn delete_cascades_to_credentials_and_devices() {
    let t = T::new();
    assert!(t.doc("trusted_devices", "TD-abc123-laptop").is_some());
    t.call(
        "users_write",
        "DeleteUser",
        json!({"loginId": "user_abc123"}),
    )
    .unwrap();
    assert_eq!(code(t.load("user_abc123").unwrap_err()), "E062108");
    assert!(t.doc("trusted_devices", "TD-abc123-laptop").is_none());
    assert!(t.doc("user_passkeys", "PK-abc123-1").is_none());
}

#[test]
fn passwords_are_stored_as_salted_hashes_only() {
    let t = T::new();
    let out = t
        .call(
            "users_write",
            "SetUserTemporaryPassword",
            json!({"loginId": "jane.doe@example.com"}),
        )
        .unwrap();
    let clear = out["cleartext"].as_str().unwrap().to_owned();
    assert_eq!(clear.len(), 16);
    let jane = t.load("jane.doe@example.com").unwrap();
    assert_eq!(
        (jane["password"].clone(), jane["passwordExpired"].clone()),
        (json!(true), json!(true))
    );
    assert!(!jane.to_string().contains(&clear));
    let cred = t.doc("user_credentials", "U-jane").unwrap();
    assert!(!cred.to_string().contains(&clear));
    let phc = cred["passwordHash"].as_str().unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    // Verification reads the parameters and salt from the PHC string itself.
    use argon2::PasswordVerifier;
    assert!(
        Argon2::default()
            .verify_password(clear.as_bytes(), phc)
            .is_ok()
    );
    assert!(Argon2::default().verify_password(b"wrong", phc).is_err());
    // A fresh salt per hash: the same password never gives the same string twice.
    assert_ne!(super::passwords::hash_password(&clear).unwrap(), phc);
}

#[test]
fn search_excludes_test_users_unless_asked() {
    let t = T::new();
    let real = t
        .call(
            "users_read",
            "SearchUsers",
            json!({"text": "qa_", "limit": 1}),
        )
        .unwrap();
    assert_eq!(real["total"], json!(0));
    let with = t
        .call(
            "users_read",
            "SearchUsers",
            json!({"text": "qa_", "withTestUser": true}),
        )
        .unwrap();
    assert!(with["total"].as_u64().unwrap() >= 4);
    let page = t
        .call(
            "users_read",
            "SearchUsers",
            json!({"limit": 7, "page": 1, "sort": [{"field": "createdTime"}]}),
        )
        .unwrap();
    let times: Vec<i64> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["createdTime"].as_i64().unwrap())
        .collect();
    assert_eq!(times.len(), 7);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn indexed_search_agrees_with_a_full_scan() {
    let t = T::new();
    let all: Vec<Value> = {
        let conn = t.app.store.writer_blocking();
        let pid = conn
            .principals()
            .find_project(&t.p.company_id, "acme-prod")
            .unwrap()
            .unwrap()
            .id;
        conn.docs()
            .scan(&pid, USERS)
            .unwrap()
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    };
    let ids = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userId"].as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    for args in [
        json!({"statuses": ["disabled"], "emails": ["USER00012@customers.example", "bob@acme.com"]}),
        json!({"statuses": ["disabled"]}),
        json!({"tenantIds": ["T-acme"], "tenantRoleNames": ["TenantAdmin"]}),
        json!({"roleNames": ["admin"], "customAttributes": {"employmentType": "contractor"}}),
        json!({"loginIds": ["Alice@Acme.com"], "userIds": ["U-alice", "U-bob"]}),
        json!({"signUpMethods": ["passkey"], "withTestUser": true}),
        json!({"testUsersOnly": true, "text": "qa_"}),
    ] {
        let a = args.as_object().unwrap().clone();
        let mut want: Vec<String> = all
            .iter()
            .filter(|d| matches(&a, d, TestScope::ByArgs))
            .map(|d| d["userId"].as_str().unwrap().to_owned())
            .collect();
        want.sort();
        let mut with_limit = args.clone();
        with_limit["limit"] = json!(1000);
        let got = t.call("users_read", "SearchUsers", with_limit).unwrap();
        assert!(!want.is_empty(), "{args}: the demo should have matches");
        assert_eq!(ids(&got), want, "{args}");
    }
}

#[test]
fn writes_refresh_the_index_and_name_the_descoper() {
    let t = T::new();
    t.call(
        "users_write",
        "UpdateUserStatus",
        json!({"loginId": "bob@acme.com", "status": "disabled"}),
    )
    .unwrap();
    let found = t
        .call(
            "users_read",
            "SearchUsers",
            json!({"statuses": ["disabled"], "loginIds": ["bob@acme.com"]}),
        )
        .unwrap();
    assert_eq!(
        found["total"],
        json!(1),
        "the status index follows the write"
    );
    let ev = t
        .call("audits_read", "SearchAudit", json!({"userIds": ["U-bob"], "actions": ["UserModified"], "from": t.app.clock.now_ms() - 60_000}))
        .unwrap();
    // The actor is the Descoper's e-mail, as in the demo history and the tenants handlers.
    assert_eq!(ev["audits"][0]["actorId"], json!(t.p.email), "{ev}");
}

#[test]
fn removing_one_passkey_keeps_the_others() {
    let t = T::new();
    t.call(
        "users_write",
        "RemoveUserPasskey",
        json!({"loginId": "user_abc123", "credentialId": "PK-abc123-2"}),
    )
    .unwrap();
    assert!(t.doc("user_passkeys", "PK-abc123-2").is_none());
    assert!(t.doc("user_passkeys", "PK-abc123-1").is_some());
    assert_eq!(
        t.load("user_abc123").unwrap()["webauthn"],
        json!(true),
        "one passkey is left"
    );
    // Removing it twice is a not-found, and the last one clears the flag.
    assert_eq!(
        code(
            t.call(
                "users_write",
                "RemoveUserPasskey",
                json!({"loginId": "user_abc123", "credentialId": "PK-abc123-2"})
            )
            .unwrap_err()
        ),
        "E011004"
    );
    t.call(
        "users_write",
        "RemoveUserPasskey",
        json!({"loginId": "user_abc123", "credentialId": "PK-abc123-1"}),
    )
    .unwrap();
    assert_eq!(t.load("user_abc123").unwrap()["webauthn"], json!(false));
    // Another user's passkey is never touched through this user.
    assert_eq!(
        code(
            t.call(
                "users_write",
                "RemoveUserPasskey",
                json!({"loginId": "user_abc123", "credentialId": "PK-alice-1"})
            )
            .unwrap_err()
        ),
        "E011004"
    );
    assert!(t.doc("user_passkeys", "PK-alice-1").is_some());
}

#[test]
fn sso_apps_add_remove_set() {
    let t = T::new();
    let apps = |login: &str| t.load(login).unwrap()["ssoAppIds"].clone();
    t.call(
        "users_write",
        "UpdateUserAddSSOApps",
        json!({"loginId": "bob@acme.com", "ssoAppIds": ["wiki", "crm"]}),
    )
    .unwrap();
    t.call(
        "users_write",
        "UpdateUserAddSSOApps",
        json!({"loginId": "bob@acme.com", "ssoAppIds": ["crm", "hr"]}),
    )
    .unwrap();
    assert_eq!(apps("bob@acme.com"), json!(["wiki", "crm", "hr"]));
    t.call(
        "users_write",
        "UpdateUserRemoveSSOApps",
        json!({"loginId": "bob@acme.com", "ssoAppIds": ["crm"]}),
    )
    .unwrap();
    assert_eq!(apps("bob@acme.com"), json!(["wiki", "hr"]));
    // A typo removes nothing.
    assert_eq!(
        code(
            t.call(
                "users_write",
                "UpdateUserRemoveSSOApps",
                json!({"loginId": "bob@acme.com", "ssoAppIds": ["hr", "wikki"]})
            )
            .unwrap_err()
        ),
        "E011003"
    );
    assert_eq!(apps("bob@acme.com"), json!(["wiki", "hr"]));
    t.call(
        "users_write",
        "UpdateUserSetSSOApps",
        json!({"loginId": "bob@acme.com", "ssoAppIds": []}),
    )
    .unwrap();
    assert_eq!(apps("bob@acme.com"), json!([]));
}

#[test]
fn recovery_contacts_differ_from_the_primary_ones_and_can_be_removed() {
    let t = T::new();
    let e = t
        .call(
            "users_write",
            "UpdateUserRecoveryEmail",
            json!({"loginId": "jane.doe@example.com", "recoveryEmail": "Jane.Doe@example.com"}),
        )
        .unwrap_err();
    assert_eq!(code(e), "E011003");
    t.call("users_write", "UpdateUserRecoveryEmail", json!({"loginId": "jane.doe@example.com", "recoveryEmail": "jane@backup.example", "verified": true})).unwrap();
    t.call(
        "users_write",
        "UpdateUserRecoveryEmail",
        json!({"loginId": "jane.doe@example.com", "recoveryEmail": ""}),
    )
    .unwrap();
    let jane = t.load("jane.doe@example.com").unwrap();
    assert!(jane.get("recoveryEmail").is_none(), "{jane}");
    assert_eq!(jane["verifiedRecoveryEmail"], json!(false));
    t.call(
        "users_write",
        "UpdateUserImpersonationConsent",
        json!({"loginId": "jane.doe@example.com", "impersonationConsent": false}),
    )
    .unwrap();
    assert_eq!(
        t.load("jane.doe@example.com").unwrap()["impersonationConsent"],
        json!(false)
    );
}
