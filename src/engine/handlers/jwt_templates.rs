//! JWT templates of the `project` area: the strict checks (one checker shared by
//! ValidateJwtTemplate, CreateJwtTemplate, UpdateJwtTemplate and ApplyJwtTemplateFromLibrary),
//! create and update on top of them, and the built-in template library. List, load and delete
//! are declarative verbs (see operations/project/*JwtTemplate*.yaml).
//!
//! A template is stored in `jwt_templates` in the JwtTemplate shape, its claims (`template`)
//! always as a JSON object, even when given as JSON text.

use std::collections::BTreeSet;
use std::fmt;

use idmcp_macros::operation;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value, json};

use super::users::{args, out};
use crate::catalog::generated::types::project::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::principals::new_id;

const TEMPLATES: &str = "jwt_templates";
const USER_ATTRS: &str = "user_attributes";
const TENANT_ATTRS: &str = "tenant_custom_attributes";

// Descope's documented custom-claim limits: a key of at most 60 characters, a value of at most
// 500, at most 100 keys per JWT; and refresh tokens (which carry the claims) usually live in
// cookies, which browsers cap at 4 KB.
const MAX_KEY_CHARS: usize = 60;
const MAX_VALUE_CHARS: usize = 500;
const MAX_CLAIMS: usize = 100;
const COOKIE_BYTES: usize = 4096;

/// The fields of a JWTTemplate, in the order a stored template has them, with their defaults.
pub(crate) fn defaults() -> Map<String, Value> {
    let v = json!({
        "id": "", "name": "", "description": "", "type": "user", "source": "", "tags": [], "template": {},
        "authSchema": "", "conformanceIssuer": false, "autoDCT": false, "enforceIssuer": false,
        "emptyClaimPolicy": "", "overrideSubject": false, "issuerType": "", "omitCustomClaimsFromDSR": false,
        "addJti": false, "excludePermissions": false,
    });
    v.as_object().cloned().unwrap_or_default()
}

/// Fields with a closed set of values: (field, issue code, accepted values; "" = Descope's default).
const ENUMS: &[(&str, &str, &[&str])] = &[
    ("type", "INVALID_TYPE", &["user", "key"]),
    (
        "authSchema",
        "INVALID_AUTH_SCHEMA",
        &["", "default", "tenantOnly", "none"],
    ),
    (
        "issuerType",
        "INVALID_ISSUER_TYPE",
        &["", "legacy", "inbound", "federated"],
    ),
    (
        "emptyClaimPolicy",
        "INVALID_EMPTY_CLAIM_POLICY",
        &["", "none", "nil", "delete"],
    ),
];

/// Claims Descope sets on every token itself, with what to do instead of overriding them.
const RESERVED: &[(&str, &str)] = &[
    (
        "iss",
        "the issuer is set by Descope; choose its form with `issuerType` or `conformanceIssuer`",
    ),
    (
        "exp",
        "token lifetimes come from the project settings (project_write UpdateProjectSettings)",
    ),
    ("iat", "the issue time is set when the token is signed"),
    (
        "nbf",
        "tokens are valid from the moment they are issued; the claim is set by Descope",
    ),
    ("jti", "set `addJti: true` to give every token a unique ID"),
    (
        "amr",
        "the authentication methods used are recorded by Descope",
    ),
    (
        "drn",
        "the token kind (session or refresh) is recorded by Descope",
    ),
    (
        "nsec",
        "holds the claims client SDKs add, which are not trusted; it is set by Descope",
    ),
    (
        "dct",
        "the current tenant is set by Descope (see `autoDCT`)",
    ),
];

/// Descope's authorization claims: reserved unless `authSchema` is `none`.
const AUTHZ_CLAIMS: &[&str] = &["tenants", "roles", "permissions"];

/// What `{{user.…}}`, `{{tenant.…}}` and `{{key.…}}` may name (besides `customAttributes.<name>`).
const USER_FIELDS: &[&str] = &[
    "userId",
    "loginIds",
    "email",
    "phone",
    "name",
    "givenName",
    "middleName",
    "familyName",
    "picture",
    "verifiedEmail",
    "verifiedPhone",
    "status",
    "roleNames",
    "userTenants",
    "externalIds",
    "createdTime",
];
const TENANT_FIELDS: &[&str] = &["id", "name", "domains"];
const KEY_FIELDS: &[&str] = &["id", "name", "clientId", "roleNames", "boundUserId"];

// ---------------------------------------------------------------------------------------------
// Issues

/// One problem found in a template.
#[derive(Clone, Debug)]
struct Issue {
    code: &'static str,
    error: bool,
    path: String,
    message: String,
    hint: String,
}

impl Issue {
    fn json(&self) -> Value {
        json!({
            "code": self.code, "severity": if self.error { "error" } else { "warning" },
            "path": self.path, "field": self.path, "message": self.message, "hint": self.hint,
        })
    }
}

/// The path of `key` under `parent`: `parent.key` for plain identifiers, else `parent["key"]`
/// (claim names are often URLs or contain dashes).
fn child_path(parent: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::from(key))
    }
}

/// What the checks need to know about the project.
struct Known {
    user_attrs: BTreeSet<String>,
    tenant_attrs: BTreeSet<String>,
    /// (id, name) of every stored template.
    templates: Vec<(String, String)>,
}

