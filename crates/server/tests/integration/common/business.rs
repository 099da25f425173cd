//! A small real HTTP server playing the business server: it checks the
//! `X-Liveroom-Signature` of every call, records the calls and answers what the test says.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// One call the business server received.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    /// Lower-cased header names.
    pub headers: Vec<(String, String)>,
    pub raw: Vec<u8>,
    pub body: Value,
    /// The signature header matched HMAC-SHA256(secret, raw body).
    pub signed: bool,
}

impl Call {
    pub fn event(&self) -> &str {
        self.body["event"].as_str().unwrap_or("")
    }
}

/// What the business server answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub delay: Duration,
}

impl Answer {
    pub fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn delayed(mut self, d: Duration) -> Answer {
        self.delay = d;
        self
    }
}

type Responder = Arc<dyn Fn(&Call, usize) -> Answer + Send + Sync>;

#[derive(Clone)]
pub struct FakeBusiness {
    pub addr: String,
    /// Serves https with a self-signed certificate for "localhost": its PEM.
    pub cert_pem: Option<String>,
    /// Where `write_ca_file` writes.
    files: Arc<super::TempDir>,
    calls: Arc<Mutex<Vec<Call>>>,
    responder: Arc<Mutex<Responder>>,
    arrived: Arc<Notify>,
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`, computed here independently of the server.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

impl FakeBusiness {
    /// Starts on 127.0.0.1:0; checks signatures with `secret`; answers 200 `{}` until told
    /// otherwise.
    pub async fn start(secret: &str) -> FakeBusiness {
        Self::start_with(secret, false).await
    }

    /// Like `start`, serving https with a certificate for "localhost" made here (rcgen).
    pub async fn start_tls(secret: &str) -> FakeBusiness {
        Self::start_with(secret, true).await
    }

    async fn start_with(secret: &str, tls: bool) -> FakeBusiness {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, StatusCode, Uri};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cert =
            tls.then(|| rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap());
        let fb = FakeBusiness {
            cert_pem: cert.as_ref().map(|c| c.cert.pem()),
            files: Arc::new(super::TempDir::new("fb")),
            addr: listener.local_addr().unwrap().to_string(),
            calls: Arc::default(),
            responder: Arc::new(Mutex::new(Arc::new(|_: &Call, _: usize| {
                Answer::ok(json!({}))
            }))),
            arrived: Arc::default(),
        };
        let me = fb.clone();
        let secret = secret.to_string();
        let handler = move |uri: Uri, headers: HeaderMap, raw: Bytes| {
            let me = me.clone();
            let secret = secret.clone();
            async move {
                let headers: Vec<(String, String)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                let given = headers
                    .iter()
                    .find(|(k, _)| k == "x-liveroom-signature")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let call = Call {
                    path: uri.path().to_string(),
                    signed: given == sign(&secret, &raw),
                    body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
                    raw: raw.to_vec(),
                    headers,
                };
                let n = {
                    let mut calls = me.calls.lock().unwrap();
                    calls.push(call.clone());
                    calls.len()
                };
                me.arrived.notify_waiters();
                let responder = me.responder.lock().unwrap().clone();
                let a = responder(&call, n);
                tokio::time::sleep(a.delay).await;
                (
                    StatusCode::from_u16(a.status).unwrap(),
                    [("content-type", "application/json")],
                    a.body.to_string(),
                )
            }
        };
        let app = axum::Router::new().fallback(axum::routing::any(handler));
        match cert {
            None => {
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            Some(ck) => {
                let (cert_path, key_path) = (fb.files.file("cert.pem"), fb.files.file("key.pem"));
                std::fs::write(&cert_path, ck.cert.pem()).unwrap();
                std::fs::write(&key_path, ck.signing_key.serialize_pem()).unwrap();
                let cfg = liveroom_server::edge::tls::server_config(&cert_path, &key_path).unwrap();
                let listener = liveroom_server::edge::tls::TlsListener::new(listener, cfg).unwrap();
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
        }
        fb
    }

    /// The URL of `path`: `https://localhost:port` when serving https (the name in the certificate).
    pub fn url(&self, path: &str) -> String {
        match self.cert_pem {
            Some(_) => format!(
                "https://localhost:{}{path}",
                self.addr.rsplit(':').next().unwrap()
            ),
            None => format!("http://{}{path}", self.addr),
        }
    }

    /// Writes the certificate (https mode) to a file, for `business.ca_file`.
    pub fn write_ca_file(&self) -> String {
        let path = self.files.file("ca.pem");
        std::fs::write(&path, self.cert_pem.as_ref().expect("https mode")).unwrap();
        path
    }

    /// Sets the answer: `f(call, number of calls so far including this one)`.
    pub fn respond(&self, f: impl Fn(&Call, usize) -> Answer + Send + Sync + 'static) {
        *self.responder.lock().unwrap() = Arc::new(f);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits until `pred` holds for the calls so far (up to `wait`); returns them.
    pub async fn wait_until(&self, wait: Duration, pred: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.arrived.notified();
            let calls = self.calls();
            if pred(&calls) {
                return calls;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let calls = self.calls();
                assert!(
                    pred(&calls),
                    "business server: condition not met in {wait:?}; calls: {:#?}",
                    calls.iter().map(|c| &c.body).collect::<Vec<_>>()
                );
                return calls;
            }
        }
    }

    /// Waits for the first call whose `event` is `event` (and `pred`).
    pub async fn wait_event(&self, event: &str, pred: impl Fn(&Value) -> bool) -> Call {
        let calls = self
            .wait_until(Duration::from_secs(5), |c| {
                c.iter().any(|c| c.event() == event && pred(&c.body))
            })
            .await;
        calls
            .into_iter()
            .find(|c| c.event() == event && pred(&c.body))
            .unwrap()
    }
}

/// The admin secret the ops tests configure.
pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789";

/// An admin API call with `Authorization: Bearer <token>` (none when `token` is None);
/// returns the status and the JSON answer.
pub async fn admin(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    let raw = body.map(|b| b.to_string()).unwrap_or_default();
    let a = super::http(addr, method, path, &headers, raw.as_bytes()).await;
    let v = serde_json::from_str(&a.body)
        .unwrap_or_else(|e| panic!("{method} {path}: answer is not JSON ({e}): {}", a.body));
    (a.status, v)
}

/// An admin call with the right secret.
pub async fn admin_ok(addr: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, v) = admin(addr, method, path, Some(ADMIN_SECRET), body).await;
    assert_eq!(status, 200, "{method} {path}: {v}");
    v
}

/// Scrapes `/metrics` from the server's metrics listener.
pub async fn scrape(s: &super::TestServer) -> String {
    let addr = s
        .server
        .as_ref()
        .unwrap()
        .metrics_addr
        .expect("metrics listener")
        .to_string();
    let a = super::http(&addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(a.status, 200);
    a.body
}

/// The value of one series (`name{labels}` exactly as rendered) in a scrape, if present.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Scrapes until `series` has `want` (metrics follow events asynchronously); the last scrape.
pub async fn wait_metric(s: &super::TestServer, series: &str, want: f64) -> String {
    let mut text = String::new();
    for _ in 0..250 {
        text = scrape(s).await;
        if metric(&text, series) == Some(want) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{series} never became {want}:\n{text}");
}
