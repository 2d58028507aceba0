//! End to end against the real `idmcp` binary, driven by rmcp's own client.
//!
//! The test starts `idmcp serve --demo` on a fresh temporary store and a free loopback port,
//! reads the demo admin's token from its stderr, and talks to it over streamable HTTP (both
//! protocol eras: legacy `initialize` and 2026-07-28 stateless) and over stdio (a child process
//! with `IDMCP_TOKEN`, on the same store). The server is killed when the test ends, pass or fail.
//!
//! Nothing but the Rust toolchain is needed: the HTTP status checks use a raw TCP request.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_idmcp");
const ADMIN: &str = "admin@acme.example";
const COMPANY: &str = "Acme Holdings";
use common::TOKEN_PREFIX;

/// DESIGN.md §3: exactly these tools.
const TOOLS: [&str; 23] = [
    "list_operations",
    "session",
    "project_read",
    "project_write",
    "access_control_read",
    "access_control_write",
    "agentic_read",
    "agentic_write",
    "audits_read",
    "auth_keys_read",
    "auth_keys_write",
    "flows_read",
    "flows_write",
    "tenants_read",
    "tenants_write",
    "connect_read",
    "connect_write",
    "tests_read",
    "tests_write",
    "users_read",
    "users_write",
    "docs_search",
    "docs_ask_question",
];

/// The whole `tools/list` result must stay small (per-operation schemas are not inlined).
const MAX_TOOLS_LIST_BYTES: usize = 24 * 1024;

// ---------------------------------------------------------------------------------------------
// The server process

