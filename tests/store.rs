//! The store contract, checked through the `Db` traits only (no SQL): every backend must pass
//! this suite unchanged. The embedded SQLite backend always runs; a PostgreSQL backend is
//! added to [`backends`] when it exists, and every case here then runs on it too.

use idmcp::store::approvals::{Approval, Request, Status};
use idmcp::store::events::{Bucket, Event, Filter, GroupBy};
use idmcp::store::journal::Record;
use idmcp::store::{Db, Durability, Store, in_tx};
use serde_json::{Value, json};

/// Every backend under test, each on a fresh, empty store.
fn backends() -> Vec<(&'static str, tempfile::TempDir, Store)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_with(dir.path(), Durability::Throwaway).unwrap();
    vec![("sqlite", dir, sqlite)]
}

/// What the foreign keys of a store ask for: a company with a Descoper and two projects.
struct Fixture {
    descoper: String,
    p1: String,
    p2: String,
}

fn each(check: impl Fn(&str, &dyn Db, &Fixture)) {
    for (name, _dir, store) in backends() {
        let db = store.writer_blocking();
        let p = db.principals();
        let c = p.ensure_company("Fixture Co", 1).unwrap();
        let descoper = p
            .ensure_descoper(&c, "fixture@x.example", "Fixture", true, 1)
            .unwrap();
        let fx = Fixture {
            descoper,
            p1: p.ensure_project(&c, "one", "", &[], 1).unwrap(),
            p2: p.ensure_project(&c, "two", "", &[], 2).unwrap(),
        };
        check(name, &*db, &fx);
    }
}

const PATHS: &[&str] = &["loginIds", "email", "userTenants[].tenantId"];

fn paths() -> Vec<String> {
    PATHS.iter().map(|p| (*p).to_owned()).collect()
}

fn user(login: &str, email: &str, tenants: &[&str]) -> Value {
    json!({"loginIds": [login], "email": email, "userTenants": tenants.iter().map(|t| json!({"tenantId": t})).collect::<Vec<_>>()})
}

#[test]
fn documents_are_stored_found_by_key_selected_and_deleted() {
    each(|b, db, fx| {
        let (p1, p2) = (fx.p1.as_str(), fx.p2.as_str());
        let d = db.docs();
        let p = paths();
        d.put(
            p1,
            "users",
            "U1",
            &user("Alice@Acme.com", "alice@acme.com", &["T1"]),
            10,
            &p,
        )
        .unwrap();
        d.put(
            p1,
            "users",
            "U2",
            &user("bob@acme.com", "bob@acme.com", &["T1", "T2"]),
            20,
            &p,
        )
        .unwrap();
        d.put(
            p2,
            "users",
            "U3",
            &user("alice@acme.com", "x@other.com", &[]),
            5,
            &p,
        )
        .unwrap();
        assert_eq!(
            d.get(p1, "users", "U1").unwrap().unwrap()["email"],
            "alice@acme.com",
            "{b}"
        );
        assert_eq!(
            d.get(p1, "users", "U3").unwrap(),
            None,
            "{b}: projects are separate"
        );
        // String keys compare ignoring case; each project sees only its own documents.
        assert_eq!(
            d.ids_by_key(p1, "users", "loginIds", &json!("ALICE@acme.com"))
                .unwrap(),
            vec!["U1"],
            "{b}"
        );
        assert_eq!(
            d.ids_by_key(p2, "users", "loginIds", &json!("alice@acme.com"))
                .unwrap(),
            vec!["U3"],
            "{b}"
        );
        // Array paths: every tenant of a user is a key.
        assert_eq!(
            d.ids_by_key(p1, "users", "userTenants[].tenantId", &json!("t2"))
                .unwrap(),
            vec!["U2"],
            "{b}"
        );
        let ids =
            |rows: Vec<(String, Value)>| rows.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(
            ids(d.scan(p1, "users").unwrap()),
            vec!["U1", "U2"],
            "{b}: oldest first"
        );
        let t1 = vec![("userTenants[].tenantId".to_owned(), vec!["t1".to_owned()])];
        assert_eq!(
            ids(d.select(p1, "users", &t1).unwrap()),
            vec!["U1", "U2"],
            "{b}"
        );
        let both = vec![
            t1[0].clone(),
            (
                "email".to_owned(),
                vec!["bob@acme.com".to_owned(), "nobody@x".to_owned()],
            ),
        ];
        assert_eq!(
            ids(d.select(p1, "users", &both).unwrap()),
            vec!["U2"],
            "{b}: constraints AND, values OR"
        );
        assert!(
            d.select(p1, "users", &[("email".to_owned(), vec![])])
                .unwrap()
                .is_empty(),
            "{b}: no allowed value, no match"
        );
        assert_eq!(d.count(p1, "users").unwrap(), 2, "{b}");
        // Replacing a document refreshes its keys and keeps its place (first `created`).
        d.put(
            p1,
            "users",
            "U1",
            &user("alice2@acme.com", "alice@acme.com", &[]),
            99,
            &p,
        )
        .unwrap();
        assert!(
            d.ids_by_key(p1, "users", "loginIds", &json!("alice@acme.com"))
                .unwrap()
                .is_empty(),
            "{b}: old key gone"
        );
        assert_eq!(
            d.ids_by_key(p1, "users", "loginIds", &json!("alice2@acme.com"))
                .unwrap(),
            vec!["U1"],
            "{b}"
        );
        assert_eq!(
            ids(d.scan(p1, "users").unwrap()),
            vec!["U1", "U2"],
            "{b}: order kept"
        );
        d.put(p1, "tenants", "T1", &json!({"name": "Acme"}), 1, &[])
            .unwrap();
        assert_eq!(d.collections(p1).unwrap(), vec!["tenants", "users"], "{b}");
        assert!(d.delete(p1, "users", "U2").unwrap(), "{b}");
        assert!(!d.delete(p1, "users", "U2").unwrap(), "{b}: already gone");
        assert!(
            d.ids_by_key(p1, "users", "email", &json!("bob@acme.com"))
                .unwrap()
                .is_empty(),
            "{b}: keys go with it"
        );
    });
}

