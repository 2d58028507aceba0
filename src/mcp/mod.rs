//! The MCP face: an rmcp `ServerHandler` over the generated catalog, served on stdio and on
//! streamable HTTP ([`http`]), in both protocol eras. It translates MCP calls into the one
//! dispatch path and dispatch outcomes into structured results or `isError` results.

pub mod http;
pub mod tools;

use std::sync::{Arc, OnceLock};

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use crate::app::App;
use crate::catalog;
use crate::dispatch::{self, CallError};
use crate::store::principals::Principal;

/// The tool list, built once. Its strings are made `'static`, so the copy of a tool that
/// rmcp asks for on every request ([`ServerHandler::get_tool`], for header validation) copies
/// no text.
pub fn tool_list() -> &'static Vec<Tool> {
    static T: OnceLock<Vec<Tool>> = OnceLock::new();
    T.get_or_init(|| {
        use std::borrow::Cow;
        fn forever(c: Cow<'static, str>) -> Cow<'static, str> {
            match c {
                Cow::Owned(s) => Cow::Borrowed(Box::leak(s.into_boxed_str())),
                b => b,
            }
        }
        tools::all()
            .into_iter()
            .map(|mut t| {
                t.name = forever(t.name);
                t.description = t.description.map(forever);
                t
            })
            .collect()
    })
}

/// One handler instance; rmcp creates one per legacy session or per modern request.
#[derive(Clone)]
pub struct Server {
    pub app: Arc<App>,
    /// The principal of a stdio process (from IDMCP_TOKEN) or of local-only mode.
    pub fixed_principal: Option<Principal>,
}

fn error_result(msg: impl Into<String>) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(msg.into())]).into()
}

fn ok_result(v: Value) -> CallToolResponse {
    CallToolResult::structured(v).into()
}

impl Server {
    fn principal(&self, ctx: &RequestContext<RoleServer>) -> Option<Principal> {
        if let Some(p) = &self.fixed_principal {
            return Some(p.clone());
        }
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Principal>().cloned())
    }

    async fn bucket_call(
        &self,
        principal: &Principal,
        tool: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, Refused> {
        let Some(operation) = args.get("operation").and_then(Value::as_str) else {
            return Err(Refused::Other(error_result(format!(
                "`{tool}` needs {{\"operation\": <name>, \"args\": {{...}}}}. Operations: {}",
                catalog::names_of(tool).join(", ")
            ))));
        };
        let op_args = match args.get("args") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(other) => {
                return Err(Refused::Other(error_result(format!(
                    "`args` must be an object with the operation's arguments, not {other}"
                ))));
            }
        };
        match dispatch::call(&self.app, principal, tool, operation, op_args).await {
            Ok(v) => Ok(v),
            Err(CallError::Api(e)) => Err(Refused::Other(error_result(format!(
                "{} {}: {}",
                e.error_code, e.error_description, e.error_message
            )))),
            Err(CallError::ApprovalRequired(p)) => Err(Refused::Pending(p)),
            Err(e) => Err(Refused::Other(error_result(e.to_string()))),
        }
    }
}

/// Why a bucket call produced no result: a write waiting for approval, or any other failure
/// already rendered as an error result.
enum Refused {
    Pending(dispatch::Pending),
    Other(CallToolResponse),
}

impl Refused {
    fn into_response(self) -> CallToolResponse {
        match self {
            Refused::Pending(p) => approval_result(&p),
            Refused::Other(r) => r,
        }
    }
}

/// A write that waits for approval did not run: an error result whose text says what to do.
fn approval_result(p: &dispatch::Pending) -> CallToolResponse {
    let mut r = CallToolResult::error(vec![ContentBlock::text(p.message())]);
    r.structured_content = Some(p.to_json());
    r.into()
}

/// For 2026-07-28 clients that accept URL elicitation, a pending approval becomes an
/// `InputRequiredResult` pointing the human at the approval page; the client retries the same
/// call afterwards. The retry is authorised by the server-side approval, never by the echoed
/// request state.
fn elicit_approval(p: &dispatch::Pending) -> CallToolResponse {
    use rmcp::model::{
        ElicitRequest, ElicitRequestParams, InputRequest, InputRequests, InputRequiredResult,
    };
    let mut reqs = InputRequests::new();
    reqs.insert(
        "approval".into(),
        InputRequest::Elicitation(ElicitRequest::new(ElicitRequestParams::UrlElicitationParams {
            meta: None,
            message: format!("Approve this change in your browser: {}. Enter the passcode you received there.", p.summary),
            url: p.url.clone(),
            elicitation_id: String::new(),
        })),
    );
    InputRequiredResult::new(Some(reqs), Some(p.approval_id.clone())).into()
}

/// How long a call waits for the human once the client has shown them the approval page.
const APPROVAL_WAIT: std::time::Duration = std::time::Duration::from_secs(180);

/// Waits (bounded, cancellable) until approval `id` is decided; true when it was approved.
async fn wait_for_approval(app: &App, id: &str, ct: &tokio_util::sync::CancellationToken) -> bool {
    use crate::session::approvals::{self, Status};
    let deadline = tokio::time::Instant::now() + APPROVAL_WAIT;
    loop {
        {
            let conn = app.store.reader().await;
            match approvals::load(&conn, id) {
                Ok(Some(a)) if a.status == Status::Approved => return true,
                Ok(Some(a)) if a.status == Status::Pending && a.expires > app.clock.now_ms() => {}
                _ => return false,
            }
        }
        if tokio::time::Instant::now() >= deadline || ct.is_cancelled() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            _ = ct.cancelled() => return false,
        }
    }
}

