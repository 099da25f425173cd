//! Media metrics: the SFU's counters copied into the Prometheus registry every few seconds
//! (bitrates are `rate()` of the byte counters).

use crate::metrics::Metrics;
use liveroom_media::{SfuHandle, SfuStats};
use std::sync::Arc;
use std::time::Duration;

/// How often the SFU is asked for its counters.
pub const MEDIA_METRICS_INTERVAL: Duration = Duration::from_secs(2);

pub fn spawn(sfu: SfuHandle, metrics: Arc<Metrics>) {
    tokio::spawn(async move {
        let r = &metrics.registry;
        let publishers = r.gauge(
            "liveroom_media_peers",
            "WebRTC peers on the SFU, by role.",
            &[("role", "publish")],
        );
        let players = r.gauge(
            "liveroom_media_peers",
            "WebRTC peers on the SFU, by role.",
            &[("role", "play")],
        );
        let counters = [
            r.counter(
                "liveroom_media_received_packets_total",
                "UDP datagrams the SFU received.",
                &[],
            ),
            r.counter(
                "liveroom_media_received_bytes_total",
                "Bytes the SFU received (rate() is the ingress bitrate).",
                &[],
            ),
            r.counter(
                "liveroom_media_sent_packets_total",
                "UDP datagrams the SFU sent.",
                &[],
            ),
            r.counter(
                "liveroom_media_sent_bytes_total",
                "Bytes the SFU sent (rate() is the egress bitrate).",
                &[],
            ),
            r.counter(
                "liveroom_media_forwarded_rtp_total",
                "RTP packets copied from publishers to players.",
                &[],
            ),
            r.counter(
                "liveroom_media_keyframe_requests_total",
                "Key-frame requests (PLI) sent to publishers.",
                &[],
            ),
            r.counter(
                "liveroom_media_dropped_datagrams_total",
                "Datagrams dropped (unknown sender, unparseable, send failure).",
                &[],
            ),
        ];
        let mut last = SfuStats::default();
        let mut tick = tokio::time::interval(MEDIA_METRICS_INTERVAL);
        loop {
            tick.tick().await;
            let Some(s) = sfu.stats().await else { return };
            publishers.set(s.publishers as i64);
            players.set(s.players as i64);
            let now = [
                s.rx_packets,
                s.rx_bytes,
                s.tx_packets,
                s.tx_bytes,
                s.forwarded_rtp,
                s.keyframe_requests,
                s.dropped_datagrams,
            ];
            let before = [
                last.rx_packets,
                last.rx_bytes,
                last.tx_packets,
                last.tx_bytes,
                last.forwarded_rtp,
                last.keyframe_requests,
                last.dropped_datagrams,
            ];
            for ((c, n), b) in counters.iter().zip(now).zip(before) {
                c.add(n.saturating_sub(b));
            }
            last = s;
        }
    });
}
