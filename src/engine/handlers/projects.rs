//! Projects as a whole, in the `project` area: CloneProject (and CloneProjectAsync with
//! GetCloneProjectProcess) copies the selected project's configuration into a new project of the
//! same company; CreateProject (extension G13) makes an empty one.
//!
//! What a clone copies follows Descope: configuration, secrets included; not users, tenants or
//! access keys, nor documents bound to a tenant (tenant roles, tenant password policies), nor
//! runtime data ([`super::project::is_runtime_data`]).

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use super::auth_keys::{KEYS_COLL, PROJECT_SETTINGS};
use super::project::is_runtime_data;
use super::users::out;
use crate::catalog::generated::types::project::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::principals::{Project, new_id};

/// Collections a clone leaves behind (Descope: "users, tenants and access keys are not cloned").
const NOT_CLONED: &[&str] = &[
    "tenants",
    "tenant_settings",
    "tenant_admin_links",
    KEYS_COLL,
];

/// Where the source project records its clone runs for GetCloneProjectProcess. A record of runs
/// is history, not configuration: the name makes [`is_runtime_data`] keep it out of snapshots
/// and clones.
const CLONE_RUNS: &str = "project_clone_history";

/// Creates project `name` in the caller's company, refusing a name (or ID) already in use.
fn new_project(
    ctx: &Ctx,
    name: &str,
    environment: Option<&str>,
    tags: Option<&Vec<String>>,
) -> Result<Project, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid(
            "`name` is blank: give the new project a name",
        ));
    }
    let company = &ctx.principal.company_id;
    // Names are unique in the company ignoring case, as session.selectProject finds them.
    if let Some(p) = ctx.db().principals().find_project(company, name)? {
        return Err(ApiError::conflict(
            "E011001",
            format!(
                "your company already has a project named `{}` (ID {}); choose another name (session listProjects shows them all)",
                p.name, p.id
            ),
        ));
    }
    let environment = environment.unwrap_or_default().to_owned();
    let tags = tags.cloned().unwrap_or_default();
    let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
    let id =
        ctx.db()
            .principals()
            .ensure_project(company, name, &environment, &tag_refs, ctx.now_ms)?;
    Ok(Project {
        id,
        name: name.to_owned(),
        environment,
        tags,
    })
}

/// Runs `f` with `project` as the context's project, so `ctx.put` writes there; the session's
/// project is restored afterwards, whatever `f` returns.
fn in_project<T>(
    ctx: &mut Ctx,
    project: &Project,
    f: impl FnOnce(&Ctx) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let source = ctx.project.replace(project.clone());
    let result = f(ctx);
    ctx.project = source;
    result
}

/// The selected project's documents a clone copies: (collection, ID, document).
fn configuration(ctx: &Ctx) -> Result<Vec<(String, String, Value)>, ApiError> {
    let pid = ctx.project_id()?;
    let mut out = Vec::new();
    for coll in ctx.db().docs().collections(pid)? {
        if is_runtime_data(&coll) || NOT_CLONED.contains(&coll.as_str()) {
            continue;
        }
        for (id, doc) in ctx.db().docs().scan(pid, &coll)? {
            // A document bound to a tenant would point at a tenant the copy does not have.
            if doc
                .get("tenantId")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            {
                continue;
            }
            out.push((coll.clone(), id, doc));
        }
    }
    Ok(out)
}

/// Creates the new project and copies the configuration into it; returns it and how many
/// documents were copied.
fn clone_into_new(
    ctx: &mut Ctx,
    name: &str,
    environment: Option<&str>,
    tags: Option<&Vec<String>>,
) -> Result<(Project, usize), ApiError> {
    ctx.project_id()?;
    let docs = configuration(ctx)?;
    let project = new_project(ctx, name, environment, tags)?;
    let copied = docs.len();
    in_project(ctx, &project, |c| {
        docs.iter()
            .try_for_each(|(coll, id, doc)| c.put(coll, id, doc))
    })?;
    Ok((project, copied))
}

fn project_result(p: &Project) -> Value {
    json!({ "projectId": p.id, "projectName": p.name, "environment": p.environment, "tag": p.environment, "tags": p.tags })
}

#[operation(project::CloneProject)]
async fn clone_project(
    ctx: &mut Ctx,
    input: CloneProjectInput,
) -> Result<CloneProjectOutput, ApiError> {
    let (project, _) = clone_into_new(
        ctx,
        &input.name,
        input.environment.as_deref(),
        input.tags.as_ref(),
    )?;
    out(project_result(&project))
}

