//! docs_ask_question written by a language model, against a real OpenAI-compatible server
//! started inside the test (axum on 127.0.0.1:0, `POST /v1/chat/completions`). The fake server
//! checks what a real one would (the bearer key, the model, the messages) and answers with a
//! canned completion that cites the passages it was sent, plus sentences that must not survive.
//!
//! Through the library (`idmcp::docs::ask_with`): the written answer, its citations mapped to
//! the passages retrieval chose, uncited sentences dropped; the extractive fallback on HTTP 500,
//! on a wrong key and on an answer without citations; no request at all for an off-topic
//! question. Through the binary: `serve --llm-url/--llm-model` with `IDMCP_LLM_KEY`, and the
//! start-up checks of those settings.

mod common;

use std::net::TcpListener as StdListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use idmcp::docs::{self, Llm};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_idmcp");
const KEY: &str = "test-key-123";
const MODEL: &str = "test-model";
/// A question the docs answer from more than one passage.
const QUESTION: &str = "How do I validate a session JWT in Go?";

/// What the fake server answers.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// A completion citing passages 2 and 1, with an uncited sentence and a made-up citation.
    Cite,
    /// HTTP 500 with an OpenAI-style error.
    Fail,
    /// A completion with no citation markers at all.
    Uncited,
}

/// One request the fake server received: its Authorization header and JSON body.
#[derive(Clone, Debug)]
struct Seen {
    auth: Option<String>,
    body: Value,
}

#[derive(Clone)]
struct Fake {
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// `[n] Title — Section (link)` headers of the passages in a user message: (n, link).
fn passage_links(user: &str) -> Vec<(usize, String)> {
    user.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (n, rest) = rest.split_once("] ")?;
            let n: usize = n.parse().ok()?;
            let link = rest.rsplit_once(" (")?.1.strip_suffix(')')?;
            rest.contains(" — ").then(|| (n, link.to_owned()))
        })
        .collect()
}

fn openai_error(status: StatusCode, message: String) -> (StatusCode, axum::Json<Value>) {
    (
        status,
        axum::Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
    )
}

fn completion(content: &str) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::OK,
        axum::Json(json!({
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140}
        })),
    )
}

/// `POST /v1/chat/completions` as an OpenAI-compatible server checks and answers it.
async fn completions(
    State(fake): State<Fake>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return openai_error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")),
    };
    fake.seen.lock().unwrap().push(Seen {
        auth: auth.clone(),
        body: body.clone(),
    });
    if auth.as_deref() != Some(&format!("Bearer {KEY}")) {
        // as OpenAI does, the message quotes the key it was given
        let given = auth.unwrap_or_default();
        return openai_error(
            StatusCode::UNAUTHORIZED,
            format!(
                "Incorrect API key provided: {}",
                given.trim_start_matches("Bearer ")
            ),
        );
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/json".into(),
        );
    }
    if body["model"] != json!(MODEL) {
        return openai_error(
            StatusCode::NOT_FOUND,
            format!("The model {} does not exist", body["model"]),
        );
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let roles: Vec<&str> = messages.iter().filter_map(|m| m["role"].as_str()).collect();
    if roles != ["system", "user"] || messages.iter().any(|m| !m["content"].is_string()) {
        return openai_error(
            StatusCode::BAD_REQUEST,
            format!("expected a system and a user message, got {roles:?}"),
        );
    }
    let user = messages[1]["content"].as_str().unwrap();
    let passages = passage_links(user);
    if passages.len() < 2 {
        return openai_error(
            StatusCode::BAD_REQUEST,
            format!("expected at least 2 numbered passages in {user:?}"),
        );
    }
    match fake.behaviour {
        Behaviour::Fail => openai_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request.".into(),
        ),
        Behaviour::Uncited => completion("Validate the token with the SDK. It is easy."),
        Behaviour::Cite => completion(
            "The second passage answers this directly [2]. This sentence cites nothing. The first passage adds the detail. [1]\n\n\
             - A claim with a made-up source [9].",
        ),
    }
}

