//! HTTP-FLV and HLS of any stream: `GET /live/{appid}/{stream_id}.flv`, `.m3u8`, and the
//! playlist's segments `/live/{appid}/{stream_id}/segmentNNNNN.ts`. Outputs start on the first
//! request and stop when unused (see `liveroom_live::flv` and `::hls`). Without the `live`
//! feature, or with `live.enabled = false` or media off, every such URL answers 404 and
//! stream lists carry no URLs. Apps with `signed_live_urls` are served only on signed URLs
//! (`crate::live::sign`; 403 with the reason otherwise).

use crate::config::Config;
use crate::live::engine;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The running live outputs, if any.
#[derive(Default)]
pub struct Outputs {
    inner: Option<Inner>,
}

struct Inner {
    flv: Arc<engine::flv::FlvOutputs>,
    hls: Arc<engine::hls::HlsOutputs>,
}

impl Outputs {
    /// Outputs on when configured, built with `live`, media is on and GStreamer works.
    pub fn start(
        config: &Config,
        sfu: Option<&liveroom_media::SfuHandle>,
    ) -> Result<Outputs, crate::StartError> {
        if !config.live.enabled {
            return Ok(Outputs::default());
        }
        let Some(sfu) = sfu else {
            return Ok(Outputs::default());
        };
        if !engine::BUILT {
            tracing::warn!("live.enabled but this build has no `live` feature: no FLV/HLS outputs");
            return Ok(Outputs::default());
        }
        engine::init().map_err(|e| crate::StartError::Live(e.to_string()))?;
        let root = if config.live.hls_dir.is_empty() {
            let tmp = std::env::temp_dir();
            sweep_stale_hls_roots(&tmp);
            tmp.join(format!("{HLS_ROOT_PREFIX}{}", std::process::id()))
        } else {
            std::path::PathBuf::from(&config.live.hls_dir)
        };
        Ok(Outputs {
            inner: Some(Inner {
                flv: engine::flv::FlvOutputs::new(sfu.clone()),
                hls: engine::hls::HlsOutputs::new(sfu.clone(), root),
            }),
        })
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The stream list's URL prefix for the room settings (`{appid}` filled per room).
    pub fn url_prefix(
        &self,
        config: &Config,
        http_addr: std::net::SocketAddr,
        tls: bool,
    ) -> Option<String> {
        self.enabled().then(|| {
            let base = crate::live::urls::UrlBase::new(
                &config.live.cdn_base_url,
                &config.live.public_url,
                http_addr,
                tls,
            );
            base.prefix("{appid}")
        })
    }
}

/// The default HLS folder is `$TMPDIR/liveroom-hls-<pid>`.
const HLS_ROOT_PREFIX: &str = "liveroom-hls-";

/// Removes the default HLS folders of processes that are gone (killed before they could clean
/// up): `liveroom-hls-<pid>` in `tmp` with no `/proc/<pid>`. Linux only; elsewhere they stay.
fn sweep_stale_hls_roots(tmp: &std::path::Path) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(HLS_ROOT_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        match std::fs::remove_dir_all(e.path()) {
            Ok(()) => {
                tracing::info!(dir = %e.path().display(), "removed the HLS folder of a process that is gone")
            }
            Err(err) => {
                tracing::warn!(dir = %e.path().display(), error = %err, "cannot remove a stale HLS folder")
            }
        }
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `/live/{appid}/{*rest}`: `rest` is `ID.flv`, `ID.m3u8` or `ID/segmentN.ts` (axum has
/// percent-decoded it; an id may itself contain `/`). For an app with `signed_live_urls` the
/// query must carry a valid signature (`crate::live::sign`), checked before any output starts.
pub async fn serve(
    State(state): State<Arc<AppState>>,
    Path((appid, rest)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(appid) = appid.parse::<u64>() else {
        return text(StatusCode::NOT_FOUND, format!("no app {appid:?}\n"));
    };
    let Some(inner) = state.outputs.inner.as_ref() else {
        let why = if engine::BUILT {
            "live outputs are off on this server\n"
        } else {
            "live outputs are not built into this server\n"
        };
        return text(StatusCode::NOT_FOUND, why.into());
    };
    let Some(target) = Target::parse(&rest) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("{rest:?} is not STREAM.flv, STREAM.m3u8 or STREAM/segmentN.ts\n"),
        );
    };
    let pass_on = match authorize(&state, appid, target.stream_id(), query.as_deref()) {
        Ok(q) => q,
        Err((status, why)) => return text(status, why),
    };
    serve_live(inner, appid, target, pass_on).await
}

/// What a `/live/{appid}/…` path asks for.
#[derive(Debug, PartialEq)]
enum Target<'a> {
    Flv(&'a str),
    Playlist(&'a str),
    Segment(&'a str, &'a str),
}

impl<'a> Target<'a> {
    fn parse(rest: &'a str) -> Option<Target<'a>> {
        use liveroom_proto::limits::MAX_ID_BYTES;
        let valid = |id: &&str| !id.is_empty() && id.len() <= MAX_ID_BYTES;
        if let Some(id) = rest.strip_suffix(".flv").filter(valid) {
            return Some(Target::Flv(id));
        }
        if let Some(id) = rest.strip_suffix(".m3u8").filter(valid) {
            return Some(Target::Playlist(id));
        }
        rest.rsplit_once('/')
            .filter(|(id, _)| valid(id))
            .map(|(id, seg)| Target::Segment(id, seg))
    }

    fn stream_id(&self) -> &'a str {
        match self {
            Target::Flv(id) | Target::Playlist(id) | Target::Segment(id, _) => id,
        }
    }
}

/// Checks the signature of an app with `signed_live_urls`: `Ok(Some(query))` to pass on to a
/// playlist's segments, `Ok(None)` for an app with plain URLs, else the 403 (or 404, no such
/// app) to answer, with its text.
fn authorize(
    state: &AppState,
    appid: u64,
    stream_id: &str,
    query: Option<&str>,
) -> Result<Option<String>, (StatusCode, String)> {
    let Some(app) = state.apps.get(appid) else {
        return Err((StatusCode::NOT_FOUND, format!("no app {appid}\n")));
    };
    if !app.signed_live_urls {
        return Ok(None);
    }
    let now = state.hub.clock.now().unix_ms / 1000;
    crate::live::sign::verify(query, &app.server_secret, appid, stream_id, now)
        .map(Some)
        .map_err(|e| {
            tracing::info!(appid, stream = %stream_id, error = %e, "live URL refused");
            (StatusCode::FORBIDDEN, format!("{e}\n"))
        })
}

/// The playlist as served: segment URIs (the lines that are not empty or `#` tags) relative to
/// the playlist's folder, each with `query` (a signed playlist's signature) appended.
fn served_playlist(playlist: &str, stream_id: &str, query: Option<&str>) -> String {
    let prefix = format!("{}/", crate::live::urls::percent_encode(stream_id));
    let mut out = String::with_capacity(playlist.len() + 80 * 8);
    for line in playlist.lines() {
        let uri = !line.is_empty() && !line.starts_with('#');
        if uri {
            out.push_str(&prefix);
        }
        out.push_str(line);
        if let Some(q) = query.filter(|_| uri) {
            out.push('?');
            out.push_str(q);
        }
        out.push('\n');
    }
    out
}

async fn serve_live(
    inner: &Inner,
    appid: u64,
    target: Target<'_>,
    query: Option<String>,
) -> Response {
    use engine::LiveError;
    use liveroom_media::StreamKey;
    let fail = |e: LiveError| {
        let status = match &e {
            LiveError::NotPublished(_) | LiveError::NotFound(_) => StatusCode::NOT_FOUND,
            LiveError::Limit(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        text(status, format!("{e}\n"))
    };
    let key = |id: &str| StreamKey {
        appid,
        stream_id: id.to_string(),
    };
    match target {
        Target::Flv(id) => match inner.flv.subscribe(key(id)).await {
            Ok(rx) => {
                let body = futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
                });
                (
                    [
                        (header::CONTENT_TYPE, "video/x-flv"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    axum::body::Body::from_stream(body),
                )
                    .into_response()
            }
            Err(e) => fail(e),
        },
        Target::Playlist(id) => match inner.hls.playlist(&key(id)).await {
            Ok(p) => (
                [
                    (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                served_playlist(&p, id, query.as_deref()),
            )
                .into_response(),
            Err(e) => fail(e),
        },
        Target::Segment(id, seg) => match inner.hls.segment(&key(id), seg).await {
            Ok(b) => ([(header::CONTENT_TYPE, "video/mp2t")], b).into_response(),
            Err(e) => fail(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_served_playlists() {
        assert_eq!(Target::parse("a/b.flv"), Some(Target::Flv("a/b")));
        assert_eq!(Target::parse("s.m3u8"), Some(Target::Playlist("s")));
        assert_eq!(
            Target::parse("s/segment00001.ts"),
            Some(Target::Segment("s", "segment00001.ts"))
        );
        assert_eq!(Target::parse(".flv"), None);
        assert_eq!(Target::parse("nothing"), None);
        let p = "#EXTM3U\n#EXTINF:2.0,\nsegment00001.ts\n";
        assert_eq!(
            served_playlist(p, "s 1", None),
            "#EXTM3U\n#EXTINF:2.0,\ns%201/segment00001.ts\n"
        );
        assert_eq!(
            served_playlist(p, "s 1", Some("expires=9&sign=ab")),
            "#EXTM3U\n#EXTINF:2.0,\ns%201/segment00001.ts?expires=9&sign=ab\n"
        );
    }

    #[test]
    fn stale_hls_folders_of_dead_processes_are_removed() {
        let tmp = std::env::temp_dir().join(format!("liveroom-sweep-{}", rand::random::<u64>()));
        // Linux pids stay below 2^22: 99999999 is never running.
        let dead = tmp.join(format!("{HLS_ROOT_PREFIX}99999999"));
        let alive = tmp.join(format!("{HLS_ROOT_PREFIX}{}", std::process::id()));
        let other = tmp.join("liveroom-hls-notapid");
        for d in [&dead, &alive, &other] {
            std::fs::create_dir_all(d.join("1").join("stream")).unwrap();
            std::fs::write(d.join("1").join("stream").join("segment0.ts"), b"x").unwrap();
        }
        sweep_stale_hls_roots(&tmp);
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(other.exists());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
