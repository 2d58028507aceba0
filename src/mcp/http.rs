//! Streamable HTTP: axum serves `/mcp` (rmcp's service behind a bearer-token check),
//! `/healthz`, and the human-facing pages. Host and Origin are validated on `/mcp`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::Server;
use crate::app::App;
use crate::journal::{self, Entry};
use crate::store::principals::Principal;

/// How HTTP requests are authenticated.
#[derive(Clone)]
pub enum AuthMode {
    /// `Authorization: Bearer <API token>` on every request.
    Tokens,
    /// Every request acts as this principal (loopback only; for local single-user setups and
    /// the conformance suite, which cannot send credentials).
    Local(Principal),
}

#[derive(Clone)]
struct HttpState {
    app: Arc<App>,
    auth: AuthMode,
}

fn challenge(error: Option<&str>) -> Response {
    let value = match error {
        Some(e) => format!("Bearer realm=\"idmcp\", error=\"{e}\""),
        None => "Bearer realm=\"idmcp\"".to_owned(),
    };
    let mut r = (StatusCode::UNAUTHORIZED, "authentication required\n").into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&value).expect("ASCII header"),
    );
    r
}

async fn bearer_auth(State(st): State<HttpState>, mut req: Request, next: Next) -> Response {
    let principal = match &st.auth {
        AuthMode::Local(p) => p.clone(),
        AuthMode::Tokens => {
            let now = st.app.clock.now_ms();
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .map(str::to_owned);
            let Some(token) = token else {
                journal::append(
                    &st.app,
                    &Entry::anonymous(now, "authentication").operation("missing_token"),
                )
                .await;
                return challenge(None);
            };
            let found = {
                let conn = st.app.store.reader().await;
                st.app.auth.principal(&*conn, &token, now)
            };
            match found {
                Ok(Some(p)) => p,
                Ok(None) => {
                    journal::append(
                        &st.app,
                        &Entry::anonymous(now, "authentication").operation("invalid_token"),
                    )
                    .await;
                    return challenge(Some("invalid_token"));
                }
                Err(e) => {
                    tracing::error!(error = %e, "token lookup failed");
                    return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n")
                        .into_response();
                }
            }
        }
    };
    req.extensions_mut().insert(principal);
    // rmcp answers a JSON body that does not parse with 415, as if the media type were wrong:
    // with the right Content-Type, that is a parse error (400, JSON-RPC -32700).
    let json_post = req.method() == axum::http::Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
    let response = next.run(req).await;
    if json_post && response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return parse_error();
    }
    response
}

/// A body that is not a JSON-RPC message: 400 with a JSON-RPC parse error.
fn parse_error() -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": -32700, "message": "Parse error: the body is not a JSON-RPC message"}
        })),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The allowed Host values for an address: loopback names plus the public URL's host.
fn allowed_hosts(addr: SocketAddr, public_url: &str) -> Vec<String> {
    let mut hosts = vec![
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        "::1".to_owned(),
        addr.ip().to_string(),
    ];
    if let Some(h) = public_url
        .split("://")
        .nth(1)
        .and_then(|r| r.split(['/', ':']).next())
    {
        hosts.push(h.to_owned());
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Builds the whole HTTP application.
pub fn router(app: Arc<App>, auth: AuthMode, addr: SocketAddr, ct: CancellationToken) -> Router {
    let hosts = allowed_hosts(addr, &app.config.public_url);
    // Browsers on this machine (and the public URL's origin) may call /mcp; others may not.
    let mut origins: Vec<String> = hosts
        .iter()
        .map(|h| {
            if h.contains(':') {
                format!("[{h}]")
            } else {
                h.clone()
            }
        })
        .flat_map(|h| [format!("http://{h}:*"), format!("https://{h}:*")])
        .collect();
    origins.push(app.config.public_url.trim_end_matches('/').to_owned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        // A stateless answer with nothing streamed before it goes out as one JSON body.
        .with_json_response(true)
        .with_cancellation_token(ct.child_token());
    let factory_app = app.clone();
    let mcp = StreamableHttpService::new(
        move || {
            Ok(Server {
                app: factory_app.clone(),
                fixed_principal: None,
            })
        },
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let state = HttpState {
        app: app.clone(),
        auth,
    };
    let protected = Router::new()
        .route_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(state, bearer_auth));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::web::routes(app))
        .merge(protected)
}
