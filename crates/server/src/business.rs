//! Calls to the business server (relay messages now; third-party auth and webhooks build on
//! it). Bodies are JSON, signed with the app's server secret:
//! `X-Liveroom-Signature: sha256=<hex HMAC-SHA256(server_secret, body)>`.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;
use std::time::Duration;

pub const SIGNATURE_HEADER: &str = "x-liveroom-signature";
/// Largest answer read from the business server.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct BusinessClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for BusinessClient {
    fn default() -> Self {
        Self::new()
    }
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

impl BusinessClient {
    pub fn new() -> Self {
        BusinessClient {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// POSTs signed JSON; returns the status and body of the answer.
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        secret: &str,
        timeout: Duration,
    ) -> Result<(u16, Bytes), String> {
        let sig = signature(secret, &body);
        let req = hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sig)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad url {url}: {e}"))?;
        let call = async {
            let rsp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = rsp.status().as_u16();
            let limited = http_body_util::Limited::new(rsp.into_body(), MAX_ANSWER_BYTES);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| format!("reading answer: {e}"))?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
    }
}
