//! Out-of-band delivery of passcodes to the human: `console` (the server's controlling terminal,
//! `/dev/tty`, never stderr; for local development), `file:PATH` (one JSON line per code, for tests and scripts),
//! `smtp://…`/`smtps://…` (an e-mail to the principal) and `webhook:URL` (a JSON POST) — never
//! through MCP, logs or the audit journal.
//!
//! Delivery is synchronous: the approval is only reported to the agent once the code is on its
//! way, and a failed delivery cancels the approval. Network channels therefore run with a hard
//! 5-second limit on a thread of their own, so a slow mail server or webhook neither hangs the
//! request nor stalls the async workers serving everyone else.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

/// How long a network channel may take to accept a passcode before the approval fails.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(5);

/// The controlling terminal, the only place `console` writes to.
pub const TTY: &str = "/dev/tty";

/// Whether this process has a controlling terminal that `console` can write to.
pub fn terminal_available() -> bool {
    std::fs::OpenOptions::new().write(true).open(TTY).is_ok()
}

/// Why `console` cannot be used without a terminal, naming the alternatives.
pub fn no_terminal_message() -> String {
    format!(
        "the `console` passcode channel writes only to the controlling terminal ({TTY}), and this process has none: use --otp-channel file:PATH (a 0600 file only the human reads), smtp://user:pass@host:port?from=ADDRESS, or webhook:https://…, or enrol an authenticator app (`idmcp totp enroll`, TOTP)"
    )
}

/// Where passcodes go.
#[derive(Clone, Debug)]
pub enum Channel {
    Console,
    File(PathBuf),
    Smtp(Smtp),
    Webhook(Webhook),
}

/// How an SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: STARTTLS when the server offers it (the usual local relay or port 25/587).
    Opportunistic,
    /// `smtp://…?tls=required`: STARTTLS or fail.
    Required,
    /// `smtps://`: TLS from the first byte (port 465).
    Wrapper,
    /// `smtp://…?tls=none`: never TLS (a relay on this machine only).
    None,
}

/// An SMTP submission server (`smtp://user:pass@host:port?from=idmcp@example.com`).
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    password: Option<String>,
    pub from: String,
    pub tls: SmtpTls,
}

/// Never prints the password (the config is `Debug` and may end up in a log).
impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("tls", &self.tls)
            .finish()
    }
}

/// A URL that receives `{approvalId, email, otp, expiresAt, url}` as a JSON POST.
#[derive(Clone)]
pub struct Webhook {
    url: hyper::Uri,
}

/// Webhook URLs often carry a secret in their path or query (chat incoming-webhooks do): only
/// the scheme and host are ever shown.
impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Webhook({})", self.origin())
    }
}

impl Webhook {
    fn origin(&self) -> String {
        format!(
            "{}://{}",
            self.url.scheme_str().unwrap_or("https"),
            self.url.authority().map(|a| a.as_str()).unwrap_or("")
        )
    }
}

/// `%XX` decoding for the user and password of an SMTP URL.
fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or("a `%` in the SMTP URL is not followed by two hex digits")?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| format!("`%{hex}` in the SMTP URL is not a percent-escape"))?,
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| "the SMTP user or password is not UTF-8 after percent-decoding".into())
}

