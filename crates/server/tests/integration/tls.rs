//! TLS on the HTTP listener: https and wss with a certificate the test makes (rcgen).

use crate::common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message;

struct Tls {
    server: TestServer,
    cert: CertificateDer<'static>,
    /// The certificate files, kept while the server runs.
    _files: TempDir,
}

async fn tls_server() -> Tls {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let files = TempDir::new("tls");
    let (cert_path, key_path) = (files.file("cert.pem"), files.file("key.pem"));
    std::fs::write(&cert_path, ck.cert.pem()).unwrap();
    std::fs::write(&key_path, ck.signing_key.serialize_pem()).unwrap();
    let server = TestServer::start(&[
        ("LIVEROOM_HTTP__TLS_CERT", &cert_path),
        ("LIVEROOM_HTTP__TLS_KEY", &key_path),
    ])
    .await;
    Tls {
        server,
        cert: ck.cert.der().clone(),
        _files: files,
    }
}

async fn connect_tls(t: &Tls) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(t.cert.clone()).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(&t.server.addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

/// A GET over TLS; the raw answer.
async fn https_get(t: &Tls, path: &str) -> String {
    let mut s = connect_tls(t).await;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    // Some servers close without close_notify; what was read is the answer.
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).to_string()
}

#[tokio::test]
async fn https_and_wss_share_the_router() {
    let t = tls_server().await;
    let ready: Value =
        serde_json::from_str(&t.server.server.as_ref().unwrap().ready_line()).unwrap();
    assert_eq!(ready["tls"], true);

    let a = https_get(&t, "/livez").await;
    assert!(a.starts_with("HTTP/1.1 200"), "{a}");
    assert!(a.ends_with("ok"), "{a}");
    let a = https_get(&t, "/readyz").await;
    assert!(a.starts_with("HTTP/1.1 200"), "{a}");

    // The room protocol over wss.
    let tls = connect_tls(&t).await;
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", tls)
        .await
        .expect("wss handshake");
    let login = json!({
        "header": {"Protocol": "req", "cmd": "login", "appid": APPID, "seq": 1, "user_id": "",
                   "session_id": "", "room_id": "secure"},
        "body": {"id_name": "alice", "nick_name": "Alice", "role": 1, "token": dev_token("alice"),
                 "version": "test", "room_name": "secure", "user_state_flag": 0,
                 "room_create_flag": 1, "client_type": 3, "third_token": ""}
    });
    ws.send(Message::Text(login.to_string().into()))
        .await
        .unwrap();
    let reply = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a reply")
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(v["header"]["cmd"], "login");
    assert_eq!(v["body"]["err_code"], 0, "{v}");
    assert!(!v["body"]["session_id"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn plain_http_on_the_tls_listener_gets_no_answer() {
    let t = tls_server().await;
    let mut s = TcpStream::connect(&t.server.addr).await.unwrap();
    s.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "served plain HTTP on a TLS listener"
    );
    // The listener keeps serving TLS clients after a bad handshake.
    assert!(https_get(&t, "/livez").await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_missing_or_bad_certificate_stops_the_start() {
    use liveroom_server::config::{Config, Overrides};
    let files = TempDir::new("tls-bad");
    let junk = files.0.join("junk.pem");
    std::fs::write(&junk, "not a pem file").unwrap();
    for (cert, key, what) in [
        (
            "/nonexistent/cert.pem",
            "/nonexistent/key.pem",
            "http.tls_cert",
        ),
        (
            junk.to_str().unwrap(),
            junk.to_str().unwrap(),
            "http.tls_cert",
        ),
    ] {
        let c = Config::load(
            None,
            [
                ("LIVEROOM_HTTP__TLS_CERT".to_string(), cert.to_string()),
                ("LIVEROOM_HTTP__TLS_KEY".to_string(), key.to_string()),
            ]
            .into_iter(),
            &Overrides {
                dev: true,
                http: Some("127.0.0.1:0".into()),
                metrics: Some("127.0.0.1:0".into()),
                rtc: Some("".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let e = match liveroom_server::start(c).await {
            Ok(_) => panic!("started with {cert}"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(what), "{e}");
    }
}
