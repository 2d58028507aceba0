//! The `idmcp` command line: `serve` (HTTP or stdio), `token create`, `totp enroll`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use idmcp::app::{App, Clock, Config};
use idmcp::mcp::http::{self, AuthMode};
use idmcp::store::{Db, Store, principals};
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "idmcp",
    version,
    about = "MCP server for an identity platform: read freely, write only with a human's approval"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// Directory of the embedded store.
    #[arg(long, env = "IDMCP_DATA_DIR", default_value = "./.idmcp")]
    data_dir: PathBuf,
    /// PostgreSQL URL instead of the embedded store.
    #[arg(long, env = "IDMCP_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (streamable HTTP by default, or stdio).
    Serve(ServeArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Operator actions.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Authenticator apps (TOTP) as an alternative to the passcode on the approval page.
    Totp {
        #[command(subcommand)]
        command: TotpCommand,
    },
}

#[derive(Subcommand)]
enum TotpCommand {
    /// Create a TOTP secret for a Descoper; prints the otpauth URI and a QR code to scan.
    Enroll {
        #[arg(long)]
        email: String,
        /// Replace an existing enrolment (the old authenticator entry stops working).
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a Descoper's TOTP enrolment.
    Remove {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; prints the first broken record, exits non-zero if any.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// End every session's write window and cancel all pending and approved requests, now.
    RevokeElevations {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create your company, its first admin (a Descoper) and its projects on an empty store
    /// (the alternative to --demo); prints a token for the admin.
    Init {
        /// The company name.
        #[arg(long)]
        company: String,
        /// The company admin's e-mail (passcodes for approvals go to this person).
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long, default_value = "")]
        name: String,
        /// A project to create (repeatable); `name:production` marks the production one.
        #[arg(long = "project", default_values_t = ["production:production".to_owned(), "staging".to_owned()])]
        projects: Vec<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add a Descoper (console user) to the company of an existing one.
    AddDescoper {
        /// The new Descoper's e-mail.
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// An existing Descoper of the same company.
        #[arg(long)]
        colleague: String,
        /// Make the new Descoper a company admin.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on (HTTP).
    #[arg(long, default_value = "127.0.0.1:7337")]
    listen: SocketAddr,
    /// Serve MCP on stdin/stdout; credentials come from IDMCP_TOKEN.
    #[arg(long)]
    stdio: bool,
    /// Seed the demo company "Acme Holdings" on an empty store and print a token for its admin.
    #[arg(long)]
    demo: bool,
    /// Base URL for links shown to humans (when behind a proxy or on another host).
    #[arg(long, env = "IDMCP_PUBLIC_URL")]
    public_url: Option<String>,
    /// Local-only mode: bind every request to this Descoper without a token (loopback only).
    #[arg(long, value_name = "EMAIL")]
    local_principal: Option<String>,
    /// Where one-time passcodes go: `console`, `file:PATH`,
    /// `smtp://user:pass@host:port?from=ADDRESS` (or `smtps://`), or `webhook:https://…`.
    /// Default: `console` when this process has a controlling terminal, otherwise
    /// `file:<data-dir>/passcodes.jsonl` (mode 0600). `console` writes to /dev/tty only.
    #[arg(long, env = "IDMCP_OTP_CHANNEL")]
    otp_channel: Option<idmcp::session::channel::Channel>,
    /// Write-window length in minutes (1 to 15).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=15))]
    write_window_minutes: i64,
    /// An OpenAI-compatible API (base URL, e.g. https://api.openai.com/v1) whose model writes
    /// docs_ask_question's answers from the retrieved passages; the key is read from IDMCP_LLM_KEY.
    #[arg(long, env = "IDMCP_LLM_URL", value_name = "URL")]
    llm_url: Option<String>,
    /// The model to use at --llm-url (required with it).
    #[arg(long, env = "IDMCP_LLM_MODEL", value_name = "NAME")]
    llm_model: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a Descoper; prints only the token.
    Create {
        #[arg(long)]
        email: String,
        /// A label for the token.
        #[arg(long, default_value = "")]
        name: String,
        /// Expire after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token (by its id or the token itself); its session's write window ends.
    Revoke {
        /// The token id (as `token list` shows) or the secret token.
        token: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (ids, owners, state; never secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn now_ms() -> i64 {
    Clock::System.now_ms()
}

fn open_store(args: &StoreArgs) -> Result<Store, String> {
    if let Some(url) = &args.database_url {
        let scheme = url.split(':').next().unwrap_or("");
        return Err(format!(
            "--database-url ({scheme}:…) is not supported by this build: only the embedded store is available; drop --database-url to use --data-dir"
        ));
    }
    let store = Store::open(&args.data_dir).map_err(|e| e.to_string())?;
    tighten_modes(&args.data_dir)?;
    Ok(store)
}

/// The data dir is 0700 and every file in it 0600: new ones through the umask set in `main`,
/// those of an older version (0755/0644) tightened here, saying so.
fn tighten_modes(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let set = |path: &std::path::Path, mode: u32| -> Result<(), String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("cannot restrict {} to {mode:o}: {e}", path.display()))?;
            tracing::warn!(
                "{} was readable by others: now mode {mode:o}",
                path.display()
            );
        }
        Ok(())
    };
    set(dir, 0o700)?;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().map_err(|e| e.to_string())?.is_file() {
            set(&entry.path(), 0o600)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // Every file this process creates (data dir, database, passcode file) is for its owner only.
    // SAFETY: umask only changes this process's file-creation mask; no threads run yet.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rmcp=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    expires_in_days,
                    store,
                },
        } => token_create(&store, &email, &name, expires_in_days),
        Command::Token {
            command: TokenCommand::Revoke { token, store },
        } => token_revoke(&store, &token),
        Command::Token {
            command: TokenCommand::List { store },
        } => token_list(&store),
        Command::Audit {
            command: AuditCommand::Verify { store },
        } => audit_verify(&store),
        Command::Admin {
            command: AdminCommand::RevokeElevations { store },
        } => revoke_elevations(&store),
        Command::Admin {
            command:
                AdminCommand::Init {
                    company,
                    email,
                    name,
                    projects,
                    store,
                },
        } => admin_init(&store, &company, &email, &name, &projects),
        Command::Admin {
            command:
                AdminCommand::AddDescoper {
                    email,
                    name,
                    colleague,
                    admin,
                    store,
                },
        } => add_descoper(&store, &email, &name, &colleague, admin),
        Command::Totp {
            command:
                TotpCommand::Enroll {
                    email,
                    replace,
                    store,
                },
        } => totp_enroll(&store, &email, replace),
        Command::Totp {
            command: TotpCommand::Remove { email, store },
        } => totp_remove(&store, &email),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("idmcp: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn token_create(
    store: &StoreArgs,
    email: &str,
    name: &str,
    days: Option<i64>,
) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let now = now_ms();
    let expires = days.map(|d| now + d * 86_400_000);
    match conn
        .principals()
        .create_token(email, name, expires, now)
        .map_err(|e| e.to_string())?
    {
        Some((_, secret)) => {
            println!("{secret}");
            Ok(())
        }
        None => Err(format!(
            "no Descoper with e-mail {email} in this store (run `idmcp serve --demo` once to create the demo company)"
        )),
    }
}

fn token_revoke(store: &StoreArgs, token: &str) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    match conn
        .principals()
        .revoke_token(token, now_ms())
        .map_err(|e| e.to_string())?
    {
        Some(id) => {
            idmcp::session::approvals::end_session(&conn, &id, now_ms())
                .map_err(|e| e.to_string())?;
            println!(
                "revoked token {id}; its session is read-only and its approvals are cancelled"
            );
            Ok(())
        }
        None => Err(format!(
            "no active token matches `{token}` (give the id from `idmcp token list` or the token itself)"
        )),
    }
}

fn token_list(store: &StoreArgs) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    for t in conn.principals().list_tokens().map_err(|e| e.to_string())? {
        println!("{}", t);
    }
    Ok(())
}

fn audit_verify(store: &StoreArgs) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    match idmcp::journal::verify(&conn).map_err(|e| e.to_string())? {
        Ok(n) => {
            println!("ok: {n} records, hash chain intact");
            Ok(())
        }
        Err((seq, why)) => Err(format!("audit journal broken at record {seq}: {why}")),
    }
}