impl Smtp {
    fn parse(s: &str) -> Result<Self, String> {
        let (wrapper, rest) = match s.split_once("://") {
            Some(("smtp", r)) => (false, r),
            Some(("smtps", r)) => (true, r),
            _ => {
                return Err(format!(
                    "`{}` is not an smtp:// or smtps:// URL",
                    redact_userinfo(s)
                ));
            }
        };
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let base = base.trim_end_matches('/');
        let (userinfo, hostport) = match base.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, base),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((user, pass)) => (Some(percent_decode(user)?), Some(percent_decode(pass)?)),
                None => (Some(percent_decode(u)?), None),
            },
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.to_owned(),
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port number in the SMTP URL"))?,
            ),
            _ => (hostport.to_owned(), if wrapper { 465 } else { 587 }),
        };
        if host.is_empty() {
            return Err(
                "the SMTP URL names no host: use smtp://user:pass@host:port?from=idmcp@example.com"
                    .into(),
            );
        }
        let mut from = None;
        let mut tls = if wrapper {
            SmtpTls::Wrapper
        } else {
            SmtpTls::Opportunistic
        };
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            match kv.split_once('=') {
                Some(("from", v)) => from = Some(percent_decode(v)?),
                Some(("tls", "required")) if !wrapper => tls = SmtpTls::Required,
                Some(("tls", "opportunistic")) if !wrapper => tls = SmtpTls::Opportunistic,
                Some(("tls", "none")) if !wrapper => tls = SmtpTls::None,
                _ => {
                    return Err(format!(
                        "unknown SMTP URL parameter `{kv}`: use from=ADDRESS and, for smtp://, tls=required|opportunistic|none"
                    ));
                }
            }
        }
        let from = from.ok_or("the SMTP URL needs the sender: add ?from=idmcp@example.com")?;
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("from={from} is not an e-mail address: {e}"))?;
        if password.is_some() && tls == SmtpTls::None && !crate::https::is_loopback(&host) {
            return Err(format!(
                "tls=none would send the SMTP password to {host} in clear text: use STARTTLS (drop tls=none) or smtps://"
            ));
        }
        Ok(Smtp {
            host,
            port,
            user,
            password,
            from,
            tls,
        })
    }

    async fn send(self, d: OwnedDelivery) -> Result<(), String> {
        use lettre::message::header::ContentType;
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Tls, TlsParameters};
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

        let to: lettre::message::Mailbox = d
            .email
            .parse()
            .map_err(|e| format!("the principal's e-mail {} is not an address: {e}", d.email))?;
        let body = format!(
            "An AI assistant asked to make this change on your behalf:\n\n  {}\n\n\
             To approve it, open\n\n  {}\n\nand enter the passcode\n\n  {}\n\n\
             The passcode is valid until epoch {} (10 minutes). Never tell it to the assistant.\n\
             If you did not ask for this change, ignore this e-mail: nothing happens without the passcode.\n",
            d.summary, d.url, d.otp, d.expires_at
        );
        let message = Message::builder()
            .from(
                self.from
                    .parse()
                    .map_err(|e| format!("from={}: {e}", self.from))?,
            )
            .to(to)
            .subject("idmcp: approve a change requested by your AI assistant")
            .header(ContentType::TEXT_PLAIN)
            .body(mail_body(body))
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        let params = || {
            TlsParameters::new(self.host.clone())
                .map_err(|e| format!("TLS setup for {}: {e}", self.host))
        };
        let tls = match self.tls {
            SmtpTls::Opportunistic => Tls::Opportunistic(params()?),
            SmtpTls::Required => Tls::Required(params()?),
            SmtpTls::Wrapper => Tls::Wrapper(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
                .port(self.port)
                .tls(tls)
                .timeout(Some(NETWORK_TIMEOUT));
        if let Some(user) = self.user.clone() {
            builder = builder.credentials(Credentials::new(
                user,
                self.password.clone().unwrap_or_default(),
            ));
        }
        builder
            .build()
            .send(message)
            .await
            .map(|_| ())
            // lettre's errors name the server's reply, never the message or the credentials.
            .map_err(|e| {
                format!(
                    "the mail server {}:{} refused or failed: {e}",
                    self.host, self.port
                )
            })
    }
}

/// Plain 7-bit text when possible, so the link and the code arrive exactly as written even in
/// a mail reader that shows the raw message: lettre's own choice is quoted-printable for any
/// line over 76 characters, which breaks the long approval link with soft line breaks. RFC 5322
/// allows 998 characters a line, which is all 7-bit needs; any non-ASCII text (a tenant's name
/// in the summary) falls back to lettre's own choice.
fn mail_body(text: String) -> lettre::message::Body {
    use lettre::message::Body;
    use lettre::message::header::ContentTransferEncoding;
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let seven_bit =
        crlf.bytes().all(|b| b.is_ascii() && b != 0) && crlf.split("\r\n").all(|l| l.len() <= 998);
    if seven_bit {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text)
    }
}

/// `scheme://user:pass@host` → `scheme://***@host`, for error messages.
fn redact_userinfo(s: &str) -> String {
    match (s.split_once("://"), s.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &s[at..]),
        _ => s.to_owned(),
    }
}

impl Webhook {
    fn parse(s: &str) -> Result<Self, String> {
        let url: hyper::Uri = s
            .parse()
            .map_err(|e| format!("webhook:{s} is not a URL: {e}"))?;
        let host = url.host().unwrap_or_default();
        match url.scheme_str() {
            Some("https") if !host.is_empty() => {}
            // In clear text the passcode could be read on the way: only to this machine.
            Some("http") if crate::https::is_loopback(host) => {}
            Some("http") => {
                return Err(format!(
                    "webhook:http://{host}… would send passcodes in clear text: use https:// (plain http is allowed only to 127.0.0.1/localhost)"
                ));
            }
            _ => {
                return Err(
                    "the webhook channel needs an absolute https:// URL: webhook:https://host/path"
                        .into(),
                );
            }
        }
        Ok(Webhook { url })
    }

