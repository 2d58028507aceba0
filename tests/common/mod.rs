//! Support shared by the tests that run the real `idmcp` binary.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::{Arc, Mutex, mpsc};

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
