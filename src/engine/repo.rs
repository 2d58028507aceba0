//! Stored collections as the spec declares them (`operations/_collections/`): their
//! definitions as codegen emits them, and a typed repository per collection
//! (`ctx.repo::<Tenant>()`) with the shared lookups, the declared not-found error, and deletes
//! that carry out the declared references (restrict, cascade, remove, unset).

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Ctx;
use crate::error::ApiError;

/// One stored collection, as declared in `operations/_collections/<name>.yaml`.
#[derive(Debug)]
pub struct CollectionDef {
    pub name: &'static str,
    pub description: &'static str,
    /// The `_defs` shape of its documents, when typed.
    pub document: Option<&'static str>,
    /// The document field holding the ID, when the ID is a field.
    pub id: Option<&'static str>,
    /// The complete index layout: ID, keys, unique fields, inbound reference paths.
    pub keys: &'static [&'static str],
    pub unique: &'static [UniqueDef],
    /// Collections holding this one's IDs, and what a delete does to them.
    pub references: &'static [ReferenceDef],
    /// `(code, message)` of a lookup of a missing ID.
    pub not_found: Option<(&'static str, &'static str)>,
}

#[derive(Debug)]
pub struct UniqueDef {
    pub field: &'static str,
    pub ignore_case: bool,
    pub conflict: Option<(&'static str, &'static str)>,
}

#[derive(Debug)]
pub struct ReferenceDef {
    pub from: &'static str,
    pub path: &'static str,
    pub on_delete: OnDelete,
}

/// What deleting a document does to the documents that reference it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    /// The delete fails while any reference exists, naming how many.
    Restrict,
    /// The referencing documents are deleted too (and their own references followed).
    Cascade,
    /// The reference is taken out: the array element holding it, or the scalar field.
    Remove,
    /// The referencing field is cleared.
    Unset,
}

/// A typed document stored in a declared collection (implemented by codegen for every
/// collection with a `document` shape).
pub trait Collection: Serialize + DeserializeOwned {
    const DEF: &'static CollectionDef;
}

/// The declared collection called `name`.
pub fn def(name: &str) -> Option<&'static CollectionDef> {
    let all = &crate::catalog::generated::COLLECTIONS;
    all.binary_search_by(|c| c.name.cmp(name))
        .ok()
        .map(|i| &all[i])
}

/// Every declared collection, sorted by name.
pub fn all() -> &'static [CollectionDef] {
    &crate::catalog::generated::COLLECTIONS
}

/// Typed access to one collection of the selected project.
pub struct Repo<'c, T> {
    ctx: &'c Ctx,
    _doc: PhantomData<T>,
}

impl Ctx {
    /// The typed repository of `T`'s collection.
    pub fn repo<T: Collection>(&self) -> Repo<'_, T> {
        Repo {
            ctx: self,
            _doc: PhantomData,
        }
    }
}

fn decode<T: Collection>(id: &str, doc: Value) -> Result<T, ApiError> {
    serde_json::from_value(doc).map_err(|e| {
        ApiError::internal(format!(
            "stored {} document `{id}` does not fit its `{}` shape: {e}",
            T::DEF.name,
            T::DEF.document.unwrap_or("?")
        ))
    })
}

impl<T: Collection> Repo<'_, T> {
    /// The document with this ID, if any.
    pub fn get(&self, id: &str) -> Result<Option<T>, ApiError> {
        let pid = self.ctx.project_id()?;
        match self.ctx.db().docs().get(pid, T::DEF.name, id)? {
            Some(doc) => decode(id, doc).map(Some),
            None => Ok(None),
        }
    }

    /// The document with this ID, or the collection's declared not-found error naming it.
    pub fn require(&self, id: &str) -> Result<T, ApiError> {
        self.get(id)?.ok_or_else(|| not_found(T::DEF, id))
    }

    /// The first document whose key `path` equals `value`.
    pub fn find_by(&self, path: &str, value: &Value) -> Result<Option<(String, T)>, ApiError> {
        match self.ctx.find(T::DEF.name, path, value)? {
            Some((id, doc)) => Ok(Some((id.clone(), decode(&id, doc)?))),
            None => Ok(None),
        }
    }

    /// Every document, in store order.
    pub fn all(&self) -> Result<Vec<(String, T)>, ApiError> {
        let pid = self.ctx.project_id()?;
        self.ctx
            .db()
            .docs()
            .scan(pid, T::DEF.name)?
            .into_iter()
            .map(|(id, doc)| Ok((id.clone(), decode(&id, doc)?)))
            .collect()
    }

    /// Stores `doc` under its ID field (typed collections always have one).
    pub fn put(&self, doc: &T) -> Result<(), ApiError> {
        let value = serde_json::to_value(doc).map_err(|e| {
            ApiError::internal(format!("cannot encode a {} document: {e}", T::DEF.name))
        })?;
        let field = T::DEF
            .id
            .expect("codegen requires `id` on typed collections");
        let id = value
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::internal(format!("a {} document has no `{field}`", T::DEF.name))
            })?
            .to_owned();
        self.ctx.put(T::DEF.name, &id, &value)
    }

    /// Deletes the document and carries out the declared references; false if it was absent.
    pub fn delete(&self, id: &str) -> Result<bool, ApiError> {
        delete(self.ctx, T::DEF, id)
    }
}