fn admin_init(
    store: &StoreArgs,
    company: &str,
    email: &str,
    name: &str,
    projects: &[String],
) -> Result<(), String> {
    if !email.contains('@') {
        return Err(format!("--email `{email}` is not an e-mail address"));
    }
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let now = now_ms();
    let existing = conn
        .principals()
        .company_count()
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Err("this store already has a company; `idmcp admin init` only sets up an empty store (use `admin add-descoper` to add people)".into());
    }
    let token = idmcp::store::in_tx(&conn, |c| {
        let cid = c.principals().ensure_company(company, now)?;
        let display = if name.is_empty() { email } else { name };
        c.principals()
            .ensure_descoper(&cid, email, display, true, now)?;
        for (i, p) in projects.iter().enumerate() {
            let (pname, env) = p.split_once(':').unwrap_or((p.as_str(), ""));
            c.principals()
                .ensure_project(&cid, pname, env, &[], now + i as i64)?;
        }
        c.principals().create_token(email, "init", None, now)
    })
    .map_err(|e| e.to_string())?;
    let (_, secret) = token.ok_or("the admin was not created")?;
    eprintln!(
        "created company {company:?} with admin {email} and projects {}",
        projects.join(", ")
    );
    println!("{secret}");
    Ok(())
}

fn add_descoper(
    store: &StoreArgs,
    email: &str,
    name: &str,
    colleague: &str,
    admin: bool,
) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let Some(p) = conn
        .principals()
        .principal_for_email(colleague)
        .map_err(|e| e.to_string())?
    else {
        return Err(format!("no Descoper {colleague} in this store"));
    };
    if conn
        .principals()
        .principal_for_email(email)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!(
            "{email} is already a Descoper (a Descoper belongs to exactly one company)"
        ));
    }
    conn.principals()
        .ensure_descoper(
            &p.company_id,
            email,
            if name.is_empty() { email } else { name },
            admin,
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
    println!("added {email} to {}", p.company_name);
    Ok(())
}