#[test]
fn a_changed_index_layout_reindexes_existing_documents_once() {
    each(|b, db, fx| {
        let p1 = fx.p1.as_str();
        let d = db.docs();
        d.put(
            p1,
            "users",
            "U1",
            &json!({"email": "a@x.com", "name": "Ann"}),
            1,
            &["email".to_owned()],
        )
        .unwrap();
        let wider = vec!["email".to_owned(), "name".to_owned()];
        assert_eq!(d.ensure_index("users", &wider).unwrap(), 1, "{b}: rebuilt");
        assert_eq!(
            d.ids_by_key(p1, "users", "name", &json!("ann")).unwrap(),
            vec!["U1"],
            "{b}"
        );
        assert_eq!(
            d.ensure_index("users", &wider).unwrap(),
            0,
            "{b}: same layout, nothing to do"
        );
    });
}

#[test]
fn transactions_commit_roll_back_and_nest() {
    each(|b, db, fx| {
        let p = fx.p1.as_str();
        let d = db.docs();
        in_tx(db, |t| t.docs().put(p, "c", "kept", &json!({}), 1, &[])).unwrap();
        let failed: Result<(), idmcp::store::Error> = in_tx(db, |t| {
            t.docs().put(p, "c", "lost", &json!({}), 1, &[])?;
            Err(idmcp::store::Error::msg("the operation failed"))
        });
        assert!(failed.is_err(), "{b}");
        assert!(d.get(p, "c", "kept").unwrap().is_some(), "{b}");
        assert!(d.get(p, "c", "lost").unwrap().is_none(), "{b}: rolled back");
        // A savepoint undoes one item of a batch and keeps the rest of the transaction.
        db.begin().unwrap();
        d.put(p, "c", "one", &json!({}), 1, &[]).unwrap();
        db.savepoint("item").unwrap();
        d.put(p, "c", "two", &json!({}), 1, &[]).unwrap();
        db.rollback_to("item").unwrap();
        db.savepoint("item").unwrap();
        d.put(p, "c", "three", &json!({}), 1, &[]).unwrap();
        db.release("item").unwrap();
        db.commit().unwrap();
        let ids: Vec<String> = d
            .scan(p, "c")
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, vec!["kept", "one", "three"], "{b}");
        assert!(
            db.savepoint("x; DROP TABLE docs").is_err(),
            "{b}: savepoint names are identifiers"
        );
    });
}