fn names_in(ctx: &Ctx, coll: &str) -> Result<Vec<(String, String)>, ApiError> {
    let pid = ctx.project_id()?;
    Ok(ctx
        .db()
        .docs()
        .scan(pid, coll)?
        .into_iter()
        .map(|(id, d)| {
            let name = d
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| id.clone());
            (id, name)
        })
        .collect())
}

fn known(ctx: &Ctx) -> Result<Known, ApiError> {
    Ok(Known {
        user_attrs: names_in(ctx, USER_ATTRS)?
            .into_iter()
            .map(|(_, n)| n)
            .collect(),
        tenant_attrs: names_in(ctx, TENANT_ATTRS)?
            .into_iter()
            .map(|(_, n)| n)
            .collect(),
        templates: names_in(ctx, TEMPLATES)?,
    })
}

fn listed(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The checker: collects issues over one template.
struct Check<'a> {
    known: &'a Known,
    /// `user` or `key`; empty when the template's type is itself invalid (then both are allowed).
    kind: &'a str,
    issues: Vec<Issue>,
    claims: usize,
}

impl Check<'_> {
    fn push(
        &mut self,
        code: &'static str,
        error: bool,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.issues.push(Issue {
            code,
            error,
            path: path.into(),
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// Claim names, value sizes and dynamic values, at every depth.
    fn walk(&mut self, v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                let mut seen: Vec<(String, &str)> = Vec::new();
                for (key, child) in m {
                    self.claims += 1;
                    let p = child_path(path, key);
                    if key.trim().is_empty() {
                        self.push(
                            "EMPTY_CLAIM_NAME",
                            true,
                            &p,
                            format!("a claim under `{path}` has an empty name"),
                            "give the claim a name, or remove it",
                        );
                    } else if key.chars().count() > MAX_KEY_CHARS {
                        self.push(
                            "CLAIM_KEY_TOO_LONG",
                            true,
                            &p,
                            format!(
                                "the claim name has {} characters; Descope allows {MAX_KEY_CHARS}",
                                key.chars().count()
                            ),
                            "shorten the claim name",
                        );
                    }
                    let lower = key.to_lowercase();
                    if let Some((_, other)) = seen.iter().find(|(l, _)| *l == lower) {
                        let other = (*other).to_owned();
                        self.push(
                            "CLAIM_CASE_CONFLICT",
                            false,
                            &p,
                            format!("claims `{other}` and `{key}` differ only in case; many JWT consumers read them as one"),
                            "keep one of them",
                        );
                    }
                    seen.push((lower, key));
                    self.walk(child, &p);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.walk(x, &format!("{path}[{i}]"));
                }
            }
            Value::String(s) => {
                let n = s.chars().count();
                if n > MAX_VALUE_CHARS {
                    self.push(
                        "CLAIM_VALUE_TOO_LONG",
                        true,
                        path,
                        format!("the value has {n} characters; Descope allows {MAX_VALUE_CHARS}"),
                        "shorten the value, or move the data out of the token",
                    );
                }
                self.dynamic_values(s, path);
            }
            _ => {}
        }
    }

    /// Every `{{…}}` in a string value.
    fn dynamic_values(&mut self, s: &str, path: &str) {
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                self.push(
                    "MALFORMED_DYNAMIC_VALUE",
                    true,
                    path,
                    format!(
                        "`{{{{{}` opens a dynamic value but never closes it",
                        after.chars().take(40).collect::<String>().trim_end()
                    ),
                    "close it with `}}`, e.g. `{{user.userId}}`",
                );
                return;
            };
            self.reference(after[..end].trim(), path);
            rest = &after[end + 2..];
        }
    }

    fn reference(&mut self, expr: &str, path: &str) {
        let parts: Vec<&str> = expr.split('.').collect();
        if expr.is_empty()
            || parts.iter().any(|p| {
                p.is_empty()
                    || !p
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
        {
            self.push(
                "MALFORMED_DYNAMIC_VALUE",
                true,
                path,
                format!("`{{{{{expr}}}}}` is not a dynamic value"),
                "write a dotted name such as `{{user.email}}` or `{{tenant.customAttributes.plan}}`",
            );
            return;
        }
        let (root, rest) = (parts[0], &parts[1..]);
        // The project's names outlive this borrow of the checker.
        let known = self.known;
        match root {
            "user" | "key" if !self.kind.is_empty() && self.kind != root => {
                let (template, other) = if root == "user" { ("access-key", "key") } else { ("user", "user") };
                self.push(
                    "DYNAMIC_VALUE_NOT_AVAILABLE",
                    true,
                    path,
                    format!("`{{{{{expr}}}}}` is not available in a {template} template: its tokens have no {root}"),
                    format!("use `{{{{{other}.…}}}}` values, or change the template's `type`"),
                );
            }
            "user" => self.field(path, expr, rest, USER_FIELDS, Some((&known.user_attrs, "users_write CreateUserCustomAttribute", "user"))),
            "tenant" => self.field(path, expr, rest, TENANT_FIELDS, Some((&known.tenant_attrs, "tenants_write CreateTenantCustomAttribute", "tenant"))),
            // Key custom attributes and claims are free-form: nothing defines their names.
            "key" if matches!(rest.first(), Some(&"customClaims") | Some(&"customAttributes")) && rest.len() <= 2 => {}
            "key" => self.field(path, expr, rest, KEY_FIELDS, None),
            other => self.push(
                "UNKNOWN_DYNAMIC_VALUE",
                true,
                path,
                format!("`{{{{{expr}}}}}` starts with `{other}`, which is not a source of dynamic values"),
                "dynamic values start with `user.`, `tenant.` or (in access-key templates) `key.`",
            ),
        }
    }

    /// A field of a source, or one of its custom attributes (checked against `attrs`).
    fn field(
        &mut self,
        path: &str,
        expr: &str,
        rest: &[&str],
        fields: &[&str],
        attrs: Option<(&BTreeSet<String>, &str, &str)>,
    ) {
        if let (Some((defined, how, owner)), Some(&"customAttributes")) = (attrs, rest.first()) {
            match rest {
                [_] => {}
                [_, name] if defined.contains(*name) => {}
                [_, name] => self.push(
                    "UNKNOWN_CUSTOM_ATTRIBUTE",
                    true,
                    path,
                    format!("`{{{{{expr}}}}}` names the {owner} custom attribute `{name}`, which this project does not define (defined: {})", listed(defined)),
                    format!("use a defined attribute, or define `{name}` first ({how})"),
                ),
                _ => self.push(
                    "UNKNOWN_DYNAMIC_VALUE",
                    true,
                    path,
                    format!("`{{{{{expr}}}}}` goes deeper than a custom attribute"),
                    format!("name the attribute only, e.g. `{{{{{owner}.customAttributes.{}}}}}`", rest[1]),
                ),
            }
            return;
        }
        if let [name] = rest
            && fields.contains(name)
        {
            return;
        }
        let given = rest.first().copied().unwrap_or_default();
        let lower = given.to_lowercase();
        // A near miss (`fullName` → `name`, `roles` → `roleNames`) makes the hint concrete.
        let near = fields
            .iter()
            .filter(|f| {
                !lower.is_empty()
                    && (lower.contains(&f.to_lowercase()) || f.to_lowercase().contains(&lower))
            })
            .max_by_key(|f| f.len());
        let root = expr.split('.').next().unwrap_or_default();
        let hint = match near {
            Some(f) => format!(
                "did you mean `{{{{{root}.{f}}}}}`? Known fields: {}",
                fields.join(", ")
            ),
            None => format!("known fields: {}", fields.join(", ")),
        };
        let what = if rest.is_empty() {
            format!("`{{{{{expr}}}}}` names no field")
        } else {
            format!("`{{{{{expr}}}}}` is not a known {root} field")
        };
        self.push("UNKNOWN_DYNAMIC_VALUE", true, path, what, hint);
    }
}

// ---------------------------------------------------------------------------------------------
// Claims given as JSON text

/// Reads claims given as JSON text, recording the path of every key written twice in one object
/// (a plain parse would silently keep the last value).
struct DupScan<'a> {
    path: String,
    dups: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for DupScan<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DupScan<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(DupScan {
            path: format!("{}[{}]", self.path, out.len()),
            dups: &mut *self.dups,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let p = child_path(&self.path, &key);
            let v = map.next_value_seed(DupScan {
                path: p.clone(),
                dups: &mut *self.dups,
            })?;
            if out.insert(key, v).is_some() {
                self.dups.push(p);
            }
        }
        Ok(Value::Object(out))
    }
}