fn revoke_elevations(store: &StoreArgs) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let n = idmcp::session::approvals::revoke_all(&conn, now_ms()).map_err(|e| e.to_string())?;
    let mut e = idmcp::journal::Entry::anonymous(now_ms(), "revoke_all_elevations");
    e.outcome = "ok".into();
    e.detail = serde_json::json!({"cancelledApprovals": n});
    idmcp::store::in_tx(&conn, |c| idmcp::journal::append_in(c, &e)).map_err(|e| e.to_string())?;
    println!("every write window is closed; {n} approval(s) cancelled");
    Ok(())
}

/// The principal for `email`, or an error that says how to get one.
fn descoper(conn: &dyn Db, email: &str) -> Result<principals::Principal, String> {
    conn.principals().principal_for_email(email)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no Descoper with e-mail {email} in this store (run `idmcp serve --demo` once to create the demo company)"))
}

/// An error message for `store::in_tx`, which needs `From<store::Error>`.
struct Msg(String);

impl From<idmcp::store::Error> for Msg {
    fn from(e: idmcp::store::Error) -> Self {
        Msg(e.to_string())
    }
}

impl From<String> for Msg {
    fn from(e: String) -> Self {
        Msg(e)
    }
}

/// Records a TOTP enrolment change in the audit journal (who, never the secret).
fn audit_totp(conn: &dyn Db, p: &principals::Principal, kind: &str) -> Result<(), String> {
    let mut e = idmcp::journal::Entry::anonymous(now_ms(), kind);
    e.company_id = p.company_id.clone();
    e.principal = p.email.clone();
    e.outcome = "ok".into();
    idmcp::journal::append_in(conn, &e).map_err(|e| e.to_string())
}