#[operation(project::CloneProjectAsync)]
async fn clone_project_async(
    ctx: &mut Ctx,
    input: CloneProjectAsyncInput,
) -> Result<CloneProjectAsyncOutput, ApiError> {
    // The copy is one transaction of a few documents, so it completes before the answer; the
    // record lets GetCloneProjectProcess report it as Descope's poll does.
    let (project, copied) = clone_into_new(
        ctx,
        &input.name,
        input.environment.as_deref(),
        input.tags.as_ref(),
    )?;
    let process_id = new_id("CP");
    let run = json!({
        "processId": process_id, "projectId": project.id, "projectName": project.name, "error": "",
        "documentsCopied": copied, "createdTime": ctx.now_secs(), "startedBy": ctx.principal.email,
    });
    ctx.put(CLONE_RUNS, &process_id, &run)?;
    out(json!({ "processId": process_id }))
}

#[operation(project::GetCloneProjectProcess)]
async fn get_clone_project_process(
    ctx: &mut Ctx,
    input: GetCloneProjectProcessInput,
) -> Result<GetCloneProjectProcessOutput, ApiError> {
    let Some(run) = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, CLONE_RUNS, &input.process_id)?
    else {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "no clone process `{}` in this project; a process is kept by the project that was cloned, so select that project (session selectProject) and ask again",
                input.process_id
            ),
        ));
    };
    let field = |f: &str| run.get(f).cloned().unwrap_or_else(|| json!(""));
    out(
        json!({ "projectId": field("projectId"), "projectName": field("projectName"), "error": field("error") }),
    )
}

/// The settings a new project starts with: the token lifetimes an unconfigured tenant reports
/// (see [`super::tenants::default_settings`]), no approved domains or redirect URLs. The
/// password policy is left to its defaults.
fn initial_settings(ctx: &Ctx) -> Value {
    let defaults = super::tenants::default_settings();
    let mut s: Map<String, Value> = Map::new();
    for unit in [
        "sessionTokenExpiration",
        "refreshTokenExpiration",
        "stepupTokenExpiration",
        "inactivityTime",
    ] {
        for f in [unit.to_owned(), format!("{unit}Unit")] {
            if let Some(v) = defaults.get(&f) {
                s.insert(f, v.clone());
            }
        }
    }
    s.insert(
        "enableInactivity".into(),
        defaults
            .get("enableInactivity")
            .cloned()
            .unwrap_or(json!(false)),
    );
    s.insert("approvedDomains".into(), json!([]));
    s.insert("redirectUrls".into(), json!([]));
    s.insert("createdTime".into(), json!(ctx.now_secs()));
    s.insert("modifiedTime".into(), json!(ctx.now_secs()));
    s.insert("modifiedBy".into(), json!(ctx.principal.email));
    Value::Object(s)
}

#[operation(project::CreateProject)]
async fn create_project(
    ctx: &mut Ctx,
    input: CreateProjectInput,
) -> Result<CreateProjectOutput, ApiError> {
    let project = new_project(
        ctx,
        &input.name,
        input.environment.as_deref(),
        input.tags.as_ref(),
    )?;
    let settings = initial_settings(ctx);
    let (coll, id) = PROJECT_SETTINGS;
    in_project(ctx, &project, |c| c.put(coll, id, &settings))?;
    out(project_result(&project))
}

#[cfg(test)]
mod tests {
    //! What the YAML examples cannot state: what a clone copies and leaves behind, the async
    //! process record, and the new project's initial settings.
    use super::*;
    use crate::dispatch::CallError;
    use crate::testkit;

