//! Security hardening, part 2 (issue 19): the `console` passcode channel only on the
//! controlling terminal, owner-only file modes in the data dir, and protocol answers.
//! Each test runs the real binary in a new session (`setsid`), so it has no terminal.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_idmcp");

/// The binary in a session of its own: no controlling terminal, as under an IDE or a CI runner.
fn idmcp() -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("IDMCP_OTP_CHANNEL")
        .env_remove("IDMCP_TOKEN")
        .env("RUST_LOG", "info,rmcp=error")
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it detaches the child from this terminal.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    c
}

fn run(c: &mut Command) -> Output {
    let out = c.output().expect("run idmcp");
    assert!(
        out.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Waits for the child to exit (at most `secs`), killing it otherwise.
fn wait_exit(mut child: Child, secs: u64) -> Option<(std::process::ExitStatus, String)> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((status, err));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every file of the data dir is 0600 and the dir itself 0700.
fn assert_owner_only(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "data dir {}", dir.display());
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            n += 1;
            assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
        }
    }
    assert!(n > 0, "no file in {}", dir.display());
}

#[test]
fn console_without_a_terminal_refuses_to_start_naming_the_alternatives() {
    let dir = tempfile::tempdir().unwrap();
    let child = idmcp()
        .args(["serve", "--otp-channel", "console", "--listen"])
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, err) =
        wait_exit(child, 60).expect("serve with console and no terminal kept running");
    assert!(!status.success(), "{err}");
    for want in ["/dev/tty", "file:PATH", "smtp://", "webhook:", "TOTP"] {
        assert!(err.contains(want), "missing {want:?} in: {err}");
    }
}

#[test]
fn existing_data_dir_and_files_are_tightened_to_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init_store(&data);
    // As an older version left them.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for e in std::fs::read_dir(&data).unwrap() {
        std::fs::set_permissions(e.unwrap().path(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    run(idmcp().args(["token", "list", "--data-dir"]).arg(&data));
    assert_owner_only(&data);
}

#[test]
fn default_channel_without_terminal_is_a_0600_file_modes_are_owner_only_and_bad_json_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    init_store(&data);
    let out = run(idmcp()
        .args([
            "token",
            "create",
            "--email",
            "a@modes.example",
            "--data-dir",
        ])
        .arg(&data));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let mut child = idmcp()
        .args(["serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (log, _) = common::drain_stderr(&mut child);
    let deadline = Instant::now() + Duration::from_secs(120);
    while common::http(port, "GET", "/healthz", &[], "", Duration::from_secs(5))
        .map(|r| r.status)
        .unwrap_or(0)
        != 200
    {
        if let Ok(Some(s)) = child.try_wait() {
            panic!("serve exited with {s}: {}", log.lock().unwrap());
        }
        assert!(
            Instant::now() < deadline,
            "no /healthz: {}",
            log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let auth = format!("Bearer {token}");
    let r = common::http(
        port,
        "POST",
        "/mcp",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2025-06-18"),
        ],
        "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ",
        Duration::from_secs(10),
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.status, 400, "unparsable body: {}", r.body);
    assert!(r.body.contains("-32700"), "{}", r.body);
    let log = log.lock().unwrap().clone();
    let file = std::path::absolute(data.join("passcodes.jsonl")).unwrap();
    assert!(
        log.contains(&file.display().to_string()),
        "the log does not say where passcodes go ({}): {log}",
        file.display()
    );
    assert_owner_only(&data);
}

/// A new store in `data` with one company, as `idmcp admin init` makes it.
fn init_store(data: &std::path::Path) {
    run(idmcp()
        .args([
            "admin",
            "init",
            "--company",
            "Modes",
            "--email",
            "a@modes.example",
            "--data-dir",
        ])
        .arg(data));
}