fn event(t: i64, action: &str, user: &str, method: &str, tenants: &[&str]) -> Event {
    Event {
        project_id: "P".into(),
        occurred: t,
        action: action.into(),
        user_id: user.into(),
        login_id: format!("{user}@Example.com"),
        method: method.into(),
        device: "Desktop".into(),
        geo: "US".into(),
        tenants: tenants.iter().map(|s| (*s).to_owned()).collect(),
        data: if action == "LoginFailed" {
            json!({"factor": "first"})
        } else {
            Value::Null
        },
        ..Event::default()
    }
}

#[test]
fn events_are_searched_with_filters_and_paging_and_aggregated() {
    const DAY: i64 = 86_400_000;
    each(|b, db, _| {
        let e = db.events();
        let evs = [
            event(DAY, "LoginSucceed", "u1", "otp", &["T1"]),
            event(DAY + 5, "LoginFailed", "u2", "password", &[]),
            event(2 * DAY, "LoginSucceed", "u1", "otp", &["T1", "T2"]),
            event(9 * DAY, "LoginSucceed", "u3", "passkey", &["T2"]),
        ];
        for ev in &evs {
            e.insert(ev).unwrap();
        }
        let all = Filter {
            project_id: "P".into(),
            from: 0,
            to: 10 * DAY,
            ..Filter::default()
        };
        let (page, total) = e.search(&all, false, 0, 2).unwrap();
        assert_eq!(total, 4, "{b}");
        assert_eq!(
            page.iter().map(|s| s.event.occurred).collect::<Vec<_>>(),
            vec![9 * DAY, 2 * DAY],
            "{b}: newest first"
        );
        let (page, _) = e.search(&all, true, 3, 2).unwrap();
        assert_eq!(page.len(), 1, "{b}: last page");
        assert_eq!(page[0].event.user_id, "u3", "{b}");
        assert_eq!(page[0].event.tenants, vec!["T2"], "{b}");
        let f = Filter {
            methods: vec!["OTP".into()],
            tenants: vec!["T2".into()],
            ..all.clone()
        };
        assert_eq!(
            e.search(&f, false, 0, 10).unwrap().1,
            1,
            "{b}: method ignores case, tenant in array"
        );
        let f = Filter {
            login_ids: vec!["U2@example.COM".into()],
            factors: vec!["first".into()],
            ..all.clone()
        };
        assert_eq!(e.search(&f, false, 0, 10).unwrap().1, 1, "{b}");
        let f = Filter {
            no_tenants: true,
            ..all.clone()
        };
        assert_eq!(
            e.search(&f, false, 0, 10).unwrap().0[0].event.action,
            "LoginFailed",
            "{b}"
        );
        let f = Filter {
            text: Some("passKEY".into()),
            ..all.clone()
        };
        assert_eq!(e.search(&f, false, 0, 10).unwrap().1, 1, "{b}: free text");
        let f = Filter {
            from: DAY + 1,
            to: 2 * DAY,
            ..all.clone()
        };
        assert_eq!(
            e.search(&f, false, 0, 10).unwrap().1,
            2,
            "{b}: inclusive bounds"
        );
        assert_eq!(e.oldest("P").unwrap(), Some(DAY), "{b}");
        assert_eq!(e.oldest("nothing").unwrap(), None, "{b}");

        let g = GroupBy {
            action: true,
            created: Some(Bucket::Week),
            distinct_users: true,
            ..GroupBy::default()
        };
        let rows = e.aggregate(&all, &g).unwrap();
        // 1970-01-02..03 are in the week of Monday 1969-12-29; day 9 in the week of 1970-01-05.
        let first_week = -3 * DAY;
        let logins = rows
            .iter()
            .find(|r| r.action == "LoginSucceed" && r.bucket_start_ms == Some(first_week))
            .unwrap();
        assert_eq!(
            (logins.count, logins.distinct_users),
            (2, Some(1)),
            "{b}: {rows:?}"
        );
        assert_eq!(rows.iter().map(|r| r.count).sum::<i64>(), 4, "{b}");
        let by_tenant = e
            .aggregate(
                &all,
                &GroupBy {
                    tenant: true,
                    ..GroupBy::default()
                },
            )
            .unwrap();
        let count = |t: &str| by_tenant.iter().find(|r| r.tenant == t).map(|r| r.count);
        assert_eq!(
            (count("T1"), count("T2"), count("")),
            (Some(2), Some(2), Some(1)),
            "{b}: an event counts for each tenant"
        );
    });
}

