//! A minimal TURN client codec, without I/O: builds requests with long-term credentials and
//! learns realm and nonce from 401/438 answers. Used by the tests and by native test clients.

use crate::auth;
use crate::stun::{self, Class, Message, MessageBuilder};
use std::net::SocketAddr;

/// Builds TURN/STUN requests for one user and keeps what the server told it (realm, nonce).
pub struct ClientCodec {
    /// The TURN username (REST: `expiry:user`).
    pub username: String,
    /// The TURN password.
    pub password: String,
    realm: Option<String>,
    nonce: Option<String>,
    key: Option<[u8; 16]>,
    counter: u64,
    /// Added to every transaction id so two codecs do not collide.
    salt: u32,
}

impl ClientCodec {
    /// A codec for these credentials; nothing learnt yet.
    pub fn new(username: &str, password: &str) -> ClientCodec {
        let salt = username.bytes().fold(0x811C_9DC5u32, |h, b| {
            (h ^ b as u32).wrapping_mul(0x0100_0193)
        });
        ClientCodec {
            username: username.into(),
            password: password.into(),
            realm: None,
            nonce: None,
            key: None,
            counter: 0,
            salt,
        }
    }

    /// A new transaction id, unique per codec.
    pub fn txid(&mut self) -> [u8; 12] {
        self.counter += 1;
        let mut t = [0u8; 12];
        t[..4].copy_from_slice(&self.salt.to_be_bytes());
        t[4..].copy_from_slice(&self.counter.to_be_bytes());
        t
    }

    /// The long-term key once a realm is known.
    pub fn key(&self) -> Option<[u8; 16]> {
        self.key
    }

    /// Builds a request; `attrs` adds the method's attributes. Credentials are added once a
    /// realm and nonce were learned (the first Allocate goes without, as browsers do).
    pub fn request(
        &mut self,
        method: u16,
        attrs: impl FnOnce(MessageBuilder) -> MessageBuilder,
    ) -> ([u8; 12], Vec<u8>) {
        let txid = self.txid();
        let mut b = attrs(MessageBuilder::new(method, Class::Request, txid));
        if let (Some(realm), Some(nonce)) = (&self.realm, &self.nonce) {
            b = b
                .attr(stun::ATTR_USERNAME, self.username.as_bytes())
                .attr(stun::ATTR_REALM, realm.as_bytes())
                .attr(stun::ATTR_NONCE, nonce.as_bytes());
        }
        (txid, b.finish(self.key.as_ref().map(|k| &k[..]), true))
    }

    /// An Allocate request for a UDP relay; returns its transaction id and bytes.
    pub fn allocate(&mut self) -> ([u8; 12], Vec<u8>) {
        self.request(stun::ALLOCATE, |b| {
            b.attr(
                stun::ATTR_REQUESTED_TRANSPORT,
                &[stun::TRANSPORT_UDP, 0, 0, 0],
            )
        })
    }

    /// A Refresh request with `lifetime` seconds (0 releases the allocation).
    pub fn refresh(&mut self, lifetime: u32) -> ([u8; 12], Vec<u8>) {
        self.request(stun::REFRESH, |b| b.u32(stun::ATTR_LIFETIME, lifetime))
    }

    /// A CreatePermission request for `peer`'s IP.
    pub fn create_permission(&mut self, peer: SocketAddr) -> ([u8; 12], Vec<u8>) {
        self.request(stun::CREATE_PERMISSION, |b| {
            b.xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
        })
    }

    /// A ChannelBind request binding `channel` to `peer`.
    pub fn channel_bind(&mut self, channel: u16, peer: SocketAddr) -> ([u8; 12], Vec<u8>) {
        self.request(stun::CHANNEL_BIND, |b| {
            b.u32(stun::ATTR_CHANNEL_NUMBER, (channel as u32) << 16)
                .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
        })
    }

    /// A Send indication carrying `data` to `peer`.
    pub fn send_indication(&mut self, peer: SocketAddr, data: &[u8]) -> Vec<u8> {
        let txid = self.txid();
        MessageBuilder::new(stun::SEND, Class::Indication, txid)
            .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
            .attr(stun::ATTR_DATA, data)
            .finish(None, false)
    }

    /// A plain STUN Binding request.
    pub fn binding(&mut self) -> ([u8; 12], Vec<u8>) {
        let txid = self.txid();
        (
            txid,
            MessageBuilder::new(stun::BINDING, Class::Request, txid).finish(None, true),
        )
    }

    /// Reads a 401 or 438 answer: learns realm and nonce. True when the request should be
    /// sent again (built anew) with credentials.
    pub fn learn(&mut self, resp: &Message) -> bool {
        let Some((code, _)) = resp.error_code() else {
            return false;
        };
        if code != 401 && code != 438 {
            return false;
        }
        let (Some(realm), Some(nonce)) = (
            resp.get_str(stun::ATTR_REALM),
            resp.get_str(stun::ATTR_NONCE),
        ) else {
            return false;
        };
        let first = self.realm.is_none() || code == 438;
        self.realm = Some(realm.into());
        self.nonce = Some(nonce.into());
        self.key = Some(auth::long_term_key(&self.username, realm, &self.password));
        first
    }

    /// Whether an answer's MESSAGE-INTEGRITY checks with our key.
    pub fn verify(&self, resp: &Message) -> bool {
        self.key.is_some_and(|k| resp.check_integrity(&k))
    }
}