/// A running `idmcp serve --demo` on a temporary store; killed on drop.
struct Server {
    child: Child,
    port: u16,
    token: String,
    dir: tempfile::TempDir,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the server, retrying on another port if the chosen one was taken in the meantime.
fn start_server() -> Server {
    let mut last = String::new();
    for _ in 0..3 {
        match try_start_server() {
            Ok(s) => return s,
            // The port was taken between choosing and binding it: try another one.
            Err(Start::Exited(e)) => last = e,
            Err(Start::Failed(e)) => panic!("idmcp serve --demo did not start: {e}"),
        }
    }
    panic!("idmcp serve --demo did not start: {last}");
}

enum Start {
    Exited(String),
    Failed(String),
}

fn try_start_server() -> Result<Server, Start> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "info,rmcp=error")
        .env_remove("IDMCP_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Start::Failed(format!("cannot run {BIN}: {e}")))?;
    let (stderr, rx) = common::drain_stderr(&mut child);
    let mut server = Server {
        child,
        port,
        token: String::new(),
        dir,
        stderr,
    };
    server.token = match rx.recv_timeout(Duration::from_secs(600)) {
        Ok(t) => t,
        Err(_) => {
            return Err(Start::Failed(format!(
                "no `{TOKEN_PREFIX}…` line on stderr within 600 s; stderr was:\n{}",
                server.log()
            )));
        }
    };
    if !server.token.starts_with("idmcp_") {
        return Err(Start::Failed(format!(
            "the demo token {:?} does not look like an idmcp token",
            server.token
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(Start::Exited(format!(
                "server exited with {status}; stderr:\n{}",
                server.log()
            )));
        }
        if let Ok(r) = http(port, "GET", "/healthz", &[], "") {
            if r.status == 200 {
                return Ok(server);
            }
        }
        if Instant::now() > deadline {
            return Err(Start::Failed(format!(
                "/healthz never answered 200; stderr:\n{}",
                server.log()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP (for status codes and headers the MCP client hides)

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}"#;

fn post_mcp(port: u16, authorization: Option<&str>) -> common::Response {
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
    ];
    if let Some(a) = authorization {
        headers.push(("Authorization", a));
    }
    http(port, "POST", "/mcp", &headers, INITIALIZE).expect("POST /mcp")
}

// ---------------------------------------------------------------------------------------------
// MCP clients

type Client = RunningService<RoleClient, ()>;

#[derive(Clone, Copy, Debug)]
enum Era {
    Legacy,
    Modern,
}

impl Era {
    fn lifecycle(self) -> ClientLifecycleMode {
        match self {
            Era::Legacy => ClientLifecycleMode::Initialize,
            Era::Modern => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

async fn http_client(server: &Server, era: Era) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(server.url())
        .auth_header(server.token.clone());
    let transport = StreamableHttpClientTransport::from_config(config);
    ().serve_with_lifecycle(transport, era.lifecycle())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "HTTP client ({era:?}) could not connect: {e}\nserver stderr:\n{}",
                server.log()
            )
        })
}

async fn stdio_client(data_dir: &Path, token: &str, era: Era) -> Client {
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        c.args(["serve", "--stdio", "--data-dir"])
            .arg(data_dir)
            .env("IDMCP_TOKEN", token)
            .env("RUST_LOG", "error");
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn idmcp serve --stdio");
    ().serve_with_lifecycle(transport, era.lifecycle())
        .await
        .unwrap_or_else(|e| panic!("stdio client ({era:?}) could not connect: {e}"))
}

/// A tool call's result as JSON (`content`, `structuredContent`, `isError`).
async fn call(client: &Client, tool: &str, args: Value) -> Value {
    let mut params = CallToolRequestParams::new(tool.to_owned());
    if let Value::Object(m) = args {
        params = params.with_arguments(m);
    }
    let r = client
        .call_tool(params)
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool} failed at the protocol level: {e}"));
    serde_json::to_value(&r).unwrap()
}

fn is_error(r: &Value) -> bool {
    r["isError"].as_bool().unwrap_or(false)
}

fn text(r: &Value) -> String {
    r["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ok_structured(r: &Value, what: &str) -> Value {
    assert!(
        !is_error(r),
        "{what}: unexpected isError result: {}",
        text(r)
    );
    let s = r["structuredContent"].clone();
    assert!(s.is_object(), "{what}: no structuredContent object in {r}");
    assert!(
        !text(r).is_empty(),
        "{what}: no text block next to structuredContent"
    );
    s
}

fn err_text(r: &Value, what: &str) -> String {
    assert!(is_error(r), "{what}: expected an isError result, got {r}");
    let t = text(r);
    assert!(!t.is_empty(), "{what}: an isError result without text");
    assert!(
        !t.contains("panicked") && !t.contains("stack backtrace"),
        "{what}: error text looks like a crash: {t}"
    );
    t
}

/// Everything a client of any transport and era must see.
async fn check_mcp_surface(client: &Client, label: &str) {
    // tools/list: exactly the 23 tools, annotated, and small.
    let tools = client
        .list_all_tools()
        .await
        .unwrap_or_else(|e| panic!("{label}: tools/list: {e}"));
    let tools_json = serde_json::to_value(&tools).unwrap();
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let expected: BTreeSet<&str> = TOOLS.iter().copied().collect();
    assert_eq!(
        tools.len(),
        23,
        "{label}: tools/list has {} tools: {names:?}",
        tools.len()
    );
    assert_eq!(
        names, expected,
        "{label}: tool names differ from DESIGN.md §3"
    );
    let size = serde_json::to_string(&json!({ "tools": tools_json }))
        .unwrap()
        .len();
    assert!(
        size <= MAX_TOOLS_LIST_BYTES,
        "{label}: tools/list is {size} bytes (> {MAX_TOOLS_LIST_BYTES})"
    );
    for t in tools_json.as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let ann = &t["annotations"];
        assert!(ann.is_object(), "{label}: {name} has no annotations");
        assert_eq!(
            t["inputSchema"]["type"], "object",
            "{label}: {name} input schema is not an object schema"
        );
        let read_only = ann["readOnlyHint"].as_bool();
        let destructive = ann["destructiveHint"].as_bool();
        if name.ends_with("_read") || name == "list_operations" || name.starts_with("docs_") {
            assert_eq!(
                read_only,
                Some(true),
                "{label}: read tool {name} must have readOnlyHint true: {ann}"
            );
        } else if name.ends_with("_write") {
            assert_ne!(
                read_only,
                Some(true),
                "{label}: write tool {name} must not be readOnlyHint: {ann}"
            );
            assert_eq!(
                destructive,
                Some(true),
                "{label}: write tool {name} must have destructiveHint true: {ann}"
            );
        }
        if name.ends_with("_read") || name.ends_with("_write") || name == "session" {
            let props = &t["inputSchema"]["properties"];
            assert!(
                props["operation"].is_object(),
                "{label}: bucket tool {name} has no `operation` property"
            );
        }
    }

    // session whoami.
    let who = ok_structured(
        &call(client, "session", json!({"operation": "whoami"})).await,
        "session whoami",
    );
    assert_eq!(who["principal"]["email"], ADMIN, "{label}: whoami: {who}");
    assert_eq!(who["company"]["name"], COMPANY, "{label}: whoami: {who}");
    assert_eq!(
        who["mode"], "read-only",
        "{label}: a fresh session must be read-only: {who}"
    );
    // Operation lookup ignores case.
    let who2 = ok_structured(
        &call(
            client,
            "session",
            json!({"operation": "WHOAMI", "args": {}}),
        )
        .await,
        "session WHOAMI",
    );
    assert_eq!(who2["principal"]["email"], ADMIN);

    // list_operations: the buckets, then one operation's schemas.
    let listing = ok_structured(
        &call(client, "list_operations", json!({})).await,
        "list_operations",
    );
    let buckets = listing["buckets"].as_object().unwrap_or_else(|| {
        panic!("{label}: list_operations without args: no `buckets` object: {listing}")
    });
    for t in TOOLS
        .iter()
        .filter(|t| t.ends_with("_read") || t.ends_with("_write") || **t == "session")
    {
        assert!(
            buckets.contains_key(*t),
            "{label}: list_operations does not list bucket {t}"
        );
    }
    // Each bucket tool's `operation` enum is exactly its operations in the catalog (a bucket
    // without operations has no enum: an empty one is not valid JSON Schema).
    for t in tools_json.as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let Some(ops) = buckets.get(name).and_then(Value::as_array) else {
            continue;
        };
        let listed: BTreeSet<&str> = ops.iter().filter_map(|o| o["name"].as_str()).collect();
        let schema = &t["inputSchema"]["properties"]["operation"];
        let enumerated: BTreeSet<&str> = schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if listed.is_empty() {
            assert!(
                schema["enum"].as_array().is_none_or(|e| e.is_empty()),
                "{label}: {name} has no operations but an enum: {schema}"
            );
        } else {
            assert_eq!(
                enumerated, listed,
                "{label}: {name}.operation enum differs from list_operations"
            );
        }
    }
    let session_ops: Vec<&str> = buckets["session"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(
        session_ops.contains(&"whoami"),
        "{label}: session bucket lacks whoami: {session_ops:?}"
    );
    for (bucket, ops) in buckets {
        for op in ops.as_array().unwrap() {
            assert!(
                op["name"].is_string() && op["summary"].is_string() && op["class"].is_string(),
                "{label}: {bucket}: listing entry needs name, summary, class: {op}"
            );
        }
    }
    let detail = ok_structured(
        &call(client, "list_operations", json!({"operation": "whoami"})).await,
        "list_operations whoami",
    );
    assert!(
        detail["inputSchema"].is_object(),
        "{label}: list_operations whoami has no inputSchema: {detail}"
    );
    assert!(
        detail["outputSchema"].is_object(),
        "{label}: list_operations whoami has no outputSchema: {detail}"
    );
    let one = ok_structured(
        &call(client, "list_operations", json!({"bucket": "session"})).await,
        "list_operations bucket",
    );
    assert!(
        one["buckets"]["session"].is_array(),
        "{label}: list_operations {{bucket: session}}: {one}"
    );

    // Invalid arguments: an isError result that names the field.
    let t = err_text(
        &call(
            client,
            "session",
            json!({"operation": "selectProject", "args": {"project": 42}}),
        )
        .await,
        "invalid args",
    );
    assert!(
        t.contains("project"),
        "{label}: invalid-argument error does not name the field `project`: {t}"
    );
    let t = err_text(
        &call(
            client,
            "session",
            json!({"operation": "selectProject", "args": {}}),
        )
        .await,
        "missing arg",
    );
    assert!(
        t.contains("project"),
        "{label}: missing-argument error does not name the field `project`: {t}"
    );

    // Unknown operation: an isError result listing the valid ones.
    let t = err_text(
        &call(client, "session", json!({"operation": "noSuchOperation"})).await,
        "unknown operation",
    );
    assert!(
        t.contains("noSuchOperation") && t.contains("whoami"),
        "{label}: unknown-operation error should name it and list valid operations: {t}"
    );

    // An operation asked of the wrong tool: the error points at the right one. Prefer a write
    // operation asked of its read tool; fall back to a session operation asked of a read tool.
    let write_op = buckets
        .iter()
        .filter(|(b, _)| b.ends_with("_write"))
        .find_map(|(b, ops)| {
            let op = ops.as_array()?.iter().find(|o| o["class"] == "write")?["name"]
                .as_str()?
                .to_owned();
            Some((b.clone(), op))
        });
    let (wrong_tool, op, right_tool) = match &write_op {
        Some((write_tool, op)) => (
            write_tool.replace("_write", "_read"),
            op.clone(),
            write_tool.clone(),
        ),
        None => (
            "users_read".to_owned(),
            "whoami".to_owned(),
            "session".to_owned(),
        ),
    };
    let t = err_text(
        &call(client, &wrong_tool, json!({"operation": op, "args": {}})).await,
        "wrong tool",
    );
    assert!(
        t.contains(&right_tool),
        "{label}: `{op}` asked of `{wrong_tool}` should point at `{right_tool}`: {t}"
    );
    if write_op.is_some() {
        // A write while read-only is refused (or turned into an approval request), never run.
        let r = call(client, &right_tool, json!({"operation": op, "args": {}})).await;
        let t = text(&r);
        assert!(
            is_error(&r) || t.contains("approv"),
            "{label}: write `{right_tool}.{op}` in a read-only session was not refused: {r}"
        );
    }

    // `args` that is not an object, and a missing `operation`.
    err_text(
        &call(
            client,
            "session",
            json!({"operation": "whoami", "args": "nope"}),
        )
        .await,
        "args not an object",
    );
    let t = err_text(
        &call(client, "session", json!({})).await,
        "missing operation",
    );
    assert!(
        t.contains("whoami"),
        "{label}: a call without `operation` should list the operations: {t}"
    );

    // Unknown tool: a protocol error, not a crash.
    let unknown = client
        .call_tool(CallToolRequestParams::new("no_such_tool"))
        .await;
    assert!(
        unknown.is_err(),
        "{label}: an unknown tool should be a protocol error, got {unknown:?}"
    );

    // Still serving after all those errors.
    let again = ok_structured(
        &call(client, "session", json!({"operation": "whoami"})).await,
        "whoami after errors",
    );
    assert_eq!(
        again["principal"]["email"], ADMIN,
        "{label}: server stopped answering properly after errors"
    );
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The test. One server serves every phase: seeding the demo company is the expensive part
// (hundreds of thousands of audit events), so it is done once.

#[test]
fn end_to_end_with_rmcp_client() {
    let server = start_server();
    let rt = rt();

    // HTTP, legacy `initialize` then 2026-07-28 stateless.
    rt.block_on(async {
        for era in [Era::Legacy, Era::Modern] {
            let client = http_client(&server, era).await;
            check_mcp_surface(&client, &format!("HTTP {era:?}")).await;
            client.cancel().await.unwrap();
        }
    });

    // stdio (a child process with IDMCP_TOKEN), both eras, on the same store.
    rt.block_on(async {
        for era in [Era::Legacy, Era::Modern] {
            let client = stdio_client(server.data_dir(), &server.token, era).await;
            check_mcp_surface(&client, &format!("stdio {era:?}")).await;
            client.cancel().await.unwrap();
        }
    });

    http_requires_a_valid_bearer_token(&server, &rt);
    token_create_prints_exactly_one_line(&server, &rt);
}

fn http_requires_a_valid_bearer_token(server: &Server, rt: &tokio::runtime::Runtime) {
    let port = server.port;

    let health = http(port, "GET", "/healthz", &[], "").unwrap();
    assert_eq!(health.status, 200, "/healthz needs no token");

    let none = post_mcp(port, None);
    assert_eq!(
        none.status, 401,
        "no token must give 401, got {} {}",
        none.status, none.body
    );
    let challenge = none
        .header("WWW-Authenticate")
        .unwrap_or_else(|| panic!("401 without WWW-Authenticate: {:?}", none.headers));
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "WWW-Authenticate should be a Bearer challenge: {challenge}"
    );

    let wrong = post_mcp(port, Some("Bearer idmcp_thisIsNotAValidToken"));
    assert_eq!(
        wrong.status, 401,
        "a wrong token must give 401, got {} {}",
        wrong.status, wrong.body
    );
    assert!(
        wrong
            .header("WWW-Authenticate")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("bearer")),
        "wrong token: no Bearer challenge: {:?}",
        wrong.headers
    );

    let not_bearer = post_mcp(port, Some(&format!("Basic {}", server.token)));
    assert_eq!(
        not_bearer.status, 401,
        "a non-Bearer Authorization must give 401, got {}",
        not_bearer.status
    );

    let good = post_mcp(port, Some(&format!("Bearer {}", server.token)));
    assert_eq!(
        good.status, 200,
        "the demo token must be accepted, got {} {}",
        good.status, good.body
    );

    // The rmcp client with a wrong token fails to connect instead of hanging.
    rt.block_on(async {
        let config =
            StreamableHttpClientTransportConfig::with_uri(server.url()).auth_header("idmcp_wrong");
        let r = tokio::time::timeout(
            Duration::from_secs(60),
            ().serve_with_lifecycle(
                StreamableHttpClientTransport::from_config(config),
                Era::Legacy.lifecycle(),
            ),
        )
        .await
        .expect("the client with a wrong token hung");
        assert!(r.is_err(), "a client with a wrong token connected");
    });

    // A stdio server refuses to start with a bad token, and says nothing on the protocol channel.
    let out = Command::new(BIN)
        .args(["serve", "--stdio", "--data-dir"])
        .arg(server.data_dir())
        .env("IDMCP_TOKEN", "idmcp_wrong")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "serve --stdio accepted a wrong IDMCP_TOKEN"
    );
    assert!(
        out.stdout.is_empty(),
        "serve --stdio wrote to stdout while refusing: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn token_create_prints_exactly_one_line(server: &Server, rt: &tokio::runtime::Runtime) {
    // Works while the server runs on the same store.
    let out = Command::new(BIN)
        .args(["token", "create", "--email", ADMIN, "--data-dir"])
        .arg(server.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "token create must print exactly one line, printed {stdout:?}"
    );
    assert!(stdout.ends_with('\n'));
    let token = lines[0].trim();
    assert!(
        token.starts_with("idmcp_") && !token.contains(' '),
        "not a token: {token:?}"
    );

    // The new token works over HTTP and over stdio.
    let good = post_mcp(server.port, Some(&format!("Bearer {token}")));
    assert_eq!(
        good.status, 200,
        "the created token was refused over HTTP: {} {}",
        good.status, good.body
    );
    rt.block_on(async {
        let client = stdio_client(server.data_dir(), token, Era::Modern).await;
        let who = ok_structured(
            &call(&client, "session", json!({"operation": "whoami"})).await,
            "whoami via created token",
        );
        assert_eq!(who["principal"]["email"], ADMIN);
        client.cancel().await.unwrap();
    });

    // Revoked by another process (the CLI) on the same store, the token stops working over HTTP
    // at once, although the server has just authenticated it (and may cache that).
    let again = post_mcp(server.port, Some(&format!("Bearer {token}")));
    assert_eq!(
        again.status, 200,
        "the created token was refused the second time: {} {}",
        again.status, again.body
    );
    let out = Command::new(BIN)
        .args(["token", "revoke", token, "--data-dir"])
        .arg(server.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token revoke failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = post_mcp(server.port, Some(&format!("Bearer {token}")));
    assert_eq!(
        revoked.status, 401,
        "a token revoked by the CLI was still accepted over HTTP: {} {}",
        revoked.status, revoked.body
    );
    let demo = post_mcp(server.port, Some(&format!("Bearer {}", server.token)));
    assert_eq!(
        demo.status, 200,
        "revoking one token refused another: {} {}",
        demo.status, demo.body
    );

    // An unknown Descoper: failure, nothing on stdout.
    let out = Command::new(BIN)
        .args([
            "token",
            "create",
            "--email",
            "nobody@nowhere.example",
            "--data-dir",
        ])
        .arg(server.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "token create for an unknown e-mail succeeded"
    );
    assert!(
        out.stdout.is_empty(),
        "token create printed to stdout on failure: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// [`common::http`] with this test's read timeout.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<common::Response> {
    common::http(port, method, path, headers, body, Duration::from_secs(30))
}