    /// The shared harness, plus the project views these tests compare.
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
        /// Documents per collection of a project.
        fn contents(&self, project_id: &str) -> std::collections::BTreeMap<String, Vec<Value>> {
            let conn = self.app.store.writer_blocking();
            conn.docs()
                .collections(project_id)
                .unwrap()
                .into_iter()
                .map(|c| {
                    let d = conn
                        .docs()
                        .scan(project_id, &c)
                        .unwrap()
                        .into_iter()
                        .map(|(_, d)| d)
                        .collect();
                    (c, d)
                })
                .collect()
        }
        fn project(&self, name: &str) -> Project {
            let conn = self.app.store.writer_blocking();
            conn.principals()
                .find_project(&self.p.company_id, name)
                .unwrap()
                .expect("project exists")
        }
    }

    #[test]
    fn a_clone_copies_configuration_and_leaves_users_tenants_and_keys() {
        let t = T::new();
        let r = t
            .call(
                "project_write",
                "CloneProject",
                json!({"name": "acme-copy", "environment": "production", "tags": ["copy"]}),
            )
            .unwrap();
        assert_eq!(r["projectName"], "acme-copy");
        assert_eq!(
            (r["environment"].as_str(), r["tag"].as_str()),
            (Some("production"), Some("production"))
        );
        let copy = t.project("acme-copy");
        assert_eq!(
            (
                copy.id.as_str(),
                copy.environment.as_str(),
                copy.tags.clone()
            ),
            (
                r["projectId"].as_str().unwrap(),
                "production",
                vec!["copy".to_owned()]
            )
        );

        let (src, dst) = (t.contents(&t.project("acme-prod").id), t.contents(&copy.id));
        for gone in ["users", "tenants", "tenant_settings", "access_keys"] {
            assert!(src.contains_key(gone), "the demo has {gone}");
            assert!(!dst.contains_key(gone), "{gone} must not be cloned");
        }
        for same in [
            "lists",
            "jwt_templates",
            "user_attributes",
            "permissions",
            "project_settings",
        ] {
            assert_eq!(
                src.get(same).map(Vec::len),
                dst.get(same).map(Vec::len),
                "{same} is copied whole"
            );
        }
        let untenanted = |docs: &[Value]| {
            docs.iter()
                .filter(|d| d["tenantId"].as_str().unwrap_or_default().is_empty())
                .count()
        };
        assert!(
            src["roles"].len() > untenanted(&src["roles"]),
            "the demo has tenant roles"
        );
        assert_eq!(
            dst["roles"].len(),
            untenanted(&src["roles"]),
            "only project-level roles are copied"
        );
        assert!(
            dst.get("password_settings")
                .is_none_or(|p| untenanted(p) == p.len()),
            "tenant password policies stay behind"
        );
        assert!(
            dst.keys().all(|c| !is_runtime_data(c)),
            "no runtime data: {:?}",
            dst.keys()
        );

        // The session stays on the source project.
        let status = t
            .call("project_read", "GetProjectSettings", json!({}))
            .unwrap();
        assert_eq!(status["settings"]["refreshTokenExpiration"], 26);
    }

    #[test]
    fn the_async_clone_is_recorded_for_polling() {
        let t = T::new();
        let started = t
            .call(
                "project_write",
                "CloneProjectAsync",
                json!({"name": "acme-async"}),
            )
            .unwrap();
        let id = started["processId"].as_str().unwrap();
        let run = t
            .call(
                "project_read",
                "GetCloneProjectProcess",
                json!({"processId": id}),
            )
            .unwrap();
        assert_eq!(
            run,
            json!({"projectId": t.project("acme-async").id, "projectName": "acme-async", "error": ""})
        );
        // The record is history of the source project, not configuration a snapshot carries.
        let snap = t.call("project_read", "ExportSnapshot", json!({})).unwrap();
        assert!(
            snap["files"]
                .as_object()
                .unwrap()
                .keys()
                .all(|f| !f.contains("clone")),
            "{:?}",
            snap["files"].as_object().unwrap().keys()
        );
    }

    #[test]
    fn a_created_project_is_empty_with_default_settings() {
        let t = T::new();
        let r = t
            .call(
                "project_write",
                "CreateProject",
                json!({"name": "acme-empty"}),
            )
            .unwrap();
        assert_eq!(
            (r["environment"].as_str(), r["tags"].clone()),
            (Some(""), json!([]))
        );
        let contents = t.contents(&t.project("acme-empty").id);
        assert_eq!(contents.keys().collect::<Vec<_>>(), ["project_settings"]);
        let s = &contents["project_settings"][0];
        assert_eq!(
            (
                s["sessionTokenExpiration"].as_i64(),
                s["sessionTokenExpirationUnit"].as_str()
            ),
            (Some(10), Some("minutes"))
        );
        assert_eq!(
            (
                s["refreshTokenExpiration"].as_i64(),
                s["refreshTokenExpirationUnit"].as_str()
            ),
            (Some(4), Some("weeks"))
        );
        assert_eq!(s["modifiedBy"], json!(t.p.email));
        let again = t
            .call(
                "project_write",
                "CreateProject",
                json!({"name": "  ACME-EMPTY "}),
            )
            .unwrap_err();
        assert!(
            matches!(&again, CallError::Api(e) if e.error_code == "E011001" && e.error_message.contains("acme-empty")),
            "{again}"
        );
        let blank = t
            .call("project_write", "CreateProject", json!({"name": "  "}))
            .unwrap_err();
        assert!(
            matches!(&blank, CallError::Api(e) if e.error_code == "E011003"),
            "{blank}"
        );
    }
}
