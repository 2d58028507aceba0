//! Out-of-band delivery of passcodes to the human: `console` (the server's terminal, for local
//! development), `file:PATH` (one JSON line per code, for tests and scripts), `webhook:URL`
//! (a JSON POST) — never through MCP, logs or the audit journal.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

/// Where passcodes go.
#[derive(Clone, Debug)]
pub enum Channel {
    Console,
    File(PathBuf),
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "console" => Ok(Channel::Console),
            Some(("file", path)) if !path.is_empty() => Ok(Channel::File(PathBuf::from(path))),
            _ => Err(format!("unknown passcode channel `{s}`: use `console` or `file:PATH`")),
        }
    }
}

/// What the human receives.
pub struct Delivery<'a> {
    pub approval_id: &'a str,
    pub email: &'a str,
    pub otp: &'a str,
    /// Epoch seconds.
    pub expires_at: i64,
    pub url: &'a str,
    pub summary: &'a str,
}

impl Channel {
    pub fn describe(&self) -> String {
        match self {
            Channel::Console => "the idmcp server's terminal".into(),
            Channel::File(p) => format!("the file {}", p.display()),
        }
    }

    /// Sends the passcode; an error means the human will not get it, so the approval fails.
    pub fn deliver(&self, d: &Delivery) -> Result<(), String> {
        match self {
            Channel::Console => {
                // The terminal *is* the channel here: this is not a log line.
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "\n=== idmcp approval for {} ===\n{}\nopen {} and enter the passcode {} (valid until epoch {})\n",
                    d.email, d.summary, d.url, d.otp, d.expires_at
                )
                .map_err(|e| e.to_string())
            }
            Channel::File(path) => {
                let line = json!({"approvalId": d.approval_id, "email": d.email, "otp": d.otp, "expiresAt": d.expires_at});
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("cannot open the passcode file {}: {e}", path.display()))?;
                writeln!(f, "{line}").map_err(|e| e.to_string())?;
                f.sync_data().map_err(|e| e.to_string())
            }
        }
    }
}