/// The claims of JSON text, and the paths of keys it writes twice.
fn parse_claims(text: &str) -> Result<(Value, Vec<String>), serde_json::Error> {
    let mut dups = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let v = DupScan {
        path: "template".into(),
        dups: &mut dups,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((v, dups))
}

// ---------------------------------------------------------------------------------------------
// The checks

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list of strings",
        Value::Object(_) => "an object",
    }
}

/// Whether `v` has the JSON type of the default `d` (tags: a list of strings).
fn fits(d: &Value, v: &Value) -> bool {
    match d {
        Value::Array(_) => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Value::Bool(_) => v.is_boolean(),
        Value::String(_) => v.is_string(),
        _ => true,
    }
}

/// Every problem with template `t` in the project `known` describes (fields first, then claims
/// in template order). `own_id` is the stored template `t` replaces, whose own name is no clash.
/// Also returns the claims as an object when they could be read.
fn check(
    t: &Map<String, Value>,
    known: &Known,
    own_id: Option<&str>,
) -> (Option<Map<String, Value>>, Vec<Issue>) {
    let fields = defaults();
    let text = |f: &str| {
        t.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut c = Check {
        known,
        kind: "",
        issues: Vec::new(),
        claims: 0,
    };

    for (k, v) in t {
        match fields.get(k) {
            None => c.push(
                "UNKNOWN_FIELD",
                false,
                k.as_str(),
                format!("`{k}` is not a JWT template field and is ignored"),
                format!(
                    "remove it, or use one of: {}",
                    fields.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(d) if k != "template" && !fits(d, v) => c.push(
                "INVALID_FIELD_TYPE",
                true,
                k.as_str(),
                format!("`{k}` is {}, but must be {}", type_name(v), type_name(d)),
                format!("give `{k}` {} value", type_name(d)),
            ),
            _ => {}
        }
    }

    let name = text("name");
    let name = name.trim();
    if name.is_empty() {
        c.push(
            "NAME_MISSING",
            true,
            "name",
            "the template has no name",
            "set `name`; it must be unique in the project",
        );
    } else if let Some((id, other)) = known.templates.iter().find(|(id, n)| {
        Some(id.as_str()) != own_id && n.trim().to_lowercase() == name.to_lowercase()
    }) {
        c.push(
            "NAME_TAKEN",
            true,
            "name",
            format!("template `{id}` is already named `{other}`"),
            "choose another name, or change that template with UpdateJwtTemplate",
        );
    }
    for (f, code, allowed) in ENUMS {
        if let Some(Value::String(v)) = t.get(*f)
            && !allowed.contains(&v.as_str())
        {
            let shown: Vec<String> = allowed
                .iter()
                .map(|a| {
                    if a.is_empty() {
                        "empty (the default)".to_owned()
                    } else {
                        format!("`{a}`")
                    }
                })
                .collect();
            c.push(
                code,
                true,
                *f,
                format!("`{f}` is `{v}`, which is not a known value"),
                format!("use one of: {}", shown.join(", ")),
            );
        }
    }
    let kind = match t.get("type").and_then(Value::as_str) {
        None => "user",
        Some(k @ ("user" | "key")) => k,
        // An invalid type was reported above; claims are then checked for either type.
        Some(_) => "",
    };

    let claims = match t.get("template") {
        None | Some(Value::Null) => {
            c.push("TEMPLATE_MISSING", true, "template", "the template has no claims (`template`)", "set `template` to an object of claims, e.g. {\"app_roles\": \"{{user.roleNames}}\"}");
            None
        }
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(json_text)) => {
            match parse_claims(json_text) {
                Ok((Value::Object(m), dups)) => {
                    for d in dups {
                        c.push("DUPLICATE_CLAIM", true, d, "the claim is written twice in the JSON text; only the last value would be kept", "keep one of them");
                    }
                    Some(m)
                }
                Ok((other, _)) => {
                    c.push(
                        "TEMPLATE_NOT_OBJECT",
                        true,
                        "template",
                        format!(
                            "the claims JSON is {}, not an object of claims",
                            type_name(&other)
                        ),
                        "wrap the claims in an object: {\"claim\": \"value\"}",
                    );
                    None
                }
                Err(e) => {
                    c.push("INVALID_JSON", true, "template", format!("the claims are not valid JSON: {e}"), "fix the JSON text at that line and column, or pass the claims as an object");
                    None
                }
            }
        }
        Some(other) => {
            c.push(
                "TEMPLATE_NOT_OBJECT",
                true,
                "template",
                format!(
                    "`template` is {}, not an object of claims",
                    type_name(other)
                ),
                "set `template` to an object of claims, or to its JSON text",
            );
            None
        }
    };

    if let Some(m) = &claims {
        if m.is_empty() {
            c.push(
                "EMPTY_TEMPLATE",
                false,
                "template",
                "the template adds no claims",
                "add claims, or delete the template",
            );
        }
        let auth_schema = text("authSchema");
        let override_sub = t.get("overrideSubject") == Some(&Value::Bool(true));
        for key in m.keys() {
            let p = child_path("template", key);
            if let Some((_, instead)) = RESERVED.iter().find(|(r, _)| r == key) {
                c.push(
                    "RESERVED_CLAIM_KEY",
                    true,
                    p,
                    format!("`{key}` is set by Descope on every token and cannot be overridden"),
                    format!("remove the claim; {instead}"),
                );
            } else if AUTHZ_CLAIMS.contains(&key.as_str()) && auth_schema != "none" {
                let schema = if auth_schema.is_empty() {
                    "default"
                } else {
                    auth_schema.as_str()
                };
                c.push(
                    "RESERVED_CLAIM_KEY",
                    true,
                    p,
                    format!("`{key}` is where Descope puts its authorization claims (authSchema `{schema}`)"),
                    format!("rename the claim (e.g. `app_{key}`), or set `authSchema: none` to leave Descope's authorization claims out"),
                );
            } else if key == "sub" && !override_sub {
                c.push(
                    "RESERVED_CLAIM_KEY",
                    true,
                    p,
                    "`sub` is the token's subject (the user or key ID); a template replaces it only with `overrideSubject: true`",
                    "remove `sub`, or set `overrideSubject: true` if this template must replace the subject on purpose",
                );
            }
        }
        match (override_sub, m.get("sub")) {
            (true, None) => c.push(
                "OVERRIDE_SUBJECT_WITHOUT_SUB",
                false,
                "overrideSubject",
                "`overrideSubject` is on, but the template has no `sub` claim, so the subject stays the user ID",
                "add a `sub` claim with a dynamic value, or turn `overrideSubject` off",
            ),
            (true, Some(v)) if !v.as_str().is_some_and(|s| s.contains("{{")) => c.push(
                "STATIC_SUBJECT",
                false,
                "template.sub",
                "`sub` is a fixed value, so every token would name the same subject",
                "use a dynamic value unique per user, e.g. `{{user.userId}}` or `{{user.email}}`",
            ),
            _ => {}
        }
        c.kind = kind;
        c.walk(&Value::Object(m.clone()), "template");
        if c.claims > MAX_CLAIMS {
            c.push("TOO_MANY_CLAIMS", true, "template", format!("the template has {} claims (nested ones included); Descope allows {MAX_CLAIMS}", c.claims), "remove claims, or group data the consumer does not need per request out of the token");
        }
        let bytes = serde_json::to_string(m)
            .map(|s| s.len())
            .unwrap_or_default();
        if bytes > COOKIE_BYTES && t.get("omitCustomClaimsFromDSR") != Some(&Value::Bool(true)) {
            c.push(
                "TEMPLATE_TOO_LARGE",
                false,
                "template",
                format!("the claims take {bytes} bytes before dynamic values are filled in; refresh tokens carry them and browsers cap a cookie at {COOKIE_BYTES} bytes"),
                "shrink the claims, or set `omitCustomClaimsFromDSR: true` to keep them out of the refresh token",
            );
        }
    }
    (claims, c.issues)
}

fn unknown_template(id: &str) -> ApiError {
    ApiError::not_found(
        "E011004",
        format!(
            "JWT template not found: no template with id `{id}` in this project; see ListJwtTemplates for the project's templates"
        ),
    )
}

fn load(ctx: &Ctx, id: &str) -> Result<Map<String, Value>, ApiError> {
    let doc = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, TEMPLATES, id)?
        .ok_or_else(|| unknown_template(id))?;
    Ok(doc.as_object().cloned().unwrap_or_default())
}

/// Checks `t` and, when no issue is an error, stores it under `id` (defaults filled in, claims
/// as an object, unknown fields dropped); otherwise fails naming every error.
fn save_checked(
    ctx: &Ctx,
    t: Map<String, Value>,
    own_id: Option<&str>,
    id: &str,
) -> Result<Value, ApiError> {
    let (claims, issues) = check(&t, &known(ctx)?, own_id);
    let errors: Vec<String> = issues
        .iter()
        .filter(|i| i.error)
        .map(|i| format!("{} ({}): {}; fix: {}", i.path, i.code, i.message, i.hint))
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::invalid(format!(
            "the JWT template was not saved; {} error(s) (ValidateJwtTemplate lists them with warnings):\n- {}",
            errors.len(),
            errors.join("\n- ")
        )));
    }
    let mut doc = defaults();
    for (k, v) in t {
        if doc.contains_key(&k) {
            doc.insert(k, v);
        }
    }
    doc.insert("id".into(), json!(id));
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned();
    doc.insert("name".into(), json!(name));
    doc.insert("template".into(), Value::Object(claims.unwrap_or_default()));
    let doc = Value::Object(doc);
    ctx.put(TEMPLATES, id, &doc)?;
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// Operations

