//! STUN/TURN message parsing as the relay does it on every datagram and TCP byte stream:
//! `Message::parse` and every accessor the core uses (strings, numbers, XOR addresses, error
//! codes, unknown required attributes, MESSAGE-INTEGRITY), ChannelData, and TCP framing
//! (`frame_len`) over the input as a stream. A parsed message rebuilt from its attributes
//! with `MessageBuilder` must parse back to the same attributes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_turn::stun::{self, Message, MessageBuilder};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::parse(data) {
        let _ = msg.get_str(stun::ATTR_USERNAME);
        let _ = msg.get_str(stun::ATTR_REALM);
        let _ = msg.get_str(stun::ATTR_NONCE);
        let _ = msg.get_u32(stun::ATTR_LIFETIME);
        let _ = msg.get_u32(stun::ATTR_CHANNEL_NUMBER);
        let _ = msg.get_xor_addr(stun::ATTR_XOR_PEER_ADDRESS);
        let _ = msg.get_xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS);
        let _ = msg.get_all(stun::ATTR_XOR_PEER_ADDRESS).count();
        let _ = msg.error_code();
        let _ = msg.unknown_required(stun::KNOWN_REQUIRED);
        let _ = msg.check_integrity(b"key");
        let _ = msg.check_integrity(&[0u8; 16]);
        for a in msg.attributes() {
            let _ = stun::decode_xor_addr(a.value, &msg.transaction_id);
        }
        // Round trip through the encoder (when MESSAGE-INTEGRITY and FINGERPRINT still fit).
        if data.len() + 32 <= stun::MAX_MESSAGE_LEN {
            round_trip(&msg);
        }
    }
    if let Some((ch, payload)) = stun::parse_channel_data(data) {
        let again = stun::encode_channel_data(ch, payload, true);
        assert_eq!(stun::parse_channel_data(&again), Some((ch, payload)));
    }
    // The TCP listener's framing over the input as one stream.
    let mut rest = data;
    while let Ok(Some(n)) = stun::frame_len(rest) {
        if n == 0 || n > rest.len() {
            break;
        }
        let (frame, tail) = rest.split_at(n);
        let _ = Message::parse(frame);
        let _ = stun::parse_channel_data(frame);
        rest = tail;
    }
});

fn round_trip(msg: &Message) {
    let mut b = MessageBuilder::new(msg.method, msg.class, msg.transaction_id);
    for a in msg.attributes() {
        b.push(a.typ, a.value);
    }
    let bytes = b.finish(Some(b"k"), true);
    let again = Message::parse(&bytes).expect("a rebuilt message parses");
    assert_eq!(again.method, msg.method);
    assert_eq!(again.class, msg.class);
    assert!(again.check_integrity(b"k"));
    assert!(again
        .attributes()
        .map(|a| (a.typ, a.value))
        .eq(msg.attributes().map(|a| (a.typ, a.value))));
}
