//! The `idmcp` command line: `serve` (HTTP or stdio), `token create`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use idmcp::app::{App, Clock, Config};
use idmcp::mcp::http::{self, AuthMode};
use idmcp::store::{Store, principals};
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "idmcp", version, about = "MCP server for an identity platform: read freely, write only with a human's approval")]
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
    /// Write-window length in minutes (1 to 15).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=15))]
    write_window_minutes: i64,
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
    Store::open(&args.data_dir).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,rmcp=warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Token { command: TokenCommand::Create { email, name, expires_in_days, store } } => token_create(&store, &email, &name, expires_in_days),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("idmcp: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn token_create(store: &StoreArgs, email: &str, name: &str, days: Option<i64>) -> Result<(), String> {
    let store = open_store(store)?;
    let conn = store.writer_blocking();
    let now = now_ms();
    let expires = days.map(|d| now + d * 86_400_000);
    match principals::create_token(&conn, email, name, expires, now).map_err(|e| e.to_string())? {
        Some((_, secret)) => {
            println!("{secret}");
            Ok(())
        }
        None => Err(format!("no Descoper with e-mail {email} in this store (run `idmcp serve --demo` once to create the demo company)")),
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let store = open_store(&args.store)?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
    let config = Config { public_url, write_window_secs: args.write_window_minutes * 60 };
    {
        let conn = store.writer_blocking();
        if args.demo {
            let seeded = idmcp::demo::seed_if_empty(&conn, now_ms(), idmcp::demo::Scale::Full).map_err(|e| format!("cannot seed the demo company: {e}"))?;
            if seeded {
                tracing::info!("seeded the demo company {:?}", idmcp::demo::COMPANY);
            } else {
                tracing::info!("the store already has data; --demo left it unchanged");
            }
            if let Some((_, token)) = principals::create_token(&conn, idmcp::demo::ADMIN, "demo", None, now_ms()).map_err(|e| e.to_string())? {
                eprintln!("demo token for {}: {token}", idmcp::demo::ADMIN);
            }
        }
    }
    let local = match &args.local_principal {
        None => None,
        Some(email) => {
            if !args.stdio && !args.listen.ip().is_loopback() {
                return Err(format!("--local-principal binds every request to one user without a token, so it is refused on {}: listen on a loopback address (127.0.0.1)", args.listen));
            }
            let conn = store.writer_blocking();
            let p = principals::principal_for_email(&conn, email).map_err(|e| e.to_string())?.ok_or_else(|| format!("--local-principal: no Descoper with e-mail {email}"))?;
            tracing::warn!("LOCAL-ONLY MODE: every request acts as {email} without a token; never expose this server beyond this machine");
            Some(p)
        }
    };
    let app = Arc::new(App { store, config, clock: Clock::System });
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        if args.stdio {
            serve_stdio(app, local).await
        } else {
            serve_http(app, args.listen, local).await
        }
    })
}

async fn serve_stdio(app: Arc<App>, local: Option<principals::Principal>) -> Result<(), String> {
    let principal = match local {
        Some(p) => p,
        None => {
            let token = std::env::var("IDMCP_TOKEN").map_err(|_| "--stdio needs IDMCP_TOKEN (create one with `idmcp token create --email <you>`) or --local-principal".to_owned())?;
            let conn = app.store.reader().await;
            principals::principal_for_token(&conn, token.trim(), app.clock.now_ms())
                .map_err(|e| e.to_string())?
                .ok_or("IDMCP_TOKEN is not a valid, unrevoked, unexpired token for this store")?
        }
    };
    tracing::info!(principal = %principal.email, "serving MCP on stdio");
    let server = idmcp::mcp::Server { app, fixed_principal: Some(principal) };
    let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| e.to_string())?;
    running.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn serve_http(app: Arc<App>, listen: SocketAddr, local: Option<principals::Principal>) -> Result<(), String> {
    let ct = CancellationToken::new();
    let auth = match local {
        Some(p) => AuthMode::Local(p),
        None => AuthMode::Tokens,
    };
    let router = http::router(app, auth, listen, ct.clone());
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!("listening on http://{listen}/mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            ct.cancel();
        })
        .await
        .map_err(|e| e.to_string())
}