#[operation(project::ValidateJwtTemplate)]
async fn validate_jwt_template(
    ctx: &mut Ctx,
    input: ValidateJwtTemplateInput,
) -> Result<ValidateJwtTemplateOutput, ApiError> {
    let stored = match &input.id {
        Some(id) => Some(load(ctx, id)?),
        None => None,
    };
    // An inline template with an ID is checked as an update of that template.
    let t = match (input.template, stored) {
        (Some(inline), Some(mut s)) => {
            s.extend(inline);
            s
        }
        (Some(inline), None) => inline,
        (None, Some(s)) => s,
        (None, None) => {
            return Err(ApiError::missing(
                "pass `id` (a saved template, see ListJwtTemplates) or `template` (an inline template to check before CreateJwtTemplate)",
            ));
        }
    };
    let own = input
        .id
        .clone()
        .or_else(|| t.get("id").and_then(Value::as_str).map(str::to_owned));
    let (_, issues) = check(&t, &known(ctx)?, own.as_deref());
    out(
        json!({ "valid": !issues.iter().any(|i| i.error), "issues": issues.iter().map(Issue::json).collect::<Vec<_>>() }),
    )
}

#[operation(project::CreateJwtTemplate)]
async fn create_jwt_template(
    ctx: &mut Ctx,
    input: CreateJwtTemplateInput,
) -> Result<CreateJwtTemplateOutput, ApiError> {
    let t = args(&input.template)?;
    // A given ID is kept (so a template can be recreated as it was), unless it is taken.
    let id = match t
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(id)
            if ctx
                .db()
                .docs()
                .get(ctx.project_id()?, TEMPLATES, id)?
                .is_some() =>
        {
            return Err(ApiError::conflict(
                "E011001",
                format!(
                    "a JWT template with id `{id}` already exists; change it with UpdateJwtTemplate, or leave `id` out to get a new one"
                ),
            ));
        }
        Some(id) => id.to_owned(),
        None => new_id("JT"),
    };
    out(json!({ "template": save_checked(ctx, t, None, &id)? }))
}