#[test]
fn principals_tokens_and_sessions() {
    each(|b, db, _| {
        let p = db.principals();
        assert_eq!(p.company_count().unwrap(), 1, "{b}: the fixture's");
        let c = p.ensure_company("Acme", 1).unwrap();
        assert_eq!(p.ensure_company("Acme", 2).unwrap(), c, "{b}: idempotent");
        assert_eq!(p.company_count().unwrap(), 2, "{b}");
        assert_eq!(p.company_name(&c).unwrap().as_deref(), Some("Acme"), "{b}");
        p.ensure_descoper(&c, "admin@acme.example", "Admin", true, 1)
            .unwrap();
        let prod = p
            .ensure_project(&c, "acme-prod", "production", &["prod"], 1)
            .unwrap();
        let staging = p.ensure_project(&c, "acme-staging", "", &[], 2).unwrap();
        let names: Vec<String> = p
            .projects_of(&c)
            .unwrap()
            .into_iter()
            .map(|x| x.name)
            .collect();
        assert_eq!(names, vec!["acme-prod", "acme-staging"], "{b}");
        assert_eq!(
            p.find_project(&c, "ACME-STAGING").unwrap().unwrap().id,
            staging,
            "{b}: names ignore case"
        );
        assert_eq!(
            p.find_project(&c, &prod).unwrap().unwrap().tags,
            vec!["prod"],
            "{b}"
        );
        let other = p.ensure_company("Other", 1).unwrap();
        assert!(
            p.find_project(&other, &prod).unwrap().is_none(),
            "{b}: never another company's project"
        );

        assert!(
            p.create_token("nobody@x", "t", None, 1).unwrap().is_none(),
            "{b}"
        );
        let (id, secret) = p
            .create_token("admin@acme.example", "laptop", Some(1_000), 1)
            .unwrap()
            .unwrap();
        let who = p.principal_for_token(&secret, 500).unwrap().unwrap();
        assert_eq!(
            (
                who.email.as_str(),
                who.company_id.as_str(),
                who.credential.as_str()
            ),
            ("admin@acme.example", c.as_str(), id.as_str()),
            "{b}"
        );
        assert!(
            p.principal_for_token(&secret, 1_000).unwrap().is_none(),
            "{b}: expired"
        );
        assert!(
            p.principal_for_token("idmcp_wrong", 500).unwrap().is_none(),
            "{b}"
        );
        let (again, expires) = p.token_principal(&secret, 500).unwrap().unwrap();
        assert_eq!(
            (again, expires),
            (who.clone(), Some(1_000)),
            "{b}: with its expiry"
        );
        assert!(
            p.token_principal(&secret, 1_000).unwrap().is_none(),
            "{b}: expired"
        );
        let listed = p.list_tokens().unwrap().join("\n");
        assert!(
            listed.contains(&id) && !listed.contains(&secret),
            "{b}: {listed}"
        );

        // The auth generation moves with every change a cached principal or session depends on.
        let mut generation = p.auth_generation().unwrap();
        let moved = |generation: &mut i64, what: &str| {
            let now = p.auth_generation().unwrap();
            assert_ne!(now, *generation, "{b}: {what} moves the auth generation");
            *generation = now;
        };
        let s = p.session_for(&who, 10).unwrap();
        assert_eq!(
            s.project_id.as_deref(),
            Some(prod.as_str()),
            "{b}: first project by default"
        );
        moved(&mut generation, "creating a session");
        p.session_for(&who, 10).unwrap();
        assert_eq!(
            p.auth_generation().unwrap(),
            generation,
            "{b}: reading a session does not"
        );
        p.set_session_project(&s.key, &staging, 11).unwrap();
        moved(&mut generation, "selecting a project");
        p.set_elevation(&s.key, Some(99), Some("ap_1"), 12).unwrap();
        moved(&mut generation, "opening a write window");
        p.ensure_project(&c, "acme-dev", "", &[], 3).unwrap();
        moved(&mut generation, "creating a project");
        p.create_token("admin@acme.example", "other", None, 3)
            .unwrap()
            .unwrap();
        moved(&mut generation, "creating a token");
        let s = p.session_for(&who, 13).unwrap();
        assert_eq!(
            (
                s.project_id.as_deref(),
                s.elevated_until,
                s.approval_id.as_deref()
            ),
            (Some(staging.as_str()), Some(99), Some("ap_1")),
            "{b}"
        );
        assert_eq!(p.end_all_elevations(14).unwrap(), 1, "{b}");
        assert_eq!(p.session_for(&who, 15).unwrap().elevated_until, None, "{b}");

        let before_revoke = p.auth_generation().unwrap();
        assert_eq!(
            p.revoke_token(&secret, 20).unwrap().as_deref(),
            Some(id.as_str()),
            "{b}: by secret"
        );
        assert_ne!(
            p.auth_generation().unwrap(),
            before_revoke,
            "{b}: revoking a token moves the auth generation"
        );
        assert!(
            p.revoke_token(&id, 21).unwrap().is_none(),
            "{b}: already revoked"
        );
        assert!(
            p.principal_for_token(&secret, 500).unwrap().is_none(),
            "{b}"
        );
        assert_eq!(
            p.principal_for_email("admin@acme.example")
                .unwrap()
                .unwrap()
                .credential,
            "local:admin@acme.example",
            "{b}"
        );
    });
}