/// The declared not-found error of `def`, naming the ID.
pub fn not_found(def: &CollectionDef, id: &str) -> ApiError {
    match def.not_found {
        Some((code, msg)) => ApiError::not_found(code, format!("{msg}: `{id}`")),
        None => ApiError::not_found("E011004", format!("no {} document `{id}`", def.name)),
    }
}

/// Deletes `id` from `def`'s collection: first every restricting reference is checked (and
/// fails the whole delete), then cascades, removals and unsets are applied.
pub fn delete(ctx: &Ctx, def: &CollectionDef, id: &str) -> Result<bool, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let docs = ctx.db().docs();
    if docs.get(&pid, def.name, id)?.is_none() {
        return Ok(false);
    }
    let target = json!(id);
    for r in def
        .references
        .iter()
        .filter(|r| r.on_delete == OnDelete::Restrict)
    {
        let n = docs.ids_by_key(&pid, r.from, r.path, &target)?.len();
        if n > 0 {
            return Err(ApiError::invalid(format!(
                "cannot delete {} `{id}`: {n} {} document(s) still reference it at `{}`; remove those references first",
                def.name, r.from, r.path
            )));
        }
    }
    for r in def
        .references
        .iter()
        .filter(|r| r.on_delete != OnDelete::Restrict)
    {
        for rid in docs.ids_by_key(&pid, r.from, r.path, &target)? {
            let from = self::def(r.from).expect("codegen checks reference targets");
            if r.on_delete == OnDelete::Cascade {
                delete(ctx, from, &rid)?;
                continue;
            }
            let Some(mut doc) = docs.get(&pid, r.from, &rid)? else {
                continue;
            };
            detach(&mut doc, r.path, id, r.on_delete);
            ctx.put(r.from, &rid, &doc)?;
        }
    }
    docs.delete(&pid, def.name, id)?;
    Ok(true)
}