#[operation(project::UpdateJwtTemplate)]
async fn update_jwt_template(
    ctx: &mut Ctx,
    input: UpdateJwtTemplateInput,
) -> Result<UpdateJwtTemplateOutput, ApiError> {
    let given = args(&input.template)?;
    let Some(id) = given
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
    else {
        return Err(ApiError::missing(
            "`template.id` is required: it names the template to change (see ListJwtTemplates); to add a template use CreateJwtTemplate",
        ));
    };
    let mut t = load(ctx, &id)?;
    t.extend(given);
    out(json!({ "template": save_checked(ctx, t, Some(&id), &id)? }))
}

// ---------------------------------------------------------------------------------------------
// The library

/// One library entry: the template fields over the defaults, plus the entry-only fields.
fn entry(id: &str, name: &str, description: &str, experimental: bool, fields: Value) -> Value {
    let mut e = defaults();
    if let Value::Object(m) = fields {
        e.extend(m);
    }
    e.insert("id".into(), json!(id));
    e.insert("name".into(), json!(name));
    e.insert("description".into(), json!(description));
    e.insert("experimental".into(), json!(experimental));
    e.insert("logoLight".into(), json!(""));
    e.insert("logoDark".into(), json!(""));
    Value::Object(e)
}

/// The built-in library: starting points for common integrations, the same for every project.
/// Each uses only standard dynamic values, so it validates in any project.
fn library() -> Vec<Value> {
    vec![
        entry(
            "hasura",
            "Hasura GraphQL",
            "Hasura authorizes GraphQL requests from the claims under `https://hasura.io/jwt/claims`: the user ID, the role used when a request names none, and the roles a request may ask for. Every user needs the default role among their roles.",
            false,
            json!({"tags": ["graphql"], "template": {"https://hasura.io/jwt/claims": {
                "x-hasura-user-id": "{{user.userId}}", "x-hasura-default-role": "user", "x-hasura-allowed-roles": "{{user.roleNames}}"}}}),
        ),
        entry(
            "supabase",
            "Supabase",
            "What Supabase row-level security policies read: the database role (`role`), the audience, and the user's e-mail and phone; `auth.uid()` is the token subject, the Descope user ID.",
            false,
            json!({"tags": ["database"], "template": {"role": "authenticated", "aud": "authenticated", "email": "{{user.email}}", "phone": "{{user.phone}}",
                "app_metadata": {"provider": "descope", "roles": "{{user.roleNames}}"}}}),
        ),
        entry(
            "aws-appsync",
            "AWS AppSync (Cognito-style claims)",
            "Claims named the way Amazon Cognito user pools name them, so AppSync resolvers and authorization rules written for Cognito (group rules read `cognito:groups`) work with Descope tokens through AppSync's OpenID Connect authorization.",
            false,
            json!({"tags": ["aws"], "template": {"cognito:groups": "{{user.roleNames}}", "cognito:username": "{{user.userId}}", "email": "{{user.email}}", "token_use": "id"}}),
        ),
        entry(
            "firebase",
            "Firebase custom claims",
            "The `uid` and `claims` a backend hands to Firebase when it mints a Firebase custom token for a Descope user. Experimental: Firebase accepts only custom tokens signed by a Firebase service account, so a backend must exchange the Descope session for one.",
            true,
            json!({"tags": ["firebase"], "template": {"uid": "{{user.userId}}", "claims": {"roles": "{{user.roleNames}}", "email": "{{user.email}}"}}}),
        ),
        entry(
            "roles-claim",
            "Roles in a flat claim",
            "For services that expect a plain `roles` list at the top of the token: Descope's own authorization claims are left out (`authSchema: none`), the user's roles go in `roles` and the current tenant in `tenant_id`.",
            false,
            json!({"authSchema": "none", "template": {"roles": "{{user.roleNames}}", "tenant_id": "{{tenant.id}}"}}),
        ),
        entry(
            "service-key",
            "Service access key",
            "For access keys that backend services exchange for tokens: the key's client ID and name, which APIs can authorize and log on, and a unique `jti` per token.",
            false,
            json!({"type": "key", "addJti": true, "tags": ["m2m"], "template": {"client_id": "{{key.clientId}}", "service_name": "{{key.name}}", "key_roles": "{{key.roleNames}}"}}),
        ),
    ]
}