    async fn send(self, d: OwnedDelivery) -> Result<(), String> {
        use http_body_util::{BodyExt, Full};
        let client = crate::https::client()?;
        let body = json!({"approvalId": d.approval_id, "email": d.email, "otp": d.otp, "expiresAt": d.expires_at, "url": d.url}).to_string();
        let req = hyper::Request::post(self.url.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("idmcp/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| format!("cannot build the webhook request: {e}"))?;
        let origin = self.origin();
        let resp = client
            .request(req)
            .await
            .map_err(|e| format!("the webhook at {origin} could not be reached: {e}"))?;
        let status = resp.status();
        // Read (and drop) the answer so the connection closes cleanly.
        let _ = resp.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the webhook at {origin} answered HTTP {status}"))
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("smtp://") || s.starts_with("smtps://") {
            return Smtp::parse(s).map(Channel::Smtp);
        }
        match s.split_once(':') {
            None if s == "console" => Ok(Channel::Console),
            Some(("file", path)) if !path.is_empty() => Ok(Channel::File(PathBuf::from(path))),
            Some(("webhook", url)) => Webhook::parse(url).map(Channel::Webhook),
            _ => Err(format!(
                "unknown passcode channel `{}`: use `console`, `file:PATH`, `smtp://user:pass@host:port?from=ADDRESS` (or smtps://) or `webhook:https://…`",
                redact_userinfo(s)
            )),
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

/// A [`Delivery`] that can move to the delivery thread.
struct OwnedDelivery {
    approval_id: String,
    email: String,
    otp: String,
    expires_at: i64,
    url: String,
    summary: String,
}

impl From<&Delivery<'_>> for OwnedDelivery {
    fn from(d: &Delivery) -> Self {
        Self {
            approval_id: d.approval_id.to_owned(),
            email: d.email.to_owned(),
            otp: d.otp.to_owned(),
            expires_at: d.expires_at,
            url: d.url.to_owned(),
            summary: d.summary.to_owned(),
        }
    }
}

/// Runs a network delivery to completion within [`NETWORK_TIMEOUT`], from synchronous code that
/// may itself run on a tokio worker: on a thread of its own with a one-thread runtime (nested
/// `block_on` on the caller's runtime would panic), and, on a multi-threaded runtime, inside
/// `block_in_place` so that the worker's other tasks move elsewhere meanwhile.
fn run_network(
    what: &'static str,
    fut: impl Future<Output = Result<(), String>> + Send + 'static,
) -> Result<(), String> {
    let work = move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the {what} client: {e}"))?;
        rt.block_on(async move {
            match tokio::time::timeout(NETWORK_TIMEOUT, fut).await {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "the {what} did not accept the passcode within {} s",
                    NETWORK_TIMEOUT.as_secs()
                )),
            }
        })
    };
    let on_thread = move || {
        std::thread::spawn(work)
            .join()
            .unwrap_or_else(|_| Err(format!("the {what} delivery failed unexpectedly")))
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(on_thread)
        }
        _ => on_thread(),
    }
}

impl Channel {
    /// How the agent is told where the code went: never an address, password or URL path.
    pub fn describe(&self) -> String {
        match self {
            Channel::Console => "the idmcp server's terminal".into(),
            Channel::File(p) => format!("the file {}", p.display()),
            Channel::Smtp(_) => "e-mail (to the user's address)".into(),
            Channel::Webhook(w) => format!("the webhook on {}", w.url.host().unwrap_or("?")),
        }
    }

