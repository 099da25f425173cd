//! The core with a fake clock, against real str0m clients in memory (see `harness.rs`): no
//! socket, no sleeping.

mod harness;

use super::KEYFRAME_REQUEST_MIN_INTERVAL;
use crate::{PeerEvent, Role, SfuCmd};
use harness::{key, Net, CONNECT_TIMEOUT};
use std::time::Duration;

/// A publisher of stream "s" and a player of it, both connected.
fn publisher_and_player(net: &mut Net) -> (usize, usize) {
    let publisher = net.open("s", Role::Publish, "alice");
    let player = net.open("s", Role::Play, "bob");
    net.connect(&[publisher, player]);
    (publisher, player)
}

#[test]
fn a_publisher_connects_and_its_stream_is_published_and_counted() {
    let mut net = Net::new();
    assert!(!net.published("s"));
    let publisher = net.open("s", Role::Publish, "alice");
    let peer = net.clients[publisher].peer;
    net.connect(&[publisher]);
    assert!(net.published("s"));
    assert_eq!(net.events_of(peer), [PeerEvent::Connected(peer)]);

    let before = net.stats();
    net.send_video(publisher, 1, 0, true, 1);
    net.send_video(publisher, 2, 3000, false, 2);
    let stats = net.stats();
    assert_eq!(
        (stats.peers, stats.publishers, stats.players),
        (1, 1, 0),
        "{stats:?}"
    );
    assert!(stats.rx_packets >= before.rx_packets + 2, "{stats:?}");
    assert!(stats.rx_bytes > before.rx_bytes);
    assert!(stats.tx_packets > 0, "the handshake was answered");
    assert_eq!(stats.forwarded_rtp, 0, "no player yet");
    assert_eq!(stats.dropped_datagrams, 0);
}

#[test]
fn a_player_receives_the_publishers_rtp_from_a_key_frame_on() {
    let mut net = Net::new();
    let (publisher, player) = publisher_and_player(&mut net);
    // Delta frames before any key frame are held back from a new player.
    net.send_video(publisher, 1, 0, false, 1);
    net.send_video(publisher, 2, 3000, true, 2);
    net.send_video(publisher, 3, 6000, false, 3);
    net.send_video(publisher, 4, 9000, false, 4);
    assert_eq!(net.received_tags(player), [2, 3, 4]);
    let seqs: Vec<u64> = net.clients[player].rtp.iter().map(|p| *p.seq_no).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "contiguous: {seqs:?}"
    );
    assert_eq!(net.stats().forwarded_rtp, 3);
}

#[test]
fn a_player_joining_mid_stream_gets_the_cached_group_of_pictures() {
    let mut net = Net::new();
    let publisher = net.open("s", Role::Publish, "alice");
    net.connect(&[publisher]);
    net.send_video(publisher, 1, 0, false, 1);
    net.send_video(publisher, 2, 3000, true, 2);
    net.send_video(publisher, 3, 6000, false, 3);
    net.send_video(publisher, 4, 9000, false, 4);
    assert_eq!(net.stats().gop_replays, 0);

    let player = net.open("s", Role::Play, "bob");
    net.connect(&[player]);
    // At once, before the publisher sends anything more: the group since the key frame.
    assert_eq!(net.received_tags(player), [2, 3, 4]);
    assert_eq!(net.stats().gop_replays, 1);
    // Then the live packets follow on.
    net.send_video(publisher, 5, 12000, false, 5);
    assert_eq!(net.received_tags(player), [2, 3, 4, 5]);
}

#[test]
fn key_frame_requests_within_the_minimum_interval_give_one_pli() {
    let mut net = Net::new();
    let publisher = net.open("s", Role::Publish, "alice");
    net.connect(&[publisher]);
    net.send_video(publisher, 1, 0, true, 1);
    net.advance(KEYFRAME_REQUEST_MIN_INTERVAL * 2);
    let plis = net.clients[publisher].keyframe_requests.len();
    let asked = net.stats().keyframe_requests;

    // Ten requests (players, outputs) within the interval.
    let step = KEYFRAME_REQUEST_MIN_INTERVAL / 20;
    for _ in 0..10 {
        net.command(SfuCmd::RequestKeyframe { key: key("s") });
        net.advance(step);
    }
    assert_eq!(net.stats().keyframe_requests, asked + 1);
    assert_eq!(net.clients[publisher].keyframe_requests.len(), plis + 1);

    // Once the interval has passed, the next request goes through.
    net.advance(KEYFRAME_REQUEST_MIN_INTERVAL);
    net.command(SfuCmd::RequestKeyframe { key: key("s") });
    assert_eq!(net.stats().keyframe_requests, asked + 2);
    assert_eq!(net.clients[publisher].keyframe_requests.len(), plis + 2);
}

#[test]
fn a_peer_that_never_connects_is_dropped_after_the_connect_timeout() {
    let mut net = Net::new();
    let publisher = net.open_offline("s", Role::Publish, "alice");
    let peer = net.clients[publisher].peer;
    assert!(
        net.cores[0].poll_timeout().is_some(),
        "the core has a deadline"
    );

    net.advance(CONNECT_TIMEOUT - Duration::from_millis(10));
    assert_eq!(net.stats().peers, 1, "still waiting");
    assert!(net.events_of(peer).is_empty());

    net.advance(Duration::from_millis(20));
    assert_eq!(net.events_of(peer), [PeerEvent::Closed(peer)]);
    assert_eq!(net.gone, [peer]);
    assert_eq!(net.stats().peers, 0);
    assert!(!net.published("s"), "its stream is gone");
    assert!(net.cores[0].streams.is_empty() && net.cores[0].by_ufrag.is_empty());
    assert!(net.cores[0].connect_timers.is_empty() && net.cores[0].rtc_timers.is_empty());
}