/// Starts the fake server; returns its base URL (`http://127.0.0.1:PORT/v1`) and its log.
async fn start_fake(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(Fake {
            behaviour,
            seen: seen.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}/v1"), seen)
}

fn llm(base: &str, key: &str) -> Llm {
    Llm::new(base, MODEL, Some(key.to_owned())).expect("a loopback http URL is accepted")
}

async fn ask(llm: &Llm, question: &str) -> Value {
    serde_json::to_value(docs::ask_with(Some(llm), question).await).unwrap()
}

/// The links of the passages retrieval chooses for `question`, best first.
fn retrieved_links(question: &str) -> Vec<String> {
    let ix = docs::index();
    docs::answer::retrieve(ix, question)
        .chosen
        .iter()
        .map(|h| ix.passages[h.pid].link.clone())
        .collect()
}

#[tokio::test]
async fn the_model_writes_a_cited_answer_from_the_retrieved_passages() {
    let (base, seen) = start_fake(Behaviour::Cite).await;
    let a = ask(&llm(&base, KEY), QUESTION).await;
    assert_eq!(a["mode"], json!("llm"), "{a:#}");
    assert_eq!(a["model"], json!(MODEL));
    assert_eq!(a["covered"], json!(true));
    assert!(a.get("llmError").is_none(), "{a:#}");

    // the request: one, with the passages retrieval chose (in that order) and the question
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let user = seen[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let system = seen[0].body["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains(QUESTION), "{user}");
    assert!(
        system.contains("[1]") && system.contains("only"),
        "{system}"
    );
    let links = retrieved_links(QUESTION);
    let sent: Vec<String> = passage_links(&user).into_iter().map(|(_, l)| l).collect();
    assert_eq!(sent, links, "the passages sent are those retrieval chose");
    // each passage's text is in the prompt, not just its title
    let ix = docs::index();
    for h in docs::answer::retrieve(ix, QUESTION).chosen {
        let first = &ix.sentences[h.pid][0].text;
        assert!(
            user.contains(first.as_str()),
            "{first:?} missing from the prompt"
        );
    }

    // [2] then [1] in the reply: renumbered in order of use, mapped to those passages
    let cited: Vec<&str> = a["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["link"].as_str().unwrap())
        .collect();
    assert_eq!(cited, [links[1].as_str(), links[0].as_str()], "{a:#}");
    let text = a["answer"].as_str().unwrap();
    assert!(
        text.starts_with(
            "The second passage answers this directly. [1] The first passage adds the detail. [2]"
        ),
        "{text}"
    );
    assert!(
        !text.contains("cites nothing"),
        "uncited sentence kept: {text}"
    );
    assert!(
        !text.contains("made-up"),
        "sentence citing a passage that was not sent kept: {text}"
    );
    assert_eq!(a["uncitedDropped"], json!(2), "{a:#}");
    assert!(text.contains("Sources:\n[1] "), "{text}");
    // a how-to question still shows the cited passage's code, cited
    if text.contains("```") {
        assert!(
            text.contains("From [1]:") || text.contains("From [2]:"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_failing_model_gives_the_extractive_answer_and_says_why() {
    let (base, seen) = start_fake(Behaviour::Fail).await;
    let a = ask(&llm(&base, KEY), QUESTION).await;
    assert_eq!(a["mode"], json!("extractive"), "{a:#}");
    let err = a["llmError"].as_str().expect("llmError");
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(a.get("model").is_none());
    assert_eq!(seen.lock().unwrap().len(), 1);
    // the fallback is the extractive answer itself
    let extractive = docs::ask(QUESTION);
    assert_eq!(a["answer"], json!(extractive.answer));
    assert_eq!(a["covered"], json!(true));
}

#[tokio::test]
async fn a_wrong_key_falls_back_without_showing_the_key() {
    let (base, seen) = start_fake(Behaviour::Cite).await;
    let wrong = "sk-wrong-secret-987";
    let a = ask(&llm(&base, wrong), QUESTION).await;
    assert_eq!(a["mode"], json!("extractive"), "{a:#}");
    let err = a["llmError"].as_str().expect("llmError");
    assert!(
        err.contains("401") && err.contains("IDMCP_LLM_KEY"),
        "{err}"
    );
    assert!(!a.to_string().contains(wrong), "the key leaked: {a}");
    assert_eq!(
        seen.lock().unwrap()[0].auth.as_deref(),
        Some(format!("Bearer {wrong}").as_str())
    );
}

#[tokio::test]
async fn an_answer_without_citations_is_not_used() {
    let (base, _seen) = start_fake(Behaviour::Uncited).await;
    let a = ask(&llm(&base, KEY), QUESTION).await;
    assert_eq!(a["mode"], json!("extractive"), "{a:#}");
    assert!(
        a["llmError"].as_str().unwrap().contains("cited none"),
        "{a:#}"
    );
    assert!(!a["answer"].as_str().unwrap().contains("It is easy"));
}

#[tokio::test]
async fn an_off_topic_question_is_not_covered_and_the_model_is_not_asked() {
    let (base, seen) = start_fake(Behaviour::Cite).await;
    let a = ask(&llm(&base, KEY), "What is the capital of France?").await;
    assert_eq!(a["covered"], json!(false), "{a:#}");
    assert_eq!(a["citations"], json!([]));
    assert!(a["answer"].as_str().unwrap().contains("does not cover"));
    assert!(a.get("llmError").is_none(), "{a:#}");
    assert_eq!(
        seen.lock().unwrap().len(),
        0,
        "the model was asked about an off-topic question"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_falls_back_quickly() {
    // a port nothing listens on: connection refused, well within the timeout
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Instant::now();
    let a = ask(&llm(&format!("http://127.0.0.1:{port}/v1"), KEY), QUESTION).await;
    assert_eq!(a["mode"], json!("extractive"), "{a:#}");
    assert!(
        a["llmError"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{a:#}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

// ---------------------------------------------------------------------------------------------
// The binary: flags, environment and the tool call path

fn idmcp() -> Command {
    let mut c = Command::new(BIN);
    for v in [
        "IDMCP_LLM_URL",
        "IDMCP_LLM_MODEL",
        "IDMCP_LLM_KEY",
        "IDMCP_TOKEN",
        "IDMCP_PUBLIC_URL",
    ] {
        c.env_remove(v);
    }
    c.env("RUST_LOG", "info,rmcp=error");
    c
}

#[test]
fn serve_refuses_llm_settings_it_cannot_use_and_says_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[(&str, &str)], &str); 4] = [
        (
            &["--llm-url", "http://llm.example/v1", "--llm-model", "m"],
            &[],
            "use https://",
        ),
        (&["--llm-url", "https://llm.example/v1"], &[], "--llm-model"),
        (&[], &[("IDMCP_LLM_MODEL", "m")], "--llm-url"),
        (
            &[],
            &[("IDMCP_LLM_URL", "llm.example"), ("IDMCP_LLM_MODEL", "m")],
            "base URL",
        ),
    ];
    for (args, env, want) in cases {
        let out = idmcp()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?} started");
        assert!(
            stderr.contains(want),
            "{args:?} {env:?}: want {want:?} in {stderr}"
        );
    }
}

fn mcp_call(port: u16, token: &str, tool: &str, arguments: Value) -> Value {
    common::tools_call(port, token, tool, arguments, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_writes_answers_with_the_configured_model() {
    let (base, seen) = start_fake(Behaviour::Cite).await;
    let dir = tempfile::tempdir().unwrap();
    let out = idmcp()
        .args([
            "admin",
            "init",
            "--company",
            "Docs Co",
            "--email",
            "admin@docs.example",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let dir_path = dir.path().to_owned();
    let base_for_server = base.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut last = String::new();
        for _ in 0..3 {
            let port = StdListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = idmcp()
                .args([
                    "serve",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--data-dir",
                ])
                .arg(&dir_path)
                .args(["--llm-url", &base_for_server])
                .env("IDMCP_LLM_MODEL", MODEL)
                .env("IDMCP_LLM_KEY", KEY)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (log, _tokens) = common::drain_stderr(&mut child);
            let deadline = Instant::now() + Duration::from_secs(120);
            let up = loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("exited with {status}: {}", log.lock().unwrap());
                    break false;
                }
                if common::http(port, "GET", "/healthz", &[], "", Duration::from_secs(5))
                    .is_ok_and(|r| r.status == 200)
                {
                    break true;
                }
                assert!(
                    Instant::now() < deadline,
                    "/healthz never answered: {}",
                    log.lock().unwrap()
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            if !up {
                continue;
            }
            let r = mcp_call(
                port,
                &token,
                "docs_ask_question",
                json!({"question": QUESTION}),
            );
            let _ = child.kill();
            let _ = child.wait();
            let log = log.lock().unwrap().clone();
            return (r, log);
        }
        panic!("idmcp serve did not start: {last}");
    })
    .await
    .unwrap();
    let (r, log) = result;
    let sc = &r["structuredContent"];
    assert_eq!(sc["mode"], json!("llm"), "{r:#}\nserver log:\n{log}");
    assert_eq!(sc["model"], json!(MODEL));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(
        log.contains("docs_ask_question answers are written by test-model at http://127.0.0.1:"),
        "{log}"
    );
    assert!(!log.contains(KEY), "the key is in the server's log:\n{log}");
    // the text content is the written answer
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("The second passage answers this directly. [1]"),
        "{text}"
    );
}