fn totp_enroll(store: &StoreArgs, email: &str, replace: bool) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let p = descoper(&conn, email)?;
    let enrolment = idmcp::store::in_tx(&conn, |c| {
        let r = idmcp::session::totp::enroll(c, &p.descoper_id, &p.email, replace, now_ms())?;
        audit_totp(c, &p, "totp_enrolled")?;
        Ok::<_, Msg>(r)
    })
    .map_err(|Msg(m)| m)?;
    // This terminal is the enrolment channel: the secret is shown once, here, and nowhere else.
    println!("Scan this QR code with your authenticator app (or add the URI below by hand):\n");
    println!("{}", enrolment.qr);
    println!("{}\n", enrolment.uri);
    println!(
        "On the approval page, a current 6-digit code of the app for {} now works in place of the passcode.",
        p.email
    );
    Ok(())
}

fn totp_remove(store: &StoreArgs, email: &str) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let p = descoper(&conn, email)?;
    let removed = idmcp::store::in_tx(&conn, |c| {
        let removed = idmcp::session::totp::remove(c, &p.descoper_id).map_err(|e| e.to_string())?;
        if removed {
            audit_totp(c, &p, "totp_removed")?;
        }
        Ok::<_, Msg>(removed)
    })
    .map_err(|Msg(m)| m)?;
    if !removed {
        return Err(format!("{email} has no authenticator enrolled"));
    }
    println!("removed the authenticator of {email}");
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), String> {
    // docs_ask_question's optional answer writer: a wrong setting stops start-up, saying how to fix it.
    if let Some(llm) = idmcp::docs::Llm::from_settings(
        args.llm_url.as_deref(),
        args.llm_model.as_deref(),
        std::env::var("IDMCP_LLM_KEY").ok(),
    )? {
        let key = if llm.has_key() {
            ""
        } else {
            " (no IDMCP_LLM_KEY: requests carry no Authorization header)"
        };
        tracing::info!(
            "docs_ask_question answers are written by {} at {}{key}",
            llm.model(),
            llm.origin()
        );
        idmcp::docs::use_llm(llm)?;
    }
    let store = open_store(&args.store)?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    use idmcp::session::channel::{self, Channel};
    let channel = match args.otp_channel.clone() {
        Some(Channel::Console) if !channel::terminal_available() => {
            return Err(channel::no_terminal_message());
        }
        Some(c) => c,
        None if channel::terminal_available() => Channel::Console,
        None => {
            let path = args.store.data_dir.join("passcodes.jsonl");
            let path = std::path::absolute(&path).unwrap_or(path);
            tracing::warn!(
                "no terminal for `console` passcodes: they go to the file {} (mode 0600); beyond local development use --otp-channel smtp://…, webhook:… or an authenticator app (`idmcp totp enroll`)",
                path.display()
            );
            Channel::File(path)
        }
    };
    if !args.stdio && matches!(channel, Channel::Console) {
        tracing::warn!(
            "the `console` passcode channel (this terminal) is for local development only: anyone at this terminal approves writes; use smtp://…, webhook:… or an authenticator app (`idmcp totp enroll`) otherwise"
        );
    }
    let config = Config {
        public_url,
        write_window_secs: args.write_window_minutes * 60,
        channel,
    };
    if args.stdio && matches!(config.channel, Channel::Console) {
        tracing::warn!(
            "with --stdio the MCP client owns this process's terminal, so `console` passcodes may never reach a human: use --otp-channel smtp://…, webhook:… or file:PATH, or enrol an authenticator app (`idmcp totp enroll`); approval pages are served on {}",
            config.public_url
        );
    }
    {
        let conn = store.writer_blocking();
        let reindexed = idmcp::engine::ensure_indexes(&conn)
            .map_err(|e| format!("cannot rebuild the document index: {e}"))?;
        if reindexed > 0 {
            tracing::info!("re-indexed {reindexed} documents for the catalog's lookup keys");
        }
        if args.demo {
            let seeded = idmcp::demo::seed_if_empty(&conn, now_ms(), idmcp::demo::Scale::Full)
                .map_err(|e| format!("cannot seed the demo company: {e}"))?;
            if seeded {
                tracing::info!("seeded the demo company {:?}", idmcp::demo::COMPANY);
            } else {
                tracing::info!("the store already has data; --demo left it unchanged");
            }
            if let Some((_, token)) = conn
                .principals()
                .create_token(idmcp::demo::ADMIN, "demo", None, now_ms())
                .map_err(|e| e.to_string())?
            {
                eprintln!("demo token for {}: {token}", idmcp::demo::ADMIN);
            }
        }
    }
    let local = match &args.local_principal {
        None => None,
        Some(email) => {
            if !args.stdio && !args.listen.ip().is_loopback() {
                return Err(format!(
                    "--local-principal binds every request to one user without a token, so it is refused on {}: listen on a loopback address (127.0.0.1)",
                    args.listen
                ));
            }
            let conn = store.writer_blocking();
            let p = conn
                .principals()
                .principal_for_email(email)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("--local-principal: no Descoper with e-mail {email}"))?;
            tracing::warn!(
                "LOCAL-ONLY MODE: every request acts as {email} without a token; never expose this server beyond this machine"
            );
            Some(p)
        }
    };
    let app = Arc::new(App::new(store, config, Clock::System));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Build the documentation index off the request path, so the first docs call is fast.
    std::thread::spawn(idmcp::docs::warm);
    rt.block_on(async move {
        let (queue, _task) = idmcp::journal::start(app.clone());
        let _ = app.journal.set(queue);
        let result = if args.stdio {
            // The approval page must still be reachable for the human: serve it on loopback.
            let pages = tokio::spawn(serve_pages(app.clone(), args.listen));
            let r = serve_stdio(app.clone(), local).await;
            pages.abort();
            r
        } else {
            serve_http(app.clone(), args.listen, local).await
        };
        // Every queued audit record is committed before the process exits.
        idmcp::journal::flush(&app).await;
        result
    })
}

