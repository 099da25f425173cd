//! Taps and injected sources through the real worker: what an internal source publishes
//! reaches a tap, a late tap starts from the cached key frame, and taps ask for key frames.

use liveroom_media::{InjectPacket, InjectTracks, MediaCodec, SfuConfig, SourceKinds, StreamKey};
use std::sync::Arc;
use std::time::Duration;

fn key(s: &str) -> StreamKey {
    StreamKey {
        appid: 1,
        stream_id: s.into(),
    }
}

/// An H.264 packet: an IDR slice when `idr`, else a non-IDR slice.
fn h264(seq: u16, time: u32, idr: bool) -> InjectPacket {
    let nal = if idr { 0x65 } else { 0x41 };
    InjectPacket {
        video: true,
        seq,
        time,
        marker: true,
        payload: Arc::from(vec![nal, 1, 2, 3]),
    }
}

#[tokio::test]
async fn injected_packets_reach_taps_from_a_key_frame() {
    let sfu = liveroom_media::start(SfuConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        advertise: vec![],
        connect_timeout: Duration::from_secs(5),
        workers: 2,
    })
    .await
    .unwrap();
    let tracks = InjectTracks {
        audio: Some(MediaCodec::Opus),
        video: Some(MediaCodec::H264),
    };
    let (id, mut keyframes) = sfu.inject(key("mix"), tracks).await.unwrap();
    // A second source for the same stream is refused.
    assert!(sfu.inject(key("mix"), tracks).await.is_err());

    let (_tap1, mut rx1, kinds) = sfu.tap(key("mix")).await.unwrap();
    // The tap learns which kinds the source has (consumers then wait for no other).
    assert_eq!(
        kinds,
        SourceKinds {
            audio: true,
            video: true
        }
    );
    // The new tap asks the source for a key frame.
    tokio::time::timeout(Duration::from_secs(2), keyframes.recv())
        .await
        .expect("key frame request")
        .unwrap();
    // Delta frames before any key frame are held back; the key frame and what follows pass.
    assert!(sfu.inject_rtp(id, h264(10, 0, false)));
    assert!(sfu.inject_rtp(id, h264(11, 3000, true)));
    assert!(sfu.inject_rtp(id, h264(12, 6000, false)));
    let first = rx1.recv().await.unwrap();
    assert!(first.keyframe && first.codec == MediaCodec::H264);
    let second = rx1.recv().await.unwrap();
    assert_eq!(second.seq, first.seq + 1);
    assert_eq!(second.time, 6000);

    // A late tap gets the cached group (key frame on) at once.
    let (tap2, mut rx2, _) = sfu.tap(key("mix")).await.unwrap();
    let replay = rx2.recv().await.unwrap();
    assert!(replay.keyframe);
    assert_eq!(replay.seq, first.seq);
    assert_eq!(rx2.recv().await.unwrap().seq, second.seq);

    // Audio passes without waiting for anything.
    assert!(sfu.inject_rtp(
        id,
        InjectPacket {
            video: false,
            seq: 7,
            time: 960,
            marker: false,
            payload: Arc::from(vec![0xf8, 0xff, 0xfe]),
        }
    ));
    let a = rx2.recv().await.unwrap();
    assert_eq!(a.codec, MediaCodec::Opus);

    // An output that cuts segments asks the source for a key frame by the stream's name
    // (after the worker's minimum interval between requests).
    tokio::time::sleep(Duration::from_millis(150)).await;
    while keyframes.try_recv().is_ok() {}
    sfu.request_keyframe(key("mix")).await;
    tokio::time::timeout(Duration::from_secs(2), keyframes.recv())
        .await
        .expect("key frame request by name")
        .unwrap();

    let stats = sfu.stats().await.unwrap();
    assert_eq!((stats.taps, stats.injected), (2, 1));
    sfu.untap(key("mix"), tap2).await;
    sfu.uninject(id).await;
    let stats = sfu.stats().await.unwrap();
    assert_eq!((stats.taps, stats.injected), (1, 0));
}
