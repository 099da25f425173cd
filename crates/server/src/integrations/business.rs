//! Calls to the business server (relay messages, third-party auth, webhooks), over `http://`
//! or `https://` (certificates checked against `business.ca_file` or the system's CA bundle).
//! Bodies are JSON, signed with the app's server secret:
//! `X-Liveroom-Signature: sha256=<hex HMAC-SHA256(server_secret, body)>`.

use crate::error::{CaError, StartError};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use sha2::Sha256;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "x-liveroom-signature";
/// Largest answer read from the business server.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Where the system's CA bundle is looked for when `business.ca_file` is empty (Debian and
/// Ubuntu, Fedora and RHEL, Alpine and others).
pub const SYSTEM_CA_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

#[derive(Clone)]
pub struct BusinessClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Where the trusted CA certificates came from (for messages), or None when there are none.
    roots_from: Option<String>,
}

pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Why a call to the business server failed (logged, and passed on to clients as the detail
/// of a relay or third-party auth failure).
#[derive(Debug, thiserror::Error)]
pub enum BusinessError {
    /// The configured URL is not a valid request target.
    #[error("bad url {url}: {source}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        source: hyper::http::Error,
    },
    /// Connecting or sending failed; `chain` is the error with its causes.
    #[error("request failed: {chain}{}", if *no_ca { " (no CA certificates: set business.ca_file)" } else { "" })]
    Request {
        /// The error and its causes.
        chain: String,
        /// An https URL while no CA certificates are trusted.
        no_ca: bool,
    },
    /// The answer broke off or exceeded `MAX_ANSWER_BYTES`.
    #[error("reading answer: {0}")]
    ReadAnswer(String),
    /// No complete answer within the timeout.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The business server answered with a status outside 2xx.
    #[error("business server answered HTTP {0}")]
    Status(u16),
}

/// The CA certificates of a PEM file.
fn read_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaError> {
    let read = |source| CaError::Read {
        path: path.to_path_buf(),
        source,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    if certs.is_empty() {
        return Err(CaError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

impl BusinessClient {
    /// A client trusting the CA certificates of `ca_file`, or of the system's bundle when it is
    /// empty. A `ca_file` that cannot be read is an error; a missing system bundle is not (plain
    /// `http://` still works, and `https://` calls fail with a message that says why).
    pub fn new(ca_file: &str) -> Result<Self, StartError> {
        let (certs, roots_from) = if ca_file.is_empty() {
            match SYSTEM_CA_BUNDLES.iter().map(Path::new).find(|p| p.exists()) {
                Some(p) => (
                    read_roots(p).map_err(StartError::SystemCa)?,
                    Some(p.display().to_string()),
                ),
                None => (Vec::new(), None),
            }
        } else {
            let certs = read_roots(Path::new(ca_file)).map_err(StartError::CaFile)?;
            (certs, Some(ca_file.to_string()))
        };
        let mut roots = rustls::RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(certs);
        let roots_from = roots_from.filter(|_| added > 0);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(StartError::TlsVersions)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(BusinessClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
            roots_from,
        })
    }

    /// Where the trusted CA certificates come from; None when there are none (https fails).
    pub fn roots_from(&self) -> Option<&str> {
        self.roots_from.as_deref()
    }

    /// Sends a request of this node's own (to another node of its cluster) and answers the
    /// response with its body still to be read.
    pub async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, String> {
        let https = req.uri().scheme_str() == Some("https");
        self.client.request(req).await.map_err(|e| {
            let mut why = error_chain(&e);
            if https && self.roots_from.is_none() {
                why.push_str(" (no CA certificates: set business.ca_file)");
            }
            why
        })
    }

    /// POSTs signed JSON; returns the status and body of the answer.
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        secret: &str,
        timeout: Duration,
    ) -> Result<(u16, Bytes), BusinessError> {
        let sig = signature(secret, &body);
        let req = hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sig)
            .body(Full::new(Bytes::from(body)))
            .map_err(|source| BusinessError::BadUrl {
                url: url.to_string(),
                source,
            })?;
        let call = async {
            let rsp = self
                .client
                .request(req)
                .await
                .map_err(|e| BusinessError::Request {
                    chain: error_chain(&e),
                    no_ca: self.roots_from.is_none() && url.starts_with("https:"),
                })?;
            let status = rsp.status().as_u16();
            let limited = http_body_util::Limited::new(rsp.into_body(), MAX_ANSWER_BYTES);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| BusinessError::ReadAnswer(e.to_string()))?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| BusinessError::Timeout(timeout))?
    }
}

/// An error with its causes ("client error (Connect): invalid peer certificate: UnknownIssuer").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_hold_certificates() {
        let missing = BusinessClient::new("/nonexistent/ca.pem")
            .err()
            .unwrap()
            .to_string();
        assert!(
            missing.starts_with("business.ca_file /nonexistent/ca.pem"),
            "{missing}"
        );
        let path = std::env::temp_dir().join(format!("liveroom-ca-{}.pem", rand::random::<u64>()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let empty = BusinessClient::new(path.to_str().unwrap())
            .err()
            .unwrap()
            .to_string();
        assert!(empty.contains("no PEM certificates"), "{empty}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn call_errors_say_what_failed() {
        let request = |no_ca| BusinessError::Request {
            chain: "client error (Connect)".into(),
            no_ca,
        };
        assert_eq!(
            request(true).to_string(),
            "request failed: client error (Connect) (no CA certificates: set business.ca_file)"
        );
        assert_eq!(
            request(false).to_string(),
            "request failed: client error (Connect)"
        );
        assert_eq!(
            BusinessError::Timeout(Duration::from_millis(1500)).to_string(),
            "no answer within 1500 ms"
        );
        assert_eq!(
            BusinessError::Status(502).to_string(),
            "business server answered HTTP 502"
        );
    }

    #[test]
    fn without_a_ca_file_the_system_bundle_is_used_when_there_is_one() {
        let c = BusinessClient::new("").unwrap();
        let system = SYSTEM_CA_BUNDLES.iter().find(|p| Path::new(p).exists());
        assert_eq!(c.roots_from().is_some(), system.is_some());
    }
}