#[test]
fn a_connected_peer_is_not_dropped_at_the_connect_timeout() {
    let mut net = Net::new();
    publisher_and_player(&mut net);
    net.advance(CONNECT_TIMEOUT + Duration::from_secs(1));
    assert_eq!(net.stats().peers, 2);
    assert!(net.gone.is_empty());
    assert!(
        net.cores[0].connect_timers.is_empty(),
        "no connect deadline once connected"
    );
}

#[test]
fn when_the_publisher_closes_its_stream_is_unpublished_and_players_get_nothing_more() {
    let mut net = Net::new();
    let (publisher, player) = publisher_and_player(&mut net);
    let (pub_peer, play_peer) = (net.clients[publisher].peer, net.clients[player].peer);
    net.send_video(publisher, 1, 0, true, 1);
    assert_eq!(net.received_tags(player), [1]);

    // The publisher hangs up (DTLS close_notify): its session is told, the stream has no source.
    net.clients[publisher].rtc.close().unwrap();
    net.pump();
    assert_eq!(
        net.events_of(pub_peer),
        [PeerEvent::Connected(pub_peer), PeerEvent::Closed(pub_peer)]
    );
    assert_eq!(net.gone, [pub_peer]);
    assert!(!net.published("s"));
    let stats = net.stats();
    assert_eq!((stats.publishers, stats.players), (0, 1));
    // The player stays (its session decides) and gets no Closed of its own.
    assert!(!net
        .events_of(play_peer)
        .contains(&PeerEvent::Closed(play_peer)));

    // When the player goes too, the stream is gone from the core.
    net.command(SfuCmd::Close { peer: play_peer });
    assert_eq!(net.gone, [pub_peer, play_peer]);
    assert!(net.cores[0].streams.is_empty());
    assert_eq!(net.stats().peers, 0);
}

#[test]
fn a_publisher_closed_by_its_session_unpublishes_the_stream() {
    let mut net = Net::new();
    let (publisher, player) = publisher_and_player(&mut net);
    let pub_peer = net.clients[publisher].peer;
    net.send_video(publisher, 1, 0, true, 1);
    net.command(SfuCmd::Close { peer: pub_peer });
    assert!(!net.published("s"));
    assert_eq!(net.gone, [pub_peer]);
    // No Closed for a peer its own session closed.
    assert_eq!(net.events_of(pub_peer), [PeerEvent::Connected(pub_peer)]);
    // What the client still sends is dropped, not forwarded.
    let forwarded = net.stats().forwarded_rtp;
    net.send_video(publisher, 2, 3000, false, 2);
    assert_eq!(net.stats().forwarded_rtp, forwarded);
    assert_eq!(net.received_tags(player), [1]);
}

#[test]
fn a_big_streams_players_are_spread_over_the_workers_and_all_get_every_packet() {
    use crate::core::{home_worker, Core, PLAYERS_BEFORE_SPREAD};
    let mut net = Net::with_workers(2);
    let home = home_worker(&key("s"), 2);
    let publisher = net.open("s", Role::Publish, "alice");
    net.connect(&[publisher]);
    let players: Vec<usize> = (0..PLAYERS_BEFORE_SPREAD + 6)
        .map(|i| net.open("s", Role::Play, &format!("p{i}")))
        .collect();
    net.connect(&players);
    let worker = |net: &Net, i: usize| Core::worker_of(net.clients[i].peer, 2);
    assert_eq!(Core::worker_of(net.clients[publisher].peer, 2), home);
    // The first ones stay home; beyond them, players go where the fewest are: all 6 to the
    // other worker (it has fewer than the home worker's 32).
    assert!(players[..PLAYERS_BEFORE_SPREAD]
        .iter()
        .all(|&i| worker(&net, i) == home));
    let away: Vec<usize> = players
        .iter()
        .copied()
        .filter(|&i| worker(&net, i) != home)
        .collect();
    assert_eq!(away, players[PLAYERS_BEFORE_SPREAD..]);
    assert_eq!(net.cores[home].streams[&key("s")].mirrors, [1 - home]);

    net.send_video(publisher, 1, 0, true, 1);
    net.send_video(publisher, 2, 3000, false, 2);
    net.send_video(publisher, 3, 6000, false, 3);
    for &p in &players {
        assert_eq!(
            net.received_tags(p),
            [1, 2, 3],
            "player {p} (worker {})",
            worker(&net, p)
        );
    }
    let stats = net.stats();
    assert_eq!((stats.publishers, stats.players), (1, players.len()));
    assert_eq!(stats.forwarded_rtp, 3 * players.len() as u64);

    // A player joining on the mirror worker mid-group starts from the group of pictures the
    // mirror kept.
    let late = net.open("s", Role::Play, "late");
    net.connect(&[late]);
    let late_worker = worker(&net, late);
    net.send_video(publisher, 4, 9000, false, 4);
    assert_eq!(
        net.received_tags(late),
        [1, 2, 3, 4],
        "on worker {late_worker}"
    );

    // When the last player on the other worker leaves, its mirror unsubscribes.
    let mut gone: Vec<usize> = away.clone();
    if late_worker != home {
        gone.push(late);
    }
    for i in gone {
        let peer = net.clients[i].peer;
        net.command(SfuCmd::Close { peer });
    }
    assert!(net.cores[1 - home].streams.is_empty());
    assert!(net.cores[home].streams[&key("s")].mirrors.is_empty());
    net.send_video(publisher, 5, 12000, false, 5);
    assert_eq!(net.received_tags(players[0]), [1, 2, 3, 4, 5]);
}
