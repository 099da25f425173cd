//! TLS on the HTTP listener (`http.tls_cert` + `http.tls_key`): https and wss with the same
//! router. Handshakes run on their own tasks (with a deadline), so a slow client never holds
//! up accepting others; finished handshakes are handed to axum through [`TlsListener`].
//! The certificate files are checked for changes at most once a minute, at a handshake, and
//! read again when they changed (renewed certificates need no restart).

use crate::error::TlsError;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

/// How often at most the certificate files are checked for changes.
const RELOAD_CHECK: Duration = Duration::from_secs(60);

/// Reads the PEM certificate chain and private key into a server configuration.
pub fn server_config(cert: &str, key: &str) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let resolver = Reloading::new(cert.into(), key.into(), provider.clone())?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Versions)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

fn load(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let bad_cert = |source| TlsError::Cert {
        path: cert.to_path_buf(),
        source,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(bad_cert)?
        .collect::<Result<_, _>>()
        .map_err(bad_cert)?;
    if certs.is_empty() {
        return Err(TlsError::NoCert {
            path: cert.to_path_buf(),
        });
    }
    let der = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key {
        path: key.to_path_buf(),
        source,
    })?;
    CertifiedKey::from_der(certs, der, provider).map_err(|source| TlsError::Pair {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        source,
    })
}

/// The modification times of both files.
fn stamp(cert: &Path, key: &Path) -> Option<(SystemTime, SystemTime)> {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((m(cert)?, m(key)?))
}

/// The certificate, read again when its files change.
#[derive(Debug)]
struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    key: Arc<CertifiedKey>,
    stamp: Option<(SystemTime, SystemTime)>,
    checked: Instant,
}

impl Reloading {
    fn new(cert: PathBuf, key: PathBuf, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let stamp = stamp(&cert, &key);
        let loaded = load(&cert, &key, &provider)?;
        Ok(Reloading {
            current: Mutex::new(Current {
                key: Arc::new(loaded),
                stamp,
                checked: Instant::now(),
            }),
            cert,
            key,
            provider,
        })
    }

    /// Reads the files again if they changed (checked at most every `RELOAD_CHECK` unless
    /// `now`); a broken new pair is logged and the old certificate kept.
    fn refresh(&self, now: bool) -> Arc<CertifiedKey> {
        let mut cur = crate::sync::lock(&self.current);
        if now || cur.checked.elapsed() >= RELOAD_CHECK {
            cur.checked = Instant::now();
            let s = stamp(&self.cert, &self.key);
            if s.is_some() && s != cur.stamp {
                // Remembered even on failure: the next change of the files tries again.
                cur.stamp = s;
                match load(&self.cert, &self.key, &self.provider) {
                    Ok(k) => {
                        cur.key = Arc::new(k);
                        tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS certificate files changed but do not load; keeping the old one");
                    }
                }
            }
        }
        cur.key.clone()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.refresh(false))
    }
}

/// Accepts TCP connections and yields them once their TLS handshake is done.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, cfg: Arc<rustls::ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(cfg);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    _ = tx.closed() => return,
                    r = tcp.accept() => match r {
                        Ok(c) => c,
                        Err(e) => {
                            // Out of file descriptors and the like: wait a little.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                // Small signalling frames must not wait for Nagle (see lib.rs).
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> CertificateDer<'static> {
        let ck = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
        ck.cert.der().clone()
    }

    #[test]
    fn renewed_files_are_picked_up_and_broken_ones_ignored() {
        let dir = std::env::temp_dir().join(format!("liveroom-tls-unit-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = write_pair(&dir, "a.example");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let r = Reloading::new(dir.join("cert.pem"), dir.join("key.pem"), provider).unwrap();
        assert_eq!(r.refresh(true).cert[0], first);
        std::thread::sleep(Duration::from_millis(20));
        let second = write_pair(&dir, "b.example");
        // Not checked again before the interval…
        assert_eq!(r.refresh(false).cert[0], first);
        // … but a check sees the new files.
        assert_eq!(r.refresh(true).cert[0], second);
        // A half-written renewal keeps the last good pair.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(dir.join("key.pem"), "garbage").unwrap();
        assert_eq!(r.refresh(true).cert[0], second);
        // A key that does not match the certificate is refused at start.
        let other = rcgen::generate_simple_self_signed(vec!["c.example".to_string()]).unwrap();
        std::fs::write(dir.join("key.pem"), other.signing_key.serialize_pem()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let e = Reloading::new(dir.join("cert.pem"), dir.join("key.pem"), provider)
            .unwrap_err()
            .to_string();
        assert!(e.contains("http.tls_key"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