fn approval(id: &str, session: &str, requests: Vec<Request>, created: i64) -> Approval {
    Approval {
        id: id.into(),
        company_id: "C".into(),
        descoper_id: "D".into(),
        session_key: session.into(),
        project_id: "P".into(),
        requests,
        display: json!({"items": []}),
        csrf: "csrf".into(),
        status: Status::Pending,
        attempts: 0,
        created,
        expires: created + 600_000,
        window_until: None,
        used: Vec::new(),
        otp_hash: "digest".into(),
    }
}

#[test]
fn approval_records_and_failed_passcodes() {
    each(|b, db, _| {
        let a = db.approvals();
        let req = Request {
            tool: "users_write".into(),
            operation: "DeleteUser".into(),
            args: r#"{"loginId":"x"}"#.into(),
        };
        let other = Request {
            args: r#"{"loginId":"y"}"#.into(),
            ..req.clone()
        };
        a.insert(&approval("ap_1", "S", vec![req.clone()], 1_000))
            .unwrap();
        a.insert(&approval(
            "ap_2",
            "S",
            vec![req.clone(), other.clone()],
            2_000,
        ))
        .unwrap();
        assert_eq!(
            a.load("ap_1").unwrap().unwrap().requests,
            vec![req.clone()],
            "{b}"
        );
        assert_eq!(
            a.pending_for("S", "P", std::slice::from_ref(&req), 3_000)
                .unwrap()
                .unwrap()
                .id,
            "ap_1",
            "{b}: exact requests"
        );
        assert!(
            a.pending_for("S", "P", &[other.clone()], 3_000)
                .unwrap()
                .is_none(),
            "{b}"
        );
        assert!(
            a.pending_for("S", "P", std::slice::from_ref(&req), 601_000)
                .unwrap()
                .is_none(),
            "{b}: expired"
        );
        assert_eq!(
            a.of_session("S")
                .unwrap()
                .iter()
                .map(|x| x.id.as_str())
                .collect::<Vec<_>>(),
            vec!["ap_2", "ap_1"],
            "{b}"
        );

        a.set_approved("ap_2", 5_000, 905_000).unwrap();
        a.set_used("ap_2", &[1]).unwrap();
        let open = a.open_windows("S", "P", 6_000).unwrap();
        assert_eq!(
            (open.len(), open[0].used.clone(), open[0].status.clone()),
            (1, vec![1], Status::Approved),
            "{b}"
        );
        assert!(
            a.open_windows("S", "P", 905_000).unwrap().is_empty(),
            "{b}: window closed"
        );
        a.set_attempts("ap_1", 2, false).unwrap();
        assert_eq!(a.load("ap_1").unwrap().unwrap().attempts, 2, "{b}");
        a.set_attempts("ap_1", 5, true).unwrap();
        assert_eq!(
            a.load("ap_1").unwrap().unwrap().status,
            Status::Voided,
            "{b}"
        );
        assert_eq!(
            a.void_session("S").unwrap(),
            1,
            "{b}: only ap_2 was still live"
        );
        a.insert(&approval("ap_3", "T", vec![req], 3_000)).unwrap();
        assert_eq!(a.void_all().unwrap(), 1, "{b}");
        a.void("ap_3").unwrap();

        a.add_failure("D", 10).unwrap();
        a.add_failure("D", 20).unwrap();
        a.add_failure("E", 30).unwrap();
        assert_eq!(a.failures_since("D", 0).unwrap(), (2, Some(20)), "{b}");
        assert_eq!(a.failures_since("D", 15).unwrap(), (1, Some(20)), "{b}");
        assert_eq!(a.failures_since("D", 20).unwrap(), (0, None), "{b}");
    });
}

