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
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request on its own connection (`Connection: close`), read to the end. A response cut
/// off (no head, or fewer body bytes than `Content-Length`) is an error, never an answer.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str, timeout: Duration) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other("truncated response head"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {head:?}")))?;
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let resp = Response { status, headers, body: body.to_owned() };
    if let Some(len) = resp.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if resp.body.len() != len {
            return Err(std::io::Error::other(format!("truncated body: {} of {len} bytes", resp.body.len())));
        }
    }
    Ok(resp)
}
