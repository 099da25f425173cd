//! [`StartError`]: why the server did not start (configuration loading or [`crate::start`]).
//! Every message names the setting or resource at fault, so it says what to fix.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the configuration did not load or the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config file cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not TOML.
    #[error("config file {}: {source}", path.display())]
    ConfigSyntax {
        /// The file.
        path: PathBuf,
        /// Where and why.
        source: toml::de::Error,
    },
    /// A `LIVEROOM_*` variable that is no config key.
    #[error("unknown environment variable {0} (sections take LIVEROOM_SECTION__KEY, e.g. LIVEROOM_HTTP__LISTEN)")]
    UnknownEnv(String),
    /// The layers merged do not fit the configuration's shape (unknown key, wrong type).
    #[error("configuration: {0}")]
    ConfigShape(String),
    /// A value breaks a rule; the message names the key and what it must be.
    #[error("{0}")]
    Invalid(String),
    /// `http.listen` cannot be bound.
    #[error("cannot bind http listener {addr}: {source}")]
    HttpBind {
        /// `http.listen`.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// `metrics.listen` cannot be bound.
    #[error("cannot bind metrics listener {addr}: {source}")]
    MetricsBind {
        /// `metrics.listen`.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// A bound socket has no local address (should not happen).
    #[error(transparent)]
    LocalAddr(std::io::Error),
    /// `http.tls_cert` / `http.tls_key` do not load.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The log collector's folder cannot be made.
    #[error("log collector folder {}: {source}", dir.display())]
    LogCollector {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `rtc.listen` is not an address.
    #[error("rtc.listen {value:?}: {source}")]
    RtcListen {
        /// The value.
        value: String,
        /// Why.
        source: std::net::AddrParseError,
    },
    /// An `rtc.public_ips` entry is not an IP address.
    #[error("rtc.public_ips {value:?}: {source}")]
    RtcPublicIp {
        /// The entry.
        value: String,
        /// Why.
        source: std::net::AddrParseError,
    },
    /// The media UDP socket cannot be bound.
    #[error("cannot start media on {addr}: {source}")]
    Media {
        /// `rtc.listen`.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `turn.listen` is not IP:PORT.
    #[error("turn.listen must be IP:PORT, not {0:?}")]
    TurnListen(String),
    /// The embedded TURN relay cannot be started.
    #[error("cannot start the TURN relay on {addr} (turn.listen): {source}")]
    Turn {
        /// `turn.listen`.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `business.ca_file` does not hold CA certificates.
    #[error("business.ca_file {0}")]
    CaFile(#[source] CaError),
    /// The system's CA bundle (used when `business.ca_file` is empty) does not load.
    #[error(transparent)]
    SystemCa(CaError),
    /// The TLS library refused its default protocol versions (should not happen).
    #[error("tls: {0}")]
    TlsVersions(#[source] rustls::Error),
    /// GStreamer (FLV/HLS outputs, `live.enabled`) does not start.
    #[error("live outputs: {0}")]
    Live(String),
}

/// Why `http.tls_cert` / `http.tls_key` do not load.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file cannot be read or is not PEM.
    #[error("http.tls_cert {}: {source}", path.display())]
    Cert {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("http.tls_cert {}: no certificate in the file", path.display())]
    NoCert {
        /// The file.
        path: PathBuf,
    },
    /// The key file cannot be read or holds no private key.
    #[error("http.tls_key {}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::pki_types::pem::Error,
    },
    /// The key does not suit the certificate (or is of an unsupported kind).
    #[error("http.tls_cert {} / http.tls_key {}: {source}", cert.display(), key.display())]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        source: rustls::Error,
    },
    /// The TLS library refused its default protocol versions (should not happen).
    #[error("tls: {0}")]
    Versions(#[source] rustls::Error),
}

/// Why a CA file gave no certificates.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The file cannot be read or is not PEM.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::pki_types::pem::Error,
    },
    /// The file holds no certificate.
    #[error("{}: no PEM certificates in it", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}