async fn serve_stdio(app: Arc<App>, local: Option<principals::Principal>) -> Result<(), String> {
    let principal = match local {
        Some(p) => p,
        None => {
            let token = std::env::var("IDMCP_TOKEN").map_err(|_| "--stdio needs IDMCP_TOKEN (create one with `idmcp token create --email <you>`) or --local-principal".to_owned())?;
            let conn = app.store.reader().await;
            conn.principals()
                .principal_for_token(token.trim(), app.clock.now_ms())
                .map_err(|e| e.to_string())?
                .ok_or("IDMCP_TOKEN is not a valid, unrevoked, unexpired token for this store")?
        }
    };
    tracing::info!(principal = %principal.email, "serving MCP on stdio");
    let server = idmcp::mcp::Server {
        app,
        fixed_principal: Some(principal),
    };
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| e.to_string())?;
    running.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// With --stdio, the approval pages (and health) on the loopback listener.
async fn serve_pages(app: Arc<App>, listen: SocketAddr) {
    let router = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .merge(idmcp::web::routes(app));
    match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => {
            tracing::info!("approval pages on http://{listen}/approve/<id>");
            use axum::serve::ListenerExt;
            let l = l.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(l, router).await;
        }
        Err(e) => tracing::warn!(
            "cannot serve approval pages on {listen}: {e}; use --listen with a free port"
        ),
    }
}

async fn serve_http(
    app: Arc<App>,
    listen: SocketAddr,
    local: Option<principals::Principal>,
) -> Result<(), String> {
    let ct = CancellationToken::new();
    let auth = match local {
        Some(p) => AuthMode::Local(p),
        None => AuthMode::Tokens,
    };
    let router = http::router(app, auth, listen, ct.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!("listening on http://{listen}/mcp");
    // Answers are written in several chunks: without TCP_NODELAY, Nagle's algorithm holds each
    // response back waiting for the client's delayed ACK (~40 ms per request).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            ct.cancel();
        })
        .await
        .map_err(|e| e.to_string())
}