    /// Sends the passcode; an error means the human will not get it, so the approval fails.
    /// The error text never contains the passcode.
    pub fn deliver(&self, d: &Delivery) -> Result<(), String> {
        match self {
            Channel::Console => {
                // The controlling terminal *is* the channel: never stderr, which is the log
                // stream and is often read by the agent that started this process.
                let mut tty = std::fs::OpenOptions::new()
                    .write(true)
                    .open(TTY)
                    .map_err(|e| format!("cannot open the terminal {TTY}: {e}"))?;
                writeln!(
                    tty,
                    "\n=== idmcp approval for {} ===\n{}\nopen {} and enter the passcode {} (valid until epoch {})\n",
                    d.email, d.summary, d.url, d.otp, d.expires_at
                )
                .map_err(|e| e.to_string())
            }
            Channel::File(path) => {
                use std::os::unix::fs::OpenOptionsExt;
                let line = json!({"approvalId": d.approval_id, "email": d.email, "otp": d.otp, "expiresAt": d.expires_at});
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        format!("cannot open the passcode file {}: {e}", path.display())
                    })?;
                writeln!(f, "{line}").map_err(|e| e.to_string())?;
                f.sync_data().map_err(|e| e.to_string())
            }
            Channel::Smtp(s) => run_network("mail server", s.clone().send(d.into())),
            Channel::Webhook(w) => run_network("webhook", w.clone().send(d.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_parse_with_defaults_and_refuse_what_would_leak() {
        let Channel::Smtp(s) = "smtp://me%40x.org:p%3Ass@mail.example:2525?from=idmcp@example.com"
            .parse()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.user.as_deref(),
                s.password.as_deref()
            ),
            ("mail.example", 2525, Some("me@x.org"), Some("p:ss"))
        );
        assert_eq!(s.tls, SmtpTls::Opportunistic);
        assert!(
            !format!("{s:?}").contains("p:ss"),
            "Debug shows the password"
        );
        let Channel::Smtp(s) = "smtps://mail.example?from=a@b.example".parse().unwrap() else {
            panic!()
        };
        assert_eq!((s.port, s.tls), (465, SmtpTls::Wrapper));
        assert!(
            "smtp://mail.example:25"
                .parse::<Channel>()
                .unwrap_err()
                .contains("from=")
        );
        assert!(
            "smtp://u:p@mail.example:25?from=a@b.example&tls=none"
                .parse::<Channel>()
                .unwrap_err()
                .contains("clear text")
        );
        assert!(
            "smtp://u:p@127.0.0.1:25?from=a@b.example&tls=none"
                .parse::<Channel>()
                .is_ok()
        );
        let err = "smtp://u:secretpw@mail.example:25?from=a@b.example&bogus=1"
            .parse::<Channel>()
            .unwrap_err();
        assert!(err.contains("bogus") && !err.contains("secretpw"), "{err}");
    }

    #[test]
    fn mail_bodies_stay_plain_text_unless_they_cannot() {
        use lettre::message::header::ContentTransferEncoding;
        let long_link = format!(
            "open\n  http://127.0.0.1:7337/approve/ap_{}\n",
            "x".repeat(60)
        );
        let b = mail_body(long_link.clone());
        assert_eq!(b.encoding(), ContentTransferEncoding::SevenBit);
        assert_eq!(
            String::from_utf8(b.into_vec()).unwrap(),
            long_link.replace('\n', "\r\n")
        );
        assert_ne!(
            mail_body("tenant Müller GmbH".into()).encoding(),
            ContentTransferEncoding::SevenBit
        );
    }

    #[test]
    fn webhooks_need_https_except_to_this_machine_and_never_show_their_path() {
        let w: Channel = "webhook:https://hooks.example/T0/secret-path?token=abc"
            .parse()
            .unwrap();
        assert_eq!(w.describe(), "the webhook on hooks.example");
        assert!(!format!("{w:?}").contains("secret-path"));
        assert!("webhook:http://127.0.0.1:9/x".parse::<Channel>().is_ok());
        assert!(
            "webhook:http://hooks.example/x"
                .parse::<Channel>()
                .unwrap_err()
                .contains("clear text")
        );
        assert!("webhook:ftp://hooks.example/x".parse::<Channel>().is_err());
    }

    #[test]
    fn an_unreachable_network_channel_fails_within_the_timeout_without_the_code() {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        let d = Delivery {
            approval_id: "ap_x",
            email: "a@b.example",
            otp: "12345678",
            expires_at: 0,
            url: "http://x/approve/ap_x",
            summary: "s",
        };
        for ch in [
            "webhook:http://127.0.0.1:9/hook",
            "smtp://127.0.0.1:9?from=idmcp@example.com&tls=none",
        ] {
            let started = std::time::Instant::now();
            let err = ch.parse::<Channel>().unwrap().deliver(&d).unwrap_err();
            assert!(
                started.elapsed() < NETWORK_TIMEOUT + Duration::from_secs(1),
                "{ch}: {:?}",
                started.elapsed()
            );
            assert!(!err.contains("12345678"), "{err}");
        }
    }
}