impl Server {
    /// A bucket call, with the approval link delivered the best way the client supports:
    /// 2026-07-28 clients with URL elicitation get an `InputRequiredResult` and, on their
    /// retry, the call waits for the human's decision; legacy clients with URL elicitation get
    /// an `elicitation/create` request and the call waits the same way; everyone else gets an
    /// error result that carries the link. Authorization is always the server-side approval.
    async fn bucket_with_approval(
        &self,
        principal: &Principal,
        name: &str,
        args: &Map<String, Value>,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let pending = match self.bucket_call(principal, name, args).await {
            Ok(v) => return ok_result(v),
            Err(Refused::Pending(p)) => p,
            Err(other) => return other.into_response(),
        };
        let first = approval_result(&pending);
        let modern = ctx.protocol_version().is_some_and(|v| !v.has_initialize());
        if modern {
            let url_ok = ctx
                .client_capabilities()
                .and_then(|c| c.elicitation)
                .is_some_and(|e| e.url.is_some());
            if !url_ok {
                return first;
            }
            let accepted = request
                .input_responses
                .as_ref()
                .and_then(|r| r.get("approval"))
                .and_then(|v| serde_json::from_value::<rmcp::model::ElicitResult>(v.clone()).ok())
                .is_some_and(|r| r.action == rmcp::model::ElicitationAction::Accept);
            if request.request_state.is_none() {
                return elicit_approval(&pending);
            }
            if !accepted {
                return error_result(
                    "The user declined to open the approval page; the write did not run.",
                );
            }
        } else {
            use rmcp::service::ElicitationMode;
            if !ctx
                .peer
                .supported_elicitation_modes()
                .contains(&ElicitationMode::Url)
            {
                return first;
            }
            let Ok(url) = url::Url::parse(&pending.url) else {
                return first;
            };
            let message = format!(
                "Approve this change in your browser and enter the passcode you received ({name})."
            );
            match ctx
                .peer
                .elicit_url_with_timeout(
                    message,
                    url,
                    pending.approval_id.clone(),
                    Some(APPROVAL_WAIT),
                )
                .await
            {
                Ok(rmcp::model::ElicitationAction::Accept) => {}
                Ok(_) => {
                    return error_result(
                        "The user declined to open the approval page; the write did not run.",
                    );
                }
                Err(_) => return first,
            }
        }
        if !wait_for_approval(&self.app, &pending.approval_id, &ctx.ct).await {
            return first;
        }
        match self.bucket_call(principal, name, args).await {
            Ok(v) => ok_result(v),
            Err(refused) => refused.into_response(),
        }
    }
}

fn list_operations(args: &Map<String, Value>) -> CallToolResponse {
    let bucket = args.get("bucket").and_then(Value::as_str);
    if let Some(b) = bucket {
        if b != tools::SESSION && !catalog::bucket_tools().contains(&b) {
            return error_result(format!(
                "unknown bucket `{b}`; buckets: {}",
                catalog::bucket_tools().join(", ")
            ));
        }
    }
    match args.get("operation").and_then(Value::as_str) {
        Some(name) => {
            let found: Vec<_> = match bucket {
                Some(b) => catalog::find(b, name).into_iter().collect(),
                None => catalog::find_any(name),
            };
            match found.as_slice() {
                [] => error_result(format!(
                    "no operation `{name}`{}; call list_operations without arguments to see them all",
                    bucket.map(|b| format!(" in `{b}`")).unwrap_or_default()
                )),
                [one] => ok_result(catalog::detail(*one)),
                many => ok_result(
                    serde_json::json!({"operations": many.iter().map(|o| catalog::detail(*o)).collect::<Vec<_>>()}),
                ),
            }
        }
        None => ok_result(catalog::listing(bucket)),
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("idmcp", env!("CARGO_PKG_VERSION")).with_title("idmcp identity MCP server"))
            .with_instructions(
                "Identity platform tools. Start with session whoami / listProjects / selectProject. Reads are free; \
                 writes need a human-approved write window. Discover operations and their schemas with list_operations.",
            )
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        if let Some(c) = request.and_then(|r| r.cursor) {
            return Err(ErrorData::invalid_params(
                format!("invalid cursor {c:?}: the tool list has one page"),
                None,
            ));
        }
        Ok(ListToolsResult::with_all_items(tool_list().clone())
            .with_ttl_ms(300_000)
            .with_cache_scope(CacheScope::Public))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tool_list().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.as_ref();
        if !tool_list().iter().any(|t| t.name == name) {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {name}"),
                None,
            ));
        }
        let Some(principal) = self.principal(&ctx) else {
            return Ok(error_result(
                "not authenticated: send Authorization: Bearer <token> (create one with `idmcp token create --email <you>`)",
            ));
        };
        let args = request.arguments.clone().unwrap_or_default();
        Ok(match name {
            tools::LIST_OPERATIONS | tools::DOCS_SEARCH | tools::DOCS_ASK => {
                // These tools touch no identity data, but every tool call is audited.
                let started = std::time::Instant::now();
                let out = if name == tools::LIST_OPERATIONS {
                    list_operations(&args)
                } else {
                    crate::docs::call_tool(name, &args).await
                };
                let failed =
                    matches!(&out, CallToolResponse::Complete(r) if r.is_error == Some(true));
                let mut e =
                    crate::journal::Entry::new(self.app.clock.now_ms(), "tool_call", &principal)
                        .tool(name);
                e.outcome = if failed { "error".into() } else { "ok".into() };
                e.duration_us = started.elapsed().as_micros() as i64;
                crate::journal::append(&self.app, &e).await;
                out
            }
            _ => {
                self.bucket_with_approval(&principal, name, &args, &request, &ctx)
                    .await
            }
        })
    }
}