fn library_entry(id: &str) -> Result<Value, ApiError> {
    let all = library();
    let ids: Vec<String> = all
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    all.into_iter().find(|e| e["id"] == id).ok_or_else(|| {
        ApiError::not_found("E011004", format!("no JWT template library entry `{id}`; the library has: {} (see ListJwtTemplateLibrary)", ids.join(", ")))
    })
}

#[operation(project::ListJwtTemplateLibrary)]
async fn list_jwt_template_library(
    _ctx: &mut Ctx,
    _input: ListJwtTemplateLibraryInput,
) -> Result<ListJwtTemplateLibraryOutput, ApiError> {
    out(json!({ "entries": library() }))
}

#[operation(project::LoadJwtTemplateLibraryEntry)]
async fn load_jwt_template_library_entry(
    _ctx: &mut Ctx,
    input: LoadJwtTemplateLibraryEntryInput,
) -> Result<LoadJwtTemplateLibraryEntryOutput, ApiError> {
    out(json!({ "entry": library_entry(&input.id)? }))
}

#[operation(project::ApplyJwtTemplateFromLibrary)]
async fn apply_jwt_template_from_library(
    ctx: &mut Ctx,
    input: ApplyJwtTemplateFromLibraryInput,
) -> Result<ApplyJwtTemplateFromLibraryOutput, ApiError> {
    let entry = library_entry(&input.library_entry_id)?;
    let mut t = entry.as_object().cloned().unwrap_or_default();
    for k in ["id", "experimental", "logoLight", "logoDark"] {
        t.remove(k);
    }
    t.insert("source".into(), json!(input.library_entry_id));
    if let Some(n) = input.name_override {
        t.insert("name".into(), json!(n));
    }
    if let Some(d) = input.description_override {
        t.insert("description".into(), json!(d));
    }
    if let Some(tags) = input.tags_override {
        t.insert("tags".into(), json!(tags));
    }
    if let Some(changes) = input.template_override {
        let mut claims = t
            .get("template")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in changes {
            if v.is_null() {
                claims.shift_remove(&k);
            } else {
                claims.insert(k, v);
            }
        }
        t.insert("template".into(), Value::Object(claims));
    }
    out(json!({ "template": save_checked(ctx, t, None, &new_id("JT"))? }))
}