#[test]
fn server_keys_and_authenticator_steps() {
    each(|b, db, fx| {
        let d = fx.descoper.as_str();
        let s = db.secrets();
        let k = s.server_key("otp", &[1; 32]).unwrap();
        assert_eq!(k, vec![1; 32], "{b}");
        assert_eq!(
            s.server_key("otp", &[2; 32]).unwrap(),
            k,
            "{b}: the first key stays"
        );
        assert!(s.totp(d).unwrap().is_none(), "{b}");
        s.put_totp(d, "JBSWY3DPEHPK3PXP", 1).unwrap();
        assert!(s.advance_totp(d, 100).unwrap(), "{b}");
        assert!(!s.advance_totp(d, 100).unwrap(), "{b}: a step is used once");
        assert!(!s.advance_totp(d, 99).unwrap(), "{b}: never backwards");
        assert_eq!(s.totp(d).unwrap().unwrap().last_step, 100, "{b}");
        s.put_totp(d, "KRSXG5CTMVRXEZLU", 2).unwrap();
        assert_eq!(
            s.totp(d).unwrap().unwrap().last_step,
            0,
            "{b}: re-enrolment resets"
        );
        assert!(
            s.delete_totp(d).unwrap() && !s.delete_totp(d).unwrap(),
            "{b}"
        );
    });
}

#[test]
fn journal_records_append_in_order_and_verify() {
    each(|b, db, _| {
        let p = idmcp::store::principals::Principal {
            descoper_id: "D".into(),
            email: "a@x".into(),
            name: "A".into(),
            company_id: "C".into(),
            company_name: "X".into(),
            is_admin: true,
            credential: "T1".into(),
        };
        for i in 0..5 {
            let e = idmcp::journal::Entry::new(1_000 + i, "tool_call", &p)
                .tool("users_read")
                .outcome("ok");
            in_tx(db, |t| idmcp::journal::append_in(t, &e)).unwrap();
        }
        assert_eq!(idmcp::journal::verify(db).unwrap(), Ok(5), "{b}");
        let (seq, hash) = db.journal().last().unwrap().unwrap();
        assert_eq!(seq, 5, "{b}");
        let mut seen = Vec::new();
        db.journal()
            .scan(&mut |r: Record| {
                seen.push(r.seq);
                r.seq < 3
            })
            .unwrap();
        assert_eq!(seen, vec![1, 2, 3], "{b}: the visitor stops the scan");
        // A record appended out of the chain (wrong link) is caught.
        let mut fields: [String; 13] = Default::default();
        fields[0] = "2000".into();
        fields[9] = "0".into();
        let forged = Record {
            seq: 6,
            fields,
            prev_hash: "0".repeat(64),
            hash: hash.clone(),
        };
        db.journal().insert(&forged).unwrap();
        assert_eq!(idmcp::journal::verify(db).unwrap().unwrap_err().0, 6, "{b}");
    });
}

#[test]
fn a_reopened_store_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let project = {
        let store = Store::open(dir.path()).unwrap();
        let db = store.writer_blocking();
        in_tx(&*db, |t| {
            let c = t.principals().ensure_company("Acme", 1)?;
            let p = t.principals().ensure_project(&c, "prod", "", &[], 1)?;
            t.docs().put(&p, "c", "x", &json!({"v": 1}), 1, &[])?;
            Ok::<_, idmcp::store::Error>(p)
        })
        .unwrap()
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store
            .writer_blocking()
            .docs()
            .get(&project, "c", "x")
            .unwrap(),
        Some(json!({"v": 1}))
    );
    assert!(store.location().ends_with("idmcp.db"));
}