/// Takes the reference to `id` at `path` (`a`, `a[]`, `a[].b`) out of `doc`.
fn detach(doc: &mut Value, path: &str, id: &str, how: OnDelete) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (name, each) = match head.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (head, false),
    };
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    match (each, rest) {
        (false, None) => {
            if obj.get(name).and_then(Value::as_str) == Some(id) {
                match how {
                    OnDelete::Unset => obj.insert(name.to_owned(), json!("")),
                    _ => obj.remove(name),
                };
            }
        }
        (false, Some(rest)) => {
            if let Some(child) = obj.get_mut(name) {
                detach(child, rest, id, how);
            }
        }
        (true, rest) => {
            let Some(list) = obj.get_mut(name).and_then(Value::as_array_mut) else {
                return;
            };
            match (rest, how) {
                // The element holding the reference goes.
                (None, _) => list.retain(|v| v.as_str() != Some(id)),
                (Some(rest), OnDelete::Remove) if !rest.contains('.') => {
                    list.retain(|v| v.get(rest).and_then(Value::as_str) != Some(id))
                }
                (Some(rest), _) => list.iter_mut().for_each(|v| detach(v, rest, id, how)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_takes_out_the_reference_at_each_path_shape() {
        let mut d = json!({"parent": "T1", "tags": ["T1", "T2"], "ut": [{"tenantId": "T1"}, {"tenantId": "T2"}]});
        detach(&mut d, "parent", "T1", OnDelete::Remove);
        detach(&mut d, "tags[]", "T1", OnDelete::Remove);
        detach(&mut d, "ut[].tenantId", "T1", OnDelete::Remove);
        assert_eq!(d, json!({"tags": ["T2"], "ut": [{"tenantId": "T2"}]}));
        let mut d = json!({"parent": "T1", "ut": [{"tenantId": "T1"}]});
        detach(&mut d, "parent", "T1", OnDelete::Unset);
        detach(&mut d, "ut[].tenantId", "T1", OnDelete::Unset);
        assert_eq!(d, json!({"parent": "", "ut": [{"tenantId": ""}]}));
        let mut d = json!({"parent": "T9"});
        detach(&mut d, "parent", "T1", OnDelete::Remove);
        assert_eq!(d, json!({"parent": "T9"}), "another ID stays");
    }

    use crate::catalog::generated::defs;

    /// Every stored document of `T`'s collection decodes into `T` and encodes back unchanged,
    /// so typed access loses nothing of what the demo (and the operations) store.
    fn round_trips<T: Collection>(ctx: &Ctx) -> usize {
        let pid = ctx.project_id().unwrap();
        let stored = ctx.db().docs().scan(pid, T::DEF.name).unwrap();
        for (id, doc) in &stored {
            let typed: T = decode(id, doc.clone()).unwrap();
            assert_eq!(
                &serde_json::to_value(&typed).unwrap(),
                doc,
                "{} `{id}` changes through its type",
                T::DEF.name
            );
        }
        stored.len()
    }

    #[test]
    fn typed_collections_round_trip_the_demo_documents() {
        let t = crate::testkit::Direct::new();
        t.with_ctx(|ctx| {
            assert!(round_trips::<defs::Tenant>(ctx) > 5);
            assert!(round_trips::<defs::Role>(ctx) > 5);
            assert!(round_trips::<defs::Permission>(ctx) > 5);
            assert!(round_trips::<defs::List>(ctx) > 0);
            round_trips::<defs::JwtTemplate>(ctx);
            round_trips::<defs::TrustedDevice>(ctx);
            round_trips::<defs::CustomAttribute>(ctx);
            round_trips::<defs::PasswordSettings>(ctx);
            assert!(round_trips::<defs::User>(ctx) > 100);
        });
    }

    #[test]
    fn repo_lookups_and_deletes_follow_the_declaration() {
        let t = crate::testkit::Direct::new();
        t.with_ctx(|ctx| {
            let tenants = ctx.repo::<defs::Tenant>();
            let err = tenants.require("T-nope").unwrap_err();
            assert_eq!(err.error_code, "E011004");
            assert!(err.to_string().contains("T-nope"), "{err}");
            let (id, acme) = tenants
                .find_by("name", &json!("ACME"))
                .unwrap()
                .expect("Acme found by name, ignoring case");
            assert_eq!(acme.id, id);
            // A tenant with members, keys or tenant roles: delete carries out the references.
            let pid = ctx.project_id().unwrap().to_owned();
            let docs = ctx.db().docs();
            let (victim, members) = tenants
                .all()
                .unwrap()
                .into_iter()
                .map(|(id, _)| {
                    let n = docs
                        .ids_by_key(&pid, "users", "userTenants[].tenantId", &json!(id))
                        .unwrap();
                    (id, n)
                })
                .find(|(_, n)| !n.is_empty())
                .expect("a tenant with members");
            assert!(tenants.delete(&victim).unwrap());
            assert!(tenants.get(&victim).unwrap().is_none());
            for uid in members {
                let u = docs
                    .get(&pid, "users", &uid)
                    .unwrap()
                    .expect("members stay");
                assert!(
                    !u.to_string()
                        .contains(&format!("\"tenantId\":\"{victim}\"")),
                    "{uid} still in {victim}"
                );
            }
            for (path, coll) in [
                ("tenantId", "roles"),
                ("keyTenants[].tenantId", "access_keys"),
            ] {
                assert!(
                    docs.ids_by_key(&pid, coll, path, &json!(victim))
                        .unwrap()
                        .is_empty(),
                    "{coll}"
                );
            }
            assert!(
                !tenants.delete(&victim).unwrap(),
                "a second delete finds nothing"
            );
        });
    }

    #[test]
    fn every_collection_is_declared_once_and_sorted() {
        let names: Vec<&str> = all().iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(def("tenants").is_some_and(|t| t.keys.contains(&"name")));
        assert!(def("users").is_some_and(|u| u.keys.contains(&"userTenants[].tenantId")));
        assert!(def("tenant").is_none());
    }
}