#[cfg(test)]
mod tests {
    //! What the YAML examples cannot state: the complete issue list of the demo's broken
    //! template, that every library entry is clean, that a refused update changes nothing, and
    //! each rule on its own.
    use super::*;
    use crate::dispatch::CallError;
    use crate::testkit;

    /// The shared harness (a demo store, operations run directly).
    type T = testkit::Direct;

    fn empty_project() -> Known {
        Known {
            user_attrs: BTreeSet::new(),
            tenant_attrs: BTreeSet::new(),
            templates: Vec::new(),
        }
    }

    /// (code, path, severity) of every issue `t` has in an empty project.
    fn issues(t: Value) -> Vec<(String, String, bool)> {
        let (_, found) = check(t.as_object().unwrap(), &empty_project(), None);
        found
            .into_iter()
            .map(|i| (i.code.to_owned(), i.path, i.error))
            .collect()
    }

    fn codes(t: Value) -> Vec<String> {
        issues(t).into_iter().map(|(c, _, _)| c).collect()
    }

    #[test]
    fn the_partner_portal_template_has_exactly_its_planted_problems() {
        let t = T::new();
        let r = t
            .call(
                "project_read",
                "ValidateJwtTemplate",
                json!({"id": "JT-partner-portal"}),
            )
            .unwrap();
        assert_eq!(r["valid"], false);
        let got: BTreeSet<(String, String, String)> = r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert!(
                    !i["message"].as_str().unwrap().is_empty()
                        && !i["hint"].as_str().unwrap().is_empty(),
                    "{i}"
                );
                assert_eq!(i["field"], i["path"]);
                (
                    i["code"].as_str().unwrap().to_owned(),
                    i["path"].as_str().unwrap().to_owned(),
                    i["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String, String)> = [
            ("RESERVED_CLAIM_KEY", "template.sub", "error"),
            ("RESERVED_CLAIM_KEY", "template.exp", "error"),
            ("UNKNOWN_CUSTOM_ATTRIBUTE", "template.partner_tier", "error"),
            ("UNKNOWN_DYNAMIC_VALUE", "template.display_name", "error"),
            ("MALFORMED_DYNAMIC_VALUE", "template.portal_user", "error"),
            ("CLAIM_CASE_CONFLICT", "template.email", "warning"),
        ]
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
        assert_eq!(got, want);
        let text = r["issues"].to_string();
        assert!(
            text.contains("partnerTier") && text.contains("`department`"),
            "the attribute issue names the missing and the defined attributes: {text}"
        );
        assert!(
            text.contains("{{user.name}}"),
            "the unknown field gets a near-miss suggestion: {text}"
        );
        // The valid template in the same project stays valid.
        let ok = t
            .call(
                "project_read",
                "ValidateJwtTemplate",
                json!({"id": "JT-hasura"}),
            )
            .unwrap();
        assert_eq!(ok, json!({"valid": true, "issues": []}));
    }

    #[test]
    fn every_library_entry_is_clean_in_any_project() {
        for e in library() {
            let mut t = e.as_object().cloned().unwrap();
            for k in ["id", "experimental", "logoLight", "logoDark"] {
                t.remove(k);
            }
            let (_, found) = check(&t, &empty_project(), None);
            assert!(
                found.is_empty(),
                "library entry {} has issues: {:?}",
                e["id"],
                found
            );
        }
    }

    #[test]
    fn a_refused_update_changes_nothing_and_apply_removes_claims() {
        let t = T::new();
        let before = t
            .call(
                "project_read",
                "LoadJwtTemplate",
                json!({"id": "JT-hasura"}),
            )
            .unwrap();
        let err = t
            .call(
                "project_write",
                "UpdateJwtTemplate",
                json!({"template": {"id": "JT-hasura", "name": "", "template": {"iat": 1}}}),
            )
            .unwrap_err();
        let CallError::Api(e) = err else {
            panic!("{err}")
        };
        assert_eq!(e.error_code, "E011003");
        assert!(
            e.error_message.contains("NAME_MISSING") && e.error_message.contains("template.iat"),
            "{}",
            e.error_message
        );
        assert_eq!(
            t.call(
                "project_read",
                "LoadJwtTemplate",
                json!({"id": "JT-hasura"})
            )
            .unwrap(),
            before
        );

        let applied = t
            .call("project_write", "ApplyJwtTemplateFromLibrary", json!({"libraryEntryId": "supabase", "nameOverride": "Supabase", "templateOverride": {"phone": null}}))
            .unwrap();
        let claims = applied["template"]["template"].as_object().unwrap();
        assert!(
            !claims.contains_key("phone") && claims.contains_key("email"),
            "{claims:?}"
        );
        let id = applied["template"]["id"].as_str().unwrap();
        assert!(id.starts_with("JT"));
        let listed = t
            .call("project_read", "ListJwtTemplates", json!({}))
            .unwrap();
        assert_eq!(listed["templates"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn each_rule_on_its_own() {
        let base = |claims: Value| json!({"name": "t", "template": claims});
        assert!(issues(base(json!({"app_roles": "{{user.roleNames}}"}))).is_empty());
        // Descope's authorization claims are free once authSchema is none.
        assert_eq!(
            codes(base(json!({"roles": "{{user.roleNames}}"}))),
            ["RESERVED_CLAIM_KEY"]
        );
        assert!(codes(json!({"name": "t", "authSchema": "none", "template": {"roles": "{{user.roleNames}}"}})).is_empty());
        // The subject: only with overrideSubject, and then per user.
        assert!(
            codes(
                json!({"name": "t", "overrideSubject": true, "template": {"sub": "{{user.email}}"}})
            )
            .is_empty()
        );
        assert_eq!(
            codes(json!({"name": "t", "overrideSubject": true, "template": {"sub": "svc"}})),
            ["STATIC_SUBJECT"]
        );
        assert_eq!(
            codes(json!({"name": "t", "overrideSubject": true, "template": {"a": "b"}})),
            ["OVERRIDE_SUBJECT_WITHOUT_SUB"]
        );
        // Limits.
        let long_key = "k".repeat(61);
        assert_eq!(
            codes(base(json!({ long_key: "v" }))),
            ["CLAIM_KEY_TOO_LONG"]
        );
        assert_eq!(
            codes(base(json!({"k": "v".repeat(501)}))),
            ["CLAIM_VALUE_TOO_LONG"]
        );
        let many: Map<String, Value> = (0..101).map(|i| (format!("c{i}"), json!(i))).collect();
        assert_eq!(codes(base(Value::Object(many))), ["TOO_MANY_CLAIMS"]);
        let big: Map<String, Value> = (0..10)
            .map(|i| (format!("c{i}"), json!("x".repeat(450))))
            .collect();
        assert_eq!(
            codes(base(Value::Object(big.clone()))),
            ["TEMPLATE_TOO_LARGE"]
        );
        assert!(
            codes(json!({"name": "t", "omitCustomClaimsFromDSR": true, "template": big}))
                .is_empty()
        );
        // Shapes, names and enumerations.
        assert_eq!(codes(json!({"template": {"a": 1}})), ["NAME_MISSING"]);
        assert_eq!(codes(json!({"name": "t"})), ["TEMPLATE_MISSING"]);
        assert_eq!(codes(base(json!({}))), ["EMPTY_TEMPLATE"]);
        assert_eq!(codes(base(json!("[1, 2]"))), ["TEMPLATE_NOT_OBJECT"]);
        assert_eq!(codes(base(json!({"": 1}))), ["EMPTY_CLAIM_NAME"]);
        assert_eq!(
            codes(
                json!({"name": "t", "type": "users", "authSchema": "all", "issuerType": "x", "emptyClaimPolicy": "drop", "template": {"a": 1}})
            ),
            [
                "INVALID_TYPE",
                "INVALID_AUTH_SCHEMA",
                "INVALID_ISSUER_TYPE",
                "INVALID_EMPTY_CLAIM_POLICY"
            ]
        );
        assert_eq!(
            codes(json!({"name": "t", "addJti": "yes", "colour": 1, "template": {"a": 1}})),
            ["INVALID_FIELD_TYPE", "UNKNOWN_FIELD"]
        );
        // JSON text: the location of a syntax error, and keys written twice at any depth.
        let (_, found) = check(
            json!({"name": "t", "template": "{\n \"a\": 1,\n}"})
                .as_object()
                .unwrap(),
            &empty_project(),
            None,
        );
        assert!(
            found[0].code == "INVALID_JSON" && found[0].message.contains("line 3"),
            "{found:?}"
        );
        assert_eq!(
            issues(base(json!("{\"o\": {\"x-a\": 1, \"x-a\": 2}}"))),
            [(
                "DUPLICATE_CLAIM".to_owned(),
                "template.o[\"x-a\"]".to_owned(),
                true
            )]
        );
        // Dynamic values: well-formed, known, available for the type, attributes defined.
        assert_eq!(
            codes(base(json!({"a": "{{ }}", "b": "{{user.email"}))),
            ["MALFORMED_DYNAMIC_VALUE", "MALFORMED_DYNAMIC_VALUE"]
        );
        assert_eq!(
            codes(base(json!({"a": "{{org.id}}", "b": "{{tenant.plan}}"}))),
            ["UNKNOWN_DYNAMIC_VALUE", "UNKNOWN_DYNAMIC_VALUE"]
        );
        assert_eq!(
            codes(base(json!({"a": "{{tenant.customAttributes.plan}}"}))),
            ["UNKNOWN_CUSTOM_ATTRIBUTE"]
        );
        let mut k = empty_project();
        k.tenant_attrs.insert("plan".into());
        k.templates.push(("JT-1".into(), "Taken".into()));
        let t = json!({"name": "taken", "template": {"a": "{{tenant.customAttributes.plan}}", "b": "x {{tenant.name}} y"}});
        let (_, found) = check(t.as_object().unwrap(), &k, None);
        assert_eq!(
            found.iter().map(|i| i.code).collect::<Vec<_>>(),
            ["NAME_TAKEN"]
        );
        let (_, found) = check(t.as_object().unwrap(), &k, Some("JT-1"));
        assert!(found.is_empty(), "a template keeps its own name: {found:?}");
        assert_eq!(
            codes(
                json!({"name": "t", "type": "key", "template": {"a": "{{key.clientId}}", "b": "{{key.customClaims.team}}", "c": "{{user.email}}"}})
            ),
            ["DYNAMIC_VALUE_NOT_AVAILABLE"]
        );
        assert_eq!(
            codes(base(json!({"a": "{{key.name}}"}))),
            ["DYNAMIC_VALUE_NOT_AVAILABLE"]
        );
    }
}
