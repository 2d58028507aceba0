//! Support shared by the tests that run the real `idmcp` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// The line `idmcp serve --demo` prints with the admin's token.
pub const TOKEN_PREFIX: &str = "demo token for admin@acme.example: ";

/// Drains the child's piped stderr for its whole life (a full pipe would block the server):
/// returns the growing log, and a channel that receives each demo token printed.
pub fn drain_stderr(child: &mut Child) -> (Arc<Mutex<String>>, mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel::<String>();
    let pipe = child.stderr.take().expect("stderr is piped");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(t) = line.strip_prefix(TOKEN_PREFIX) {
                let _ = tx.send(t.trim().to_owned());
            }
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    (log, rx)
}

/// An HTTP/1.1 answer.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on its own connection (`Connection: close`), read to the end. A response cut
/// off (no head, or fewer body bytes than `Content-Length`) is an error, never an answer.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("truncated response head"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {head:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let resp = Response {
        status,
        headers,
        body: body.to_owned(),
    };
    if let Some(len) = resp
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        if resp.body.len() != len {
            return Err(std::io::Error::other(format!(
                "truncated body: {} of {len} bytes",
                resp.body.len()
            )));
        }
    }
    Ok(resp)
}

/// One `tools/call` as a 2026-07-28 stateless request with a bearer token. `Ok` holds the
/// JSON-RPC `result` (which may still be an `isError` tool result); anything else — an HTTP
/// error, a JSON-RPC error, a cut-off or unparsable answer — is an `Err` saying what came back.
#[allow(dead_code)] // each test binary compiles this module; not all of them call this
pub fn tools_call(
    port: u16,
    token: &str,
    tool: &str,
    arguments: serde_json::Value,
    timeout: Duration,
) -> Result<serde_json::Value, String> {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": tool,
            "arguments": arguments,
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        }
    })
    .to_string();
    let auth = format!("Bearer {token}");
    let headers = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", tool),
        ("Authorization", auth.as_str()),
    ];
    let r =
        http(port, "POST", "/mcp", &headers, &body, timeout).map_err(|e| format!("I/O: {e}"))?;
    if r.status != 200 {
        return Err(format!("HTTP {}: {}", r.status, r.body));
    }
    // A JSON body, or an SSE stream whose last `data:` line carries the answer.
    let json_text = if r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/event-stream"))
    {
        r.body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .filter(|l| l.contains("\"jsonrpc\""))
            .last()
            .unwrap_or("")
            .to_owned()
    } else {
        r.body.clone()
    };
    let v: serde_json::Value = serde_json::from_str(&json_text)
        .map_err(|e| format!("unparsable answer ({e}): {}", r.body))?;
    if !v["error"].is_null() {
        return Err(format!("JSON-RPC error: {}", v["error"]));
    }
    let result = v["result"].clone();
    if !result.is_object() {
        return Err(format!("no result: {v}"));
    }
    Ok(result)
}
