//! STUN messages (RFC 8489) with the TURN methods and attributes (RFC 8656): parsing,
//! MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT checks, encoding, and ChannelData framing.
//!
//! Parsing borrows the datagram; nothing here allocates except the encoder's output.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The fixed value in every STUN header since RFC 5389.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Length of the STUN header.
pub const HEADER_LEN: usize = 20;
/// XORed into the CRC-32 of the FINGERPRINT attribute.
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;
/// The largest STUN message (the length field is 16 bits).
pub const MAX_MESSAGE_LEN: usize = HEADER_LEN + 0xFFFF;
/// The ChannelData header: channel number and length.
pub const CHANNEL_DATA_HEADER_LEN: usize = 4;
/// Channel numbers a client may bind (RFC 8656 §12; RFC 5766 allowed up to 0x7FFF, which the
/// ChannelData framing still tells apart, so older clients are accepted too).
pub const MIN_CHANNEL: u16 = 0x4000;
/// The highest channel number.
pub const MAX_CHANNEL: u16 = 0x7FFF;

// Methods.
/// The Binding method.
pub const BINDING: u16 = 0x001;
/// The Allocate method.
pub const ALLOCATE: u16 = 0x003;
/// The Refresh method.
pub const REFRESH: u16 = 0x004;
/// The Send (indication) method.
pub const SEND: u16 = 0x006;
/// The Data (indication) method.
pub const DATA: u16 = 0x007;
/// The CreatePermission method.
pub const CREATE_PERMISSION: u16 = 0x008;
/// The ChannelBind method.
pub const CHANNEL_BIND: u16 = 0x009;

// Attributes.
/// The MAPPED-ADDRESS attribute.
pub const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
/// The USERNAME attribute.
pub const ATTR_USERNAME: u16 = 0x0006;
/// The MESSAGE-INTEGRITY attribute.
pub const ATTR_MESSAGE_INTEGRITY: u16 = 0x0008;
/// The ERROR-CODE attribute.
pub const ATTR_ERROR_CODE: u16 = 0x0009;
/// The UNKNOWN-ATTRIBUTES attribute.
pub const ATTR_UNKNOWN_ATTRIBUTES: u16 = 0x000A;
/// The CHANNEL-NUMBER attribute.
pub const ATTR_CHANNEL_NUMBER: u16 = 0x000C;
/// The LIFETIME attribute.
pub const ATTR_LIFETIME: u16 = 0x000D;
/// The XOR-PEER-ADDRESS attribute.
pub const ATTR_XOR_PEER_ADDRESS: u16 = 0x0012;
/// The DATA attribute.
pub const ATTR_DATA: u16 = 0x0013;
/// The REALM attribute.
pub const ATTR_REALM: u16 = 0x0014;
/// The NONCE attribute.
pub const ATTR_NONCE: u16 = 0x0015;
/// The XOR-RELAYED-ADDRESS attribute.
pub const ATTR_XOR_RELAYED_ADDRESS: u16 = 0x0016;
/// The REQUESTED-ADDRESS-FAMILY attribute.
pub const ATTR_REQUESTED_ADDRESS_FAMILY: u16 = 0x0017;
/// The EVEN-PORT attribute.
pub const ATTR_EVEN_PORT: u16 = 0x0018;
/// The REQUESTED-TRANSPORT attribute.
pub const ATTR_REQUESTED_TRANSPORT: u16 = 0x0019;
/// The DONT-FRAGMENT attribute.
pub const ATTR_DONT_FRAGMENT: u16 = 0x001A;
/// The XOR-MAPPED-ADDRESS attribute.
pub const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;
/// The RESERVATION-TOKEN attribute.
pub const ATTR_RESERVATION_TOKEN: u16 = 0x0022;
/// The PRIORITY attribute.
pub const ATTR_PRIORITY: u16 = 0x0024;
/// The USE-CANDIDATE attribute.
pub const ATTR_USE_CANDIDATE: u16 = 0x0025;
/// The SOFTWARE attribute.
pub const ATTR_SOFTWARE: u16 = 0x8022;
/// The FINGERPRINT attribute.
pub const ATTR_FINGERPRINT: u16 = 0x8028;
/// The ICE-CONTROLLED attribute.
pub const ATTR_ICE_CONTROLLED: u16 = 0x8029;
/// The ICE-CONTROLLING attribute.
pub const ATTR_ICE_CONTROLLING: u16 = 0x802A;

/// `REQUESTED-TRANSPORT` protocol number of UDP.
pub const TRANSPORT_UDP: u8 = 17;
/// ADDRESS family value of IPv4.
pub const FAMILY_IPV4: u8 = 0x01;
/// ADDRESS family value of IPv6.
pub const FAMILY_IPV6: u8 = 0x02;

/// The comprehension-required attributes this server understands. A request carrying any other
/// attribute below 0x8000 is answered with 420 and UNKNOWN-ATTRIBUTES. RESERVATION-TOKEN and
/// DONT-FRAGMENT are deliberately not here: the relay does not support them, and RFC 8656 says
/// to treat them as unknown then.
pub const KNOWN_REQUIRED: &[u16] = &[
    ATTR_MAPPED_ADDRESS,
    ATTR_USERNAME,
    ATTR_MESSAGE_INTEGRITY,
    ATTR_ERROR_CODE,
    ATTR_UNKNOWN_ATTRIBUTES,
    ATTR_CHANNEL_NUMBER,
    ATTR_LIFETIME,
    ATTR_XOR_PEER_ADDRESS,
    ATTR_DATA,
    ATTR_REALM,
    ATTR_NONCE,
    ATTR_XOR_RELAYED_ADDRESS,
    ATTR_REQUESTED_ADDRESS_FAMILY,
    ATTR_EVEN_PORT,
    ATTR_REQUESTED_TRANSPORT,
    ATTR_XOR_MAPPED_ADDRESS,
    ATTR_PRIORITY,
    ATTR_USE_CANDIDATE,
];

/// The class of a STUN message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A request, answered with a success or error response.
    Request,
    /// An indication, not answered.
    Indication,
    /// A success response.
    Success,
    /// An error response.
    Error,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::Success => 0b10,
            Class::Error => 0b11,
        }
    }
}

/// The 16-bit message type of a method and class.
pub fn message_type(method: u16, class: Class) -> u16 {
    let c = class.bits();
    ((method & 0x0F80) << 2)
        | ((method & 0x0070) << 1)
        | (method & 0x000F)
        | ((c & 0b10) << 7)
        | ((c & 0b01) << 4)
}

fn split_type(t: u16) -> (u16, Class) {
    let method = ((t & 0x3E00) >> 2) | ((t & 0x00E0) >> 1) | (t & 0x000F);
    let class = match ((t >> 7) & 0b10) | ((t >> 4) & 0b01) {
        0b00 => Class::Request,
        0b01 => Class::Indication,
        0b10 => Class::Success,
        _ => Class::Error,
    };
    (method, class)
}

/// Why bytes are not a valid STUN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than a header.
    TooShort,
    /// Not STUN: wrong leading bits or magic cookie.
    NotStun,
    /// The header's length does not match the bytes (or is not a multiple of 4).
    BadLength,
    /// An attribute runs past the end, or is malformed or misplaced.
    BadAttribute,
    /// The FINGERPRINT does not match.
    BadFingerprint,
}

/// One attribute as it appears in the message.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    /// The attribute type.
    pub typ: u16,
    /// The attribute value, without padding.
    pub value: &'a [u8],
    /// Offset of the attribute's header in the message.
    offset: usize,
}

/// A parsed STUN message borrowing its bytes.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The method, e.g. [`ALLOCATE`].
    pub method: u16,
    /// Request, indication, success or error.
    pub class: Class,
    /// The transaction id.
    pub transaction_id: [u8; 12],
    raw: &'a [u8],
    attrs: Vec<Attr<'a>>,
    integrity: Option<Attr<'a>>,
    has_fingerprint: bool,
}

/// The most attributes one message may carry; more is treated as garbage.
const MAX_ATTRIBUTES: usize = 64;

impl<'a> Message<'a> {
    /// Parses a whole message: `raw` must be exactly one message (a datagram or one TCP frame).
    /// A FINGERPRINT, when present, is checked here.
    pub fn parse(raw: &'a [u8]) -> Result<Message<'a>, ParseError> {
        if raw.len() < HEADER_LEN {
            return Err(ParseError::TooShort);
        }
        if raw[0] & 0xC0 != 0
            || u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]) != MAGIC_COOKIE
        {
            return Err(ParseError::NotStun);
        }
        let len = u16::from_be_bytes([raw[2], raw[3]]) as usize;
        if len & 3 != 0 || HEADER_LEN + len != raw.len() {
            return Err(ParseError::BadLength);
        }
        let (method, class) = split_type(u16::from_be_bytes([raw[0], raw[1]]));
        let mut transaction_id = [0u8; 12];
        transaction_id.copy_from_slice(&raw[8..20]);
        let mut msg = Message {
            method,
            class,
            transaction_id,
            raw,
            attrs: Vec::new(),
            integrity: None,
            has_fingerprint: false,
        };
        let mut off = HEADER_LEN;
        while off < raw.len() {
            if off + 4 > raw.len() {
                return Err(ParseError::BadAttribute);
            }
            let typ = u16::from_be_bytes([raw[off], raw[off + 1]]);
            let alen = u16::from_be_bytes([raw[off + 2], raw[off + 3]]) as usize;
            let start = off + 4;
            let end = start + alen;
            if end > raw.len() {
                return Err(ParseError::BadAttribute);
            }
            let attr = Attr {
                typ,
                value: &raw[start..end],
                offset: off,
            };
            off = start + alen.div_ceil(4) * 4;
            if msg.has_fingerprint {
                // Nothing may follow FINGERPRINT.
                return Err(ParseError::BadAttribute);
            }
            if typ == ATTR_FINGERPRINT {
                if alen != 4 || off != raw.len() {
                    return Err(ParseError::BadAttribute);
                }
                let want = u32::from_be_bytes([
                    attr.value[0],
                    attr.value[1],
                    attr.value[2],
                    attr.value[3],
                ]);
                if fingerprint(raw, attr.offset) != want {
                    return Err(ParseError::BadFingerprint);
                }
                msg.has_fingerprint = true;
                continue;
            }
            if msg.integrity.is_some() {
                // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (except FINGERPRINT) are ignored.
                continue;
            }
            if typ == ATTR_MESSAGE_INTEGRITY {
                if alen != 20 {
                    return Err(ParseError::BadAttribute);
                }
                msg.integrity = Some(attr);
                continue;
            }
            if msg.attrs.len() >= MAX_ATTRIBUTES {
                return Err(ParseError::BadAttribute);
            }
            msg.attrs.push(attr);
        }
        Ok(msg)
    }

    /// The whole message as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The first attribute of this type (MESSAGE-INTEGRITY and FINGERPRINT are not listed).
    pub fn get(&self, typ: u16) -> Option<&'a [u8]> {
        self.attrs.iter().find(|a| a.typ == typ).map(|a| a.value)
    }

    /// Every attribute of this type, in order.
    pub fn get_all(&self, typ: u16) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.attrs
            .iter()
            .filter(move |a| a.typ == typ)
            .map(|a| a.value)
    }

    /// Every attribute before MESSAGE-INTEGRITY, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attr<'a>> + '_ {
        self.attrs.iter().copied()
    }

    /// Whether it carries MESSAGE-INTEGRITY.
    pub fn has_integrity(&self) -> bool {
        self.integrity.is_some()
    }

    /// Whether it carries a (checked) FINGERPRINT.
    pub fn has_fingerprint(&self) -> bool {
        self.has_fingerprint
    }

    /// The first attribute of this type as UTF-8.
    pub fn get_str(&self, typ: u16) -> Option<&'a str> {
        self.get(typ).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first attribute of this type as a 32-bit number (None unless 4 bytes long).
    pub fn get_u32(&self, typ: u16) -> Option<u32> {
        let v = self.get(typ)?;
        (v.len() == 4).then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    }

    /// An XOR-*-ADDRESS attribute's address.
    pub fn get_xor_addr(&self, typ: u16) -> Option<SocketAddr> {
        decode_xor_addr(self.get(typ)?, &self.transaction_id)
    }

    /// `(code, reason)` of an ERROR-CODE attribute.
    pub fn error_code(&self) -> Option<(u16, &'a str)> {
        let v = self.get(ATTR_ERROR_CODE)?;
        if v.len() < 4 {
            return None;
        }
        let code = (v[2] & 0x07) as u16 * 100 + v[3] as u16;
        Some((code, std::str::from_utf8(&v[4..]).unwrap_or("")))
    }

    /// Comprehension-required attributes outside `known`.
    pub fn unknown_required(&self, known: &[u16]) -> Vec<u16> {
        let mut out: Vec<u16> = self
            .attrs
            .iter()
            .map(|a| a.typ)
            .filter(|t| *t < 0x8000 && !known.contains(t))
            .collect();
        out.dedup();
        out
    }

    /// Checks MESSAGE-INTEGRITY with `key` (the long-term key md5(user:realm:pass), or a
    /// short-term password). False when the message has none.
    pub fn check_integrity(&self, key: &[u8]) -> bool {
        let Some(mi) = self.integrity else {
            return false;
        };
        let mut mac = hmac_sha1(key);
        // The length field covers everything up to and including MESSAGE-INTEGRITY.
        let len = (mi.offset + 24 - HEADER_LEN) as u16;
        mac.update(&self.raw[0..2]);
        mac.update(&len.to_be_bytes());
        mac.update(&self.raw[4..mi.offset]);
        mac.verify_slice(mi.value).is_ok()
    }
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    // HMAC takes keys of any length.
    Hmac::<Sha1>::new_from_slice(key).expect("hmac accepts any key length")
}

/// FINGERPRINT value of `raw[..fp_offset]` with the length field covering the fingerprint.
fn fingerprint(raw: &[u8], fp_offset: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    let len = (fp_offset + 8 - HEADER_LEN) as u16;
    h.update(&raw[0..2]);
    h.update(&len.to_be_bytes());
    h.update(&raw[4..fp_offset]);
    h.finalize() ^ FINGERPRINT_XOR
}

/// Decodes an XOR-MAPPED/PEER/RELAYED-ADDRESS value.
pub fn decode_xor_addr(v: &[u8], txid: &[u8; 12]) -> Option<SocketAddr> {
    if v.len() < 4 {
        return None;
    }
    let port = u16::from_be_bytes([v[2], v[3]]) ^ (MAGIC_COOKIE >> 16) as u16;
    let cookie = MAGIC_COOKIE.to_be_bytes();
    match v[1] {
        FAMILY_IPV4 if v.len() == 8 => {
            let mut ip = [0u8; 4];
            for i in 0..4 {
                ip[i] = v[4 + i] ^ cookie[i];
            }
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        FAMILY_IPV6 if v.len() == 20 => {
            let mut ip = [0u8; 16];
            for i in 0..16 {
                let k = if i < 4 { cookie[i] } else { txid[i - 4] };
                ip[i] = v[4 + i] ^ k;
            }
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        _ => None,
    }
}

/// Encodes an XOR-*-ADDRESS value.
pub fn encode_xor_addr(addr: SocketAddr, txid: &[u8; 12]) -> Vec<u8> {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    let mut v = Vec::with_capacity(20);
    v.push(0);
    match addr.ip() {
        IpAddr::V4(ip) => {
            v.push(FAMILY_IPV4);
            v.extend_from_slice(&port.to_be_bytes());
            for (i, b) in ip.octets().iter().enumerate() {
                v.push(b ^ cookie[i]);
            }
        }
        IpAddr::V6(ip) => {
            v.push(FAMILY_IPV6);
            v.extend_from_slice(&port.to_be_bytes());
            for (i, b) in ip.octets().iter().enumerate() {
                let k = if i < 4 { cookie[i] } else { txid[i - 4] };
                v.push(b ^ k);
            }
        }
    }
    v
}

/// The reason phrase this server sends with an error code.
pub fn reason(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        420 => "Unknown Attribute",
        437 => "Allocation Mismatch",
        438 => "Stale Nonce",
        440 => "Address Family not Supported",
        441 => "Wrong Credentials",
        442 => "Unsupported Transport Protocol",
        443 => "Peer Address Family Mismatch",
        486 => "Allocation Quota Reached",
        500 => "Server Error",
        508 => "Insufficient Capacity",
        _ => "Error",
    }
}

/// Builds one STUN message; `finish` appends MESSAGE-INTEGRITY and FINGERPRINT.
pub struct MessageBuilder {
    buf: Vec<u8>,
    txid: [u8; 12],
}

impl MessageBuilder {
    /// Starts a message of this method, class and transaction id.
    pub fn new(method: u16, class: Class, txid: [u8; 12]) -> MessageBuilder {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&message_type(method, class).to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&txid);
        MessageBuilder { buf, txid }
    }

    /// Appends an attribute (padded to 4 bytes).
    pub fn attr(mut self, typ: u16, value: &[u8]) -> Self {
        self.push(typ, value);
        self
    }

    /// Appends an attribute in place (padded to 4 bytes).
    pub fn push(&mut self, typ: u16, value: &[u8]) {
        debug_assert!(value.len() <= 0xFFFF);
        self.buf.extend_from_slice(&typ.to_be_bytes());
        self.buf
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(value);
        let pad = (4 - value.len() % 4) % 4;
        self.buf.extend_from_slice(&[0u8; 3][..pad]);
    }

    /// Appends an XOR-*-ADDRESS attribute of `addr`.
    pub fn xor_addr(mut self, typ: u16, addr: SocketAddr) -> Self {
        let v = encode_xor_addr(addr, &self.txid);
        self.push(typ, &v);
        self
    }

    /// Appends a 32-bit attribute.
    pub fn u32(self, typ: u16, v: u32) -> Self {
        self.attr(typ, &v.to_be_bytes())
    }

    /// Appends ERROR-CODE with `code` and its standard reason phrase.
    pub fn error(self, code: u16) -> Self {
        let r = reason(code);
        let mut v = vec![0, 0, (code / 100) as u8, (code % 100) as u8];
        v.extend_from_slice(r.as_bytes());
        self.attr(ATTR_ERROR_CODE, &v)
    }

    /// Appends UNKNOWN-ATTRIBUTES listing `types`.
    pub fn unknown_attributes(self, types: &[u16]) -> Self {
        let v: Vec<u8> = types.iter().flat_map(|t| t.to_be_bytes()).collect();
        self.attr(ATTR_UNKNOWN_ATTRIBUTES, &v)
    }

    fn set_len(&mut self, extra: usize) {
        let len = (self.buf.len() + extra - HEADER_LEN) as u16;
        self.buf[2..4].copy_from_slice(&len.to_be_bytes());
    }

    /// Ends the message: MESSAGE-INTEGRITY with `key` if given, then FINGERPRINT if asked.
    pub fn finish(mut self, key: Option<&[u8]>, fingerprint: bool) -> Vec<u8> {
        if let Some(key) = key {
            self.set_len(24);
            let mut mac = hmac_sha1(key);
            mac.update(&self.buf);
            let tag = mac.finalize().into_bytes();
            self.push(ATTR_MESSAGE_INTEGRITY, &tag);
        }
        if fingerprint {
            self.set_len(8);
            let fp = crc32fast::hash(&self.buf) ^ FINGERPRINT_XOR;
            self.push(ATTR_FINGERPRINT, &fp.to_be_bytes());
        }
        self.set_len(0);
        self.buf
    }
}

/// A ChannelData message: `(channel, data)`. On UDP the datagram may carry padding after the
/// data; on TCP the caller frames with [`frame_len`].
pub fn parse_channel_data(buf: &[u8]) -> Option<(u16, &[u8])> {
    if buf.len() < CHANNEL_DATA_HEADER_LEN {
        return None;
    }
    let ch = u16::from_be_bytes([buf[0], buf[1]]);
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&ch) || CHANNEL_DATA_HEADER_LEN + len > buf.len() {
        return None;
    }
    Some((
        ch,
        &buf[CHANNEL_DATA_HEADER_LEN..CHANNEL_DATA_HEADER_LEN + len],
    ))
}

/// Encodes a ChannelData message; `pad` rounds it up to a multiple of 4 (required on TCP).
pub fn encode_channel_data(channel: u16, data: &[u8], pad: bool) -> Vec<u8> {
    let padding = if pad { (4 - data.len() % 4) % 4 } else { 0 };
    let mut v = Vec::with_capacity(CHANNEL_DATA_HEADER_LEN + data.len() + padding);
    v.extend_from_slice(&channel.to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v.extend_from_slice(&[0u8; 3][..padding]);
    v
}

/// On a TCP stream: the length of the frame at the start of `buf` (a STUN message, or a
/// ChannelData message with its padding), `Ok(None)` when more bytes are needed to tell, or
/// an error when the stream holds neither (the connection should be closed).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    match buf[0] >> 6 {
        0 => Ok(Some(HEADER_LEN + len)),
        1 => Ok(Some(CHANNEL_DATA_HEADER_LEN + len.div_ceil(4) * 4)),
        _ => Err(ParseError::NotStun),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 5769 test vectors.
    const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

    fn sample_request() -> Vec<u8> {
        hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
             80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
             00 24 00 04 6e 00 01 ff
             80 29 00 08 93 2f f9 b1 51 26 3b 36
             00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
             00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
             80 28 00 04 e5 7a 3b cf")
    }

    fn sample_ipv4_response() -> Vec<u8> {
        hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
             80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
             00 20 00 08 00 01 a1 47 e1 12 a6 43
             00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
             80 28 00 04 c0 7d 4c 96")
    }

    fn sample_ipv6_response() -> Vec<u8> {
        hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
             80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
             00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
             00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
             80 28 00 04 c8 fb 0b 4c")
    }

    fn sample_long_term_request() -> Vec<u8> {
        hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
             00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
             00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
                         53 54 76 79 36 34 73 41
             00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
             00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66")
    }

    #[test]
    fn rfc5769_sample_request() {
        let raw = sample_request();
        let m = Message::parse(&raw).unwrap();
        assert_eq!((m.method, m.class), (BINDING, Class::Request));
        assert_eq!(m.get_str(ATTR_SOFTWARE), Some("STUN test client"));
        assert_eq!(m.get_str(ATTR_USERNAME), Some("evtj:h6vY"));
        assert_eq!(m.get_u32(ATTR_PRIORITY), Some(0x6e0001ff));
        assert!(m.has_fingerprint());
        assert!(m.check_integrity(SHORT_TERM_PASSWORD.as_bytes()));
        assert!(!m.check_integrity(b"wrong"));
        // PRIORITY is known, ICE-CONTROLLED is comprehension-optional.
        assert!(m.unknown_required(KNOWN_REQUIRED).is_empty());
    }

    #[test]
    fn rfc5769_responses() {
        let raw = sample_ipv4_response();
        let m = Message::parse(&raw).unwrap();
        assert_eq!((m.method, m.class), (BINDING, Class::Success));
        assert_eq!(
            m.get_xor_addr(ATTR_XOR_MAPPED_ADDRESS),
            Some("192.0.2.1:32853".parse().unwrap())
        );
        assert!(m.check_integrity(SHORT_TERM_PASSWORD.as_bytes()));
        let raw = sample_ipv6_response();
        let m = Message::parse(&raw).unwrap();
        assert_eq!(
            m.get_xor_addr(ATTR_XOR_MAPPED_ADDRESS),
            Some(
                "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                    .parse()
                    .unwrap()
            )
        );
        assert!(m.check_integrity(SHORT_TERM_PASSWORD.as_bytes()));
    }

    #[test]
    fn rfc5769_long_term() {
        let raw = sample_long_term_request();
        let m = Message::parse(&raw).unwrap();
        let user = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
        assert_eq!(m.get_str(ATTR_USERNAME), Some(user));
        assert_eq!(m.get_str(ATTR_REALM), Some("example.org"));
        assert_eq!(m.get_str(ATTR_NONCE), Some("f//499k954d6OL34oL9FSTvy64sA"));
        assert!(!m.has_fingerprint());
        let key = crate::auth::long_term_key(user, "example.org", "TheMatrIX");
        assert!(m.check_integrity(&key));
        let key = crate::auth::long_term_key(user, "example.org", "TheMatrix");
        assert!(!m.check_integrity(&key));
    }

    #[test]
    fn encoder_reproduces_rfc5769_response() {
        // Re-encoding the IPv4 sample response gives the RFC's bytes, MESSAGE-INTEGRITY and
        // FINGERPRINT included. (The RFC pads SOFTWARE with a space, so it is copied as is.)
        let want = sample_ipv4_response();
        let txid: [u8; 12] = want[8..20].try_into().unwrap();
        let mut b = MessageBuilder::new(BINDING, Class::Success, txid);
        b.buf
            .extend_from_slice(&hex("80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"));
        let got = b
            .xor_addr(ATTR_XOR_MAPPED_ADDRESS, "192.0.2.1:32853".parse().unwrap())
            .finish(Some(SHORT_TERM_PASSWORD.as_bytes()), true);
        assert_eq!(got, want);
    }

    #[test]
    fn type_bits_round_trip() {
        for method in [
            BINDING,
            ALLOCATE,
            REFRESH,
            SEND,
            DATA,
            CREATE_PERMISSION,
            CHANNEL_BIND,
        ] {
            for class in [
                Class::Request,
                Class::Indication,
                Class::Success,
                Class::Error,
            ] {
                assert_eq!(split_type(message_type(method, class)), (method, class));
            }
        }
        assert_eq!(message_type(ALLOCATE, Class::Request), 0x0003);
        assert_eq!(message_type(ALLOCATE, Class::Success), 0x0103);
        assert_eq!(message_type(ALLOCATE, Class::Error), 0x0113);
        assert_eq!(message_type(SEND, Class::Indication), 0x0016);
        assert_eq!(message_type(DATA, Class::Indication), 0x0017);
    }

    #[test]
    fn bad_messages_are_refused() {
        let mut raw = sample_request();
        assert_eq!(
            Message::parse(&raw[..19]).unwrap_err(),
            ParseError::TooShort
        );
        raw[30] ^= 1;
        assert_eq!(
            Message::parse(&raw).unwrap_err(),
            ParseError::BadFingerprint
        );
        let mut raw = sample_request();
        raw[4] = 0;
        assert_eq!(Message::parse(&raw).unwrap_err(), ParseError::NotStun);
        let raw = sample_request();
        assert_eq!(
            Message::parse(&raw[..raw.len() - 4]).unwrap_err(),
            ParseError::BadLength
        );
        // An attribute running past the end.
        let mut raw = MessageBuilder::new(BINDING, Class::Request, [1; 12])
            .attr(ATTR_USERNAME, b"abcd")
            .finish(None, false);
        raw[23] = 40;
        assert_eq!(Message::parse(&raw).unwrap_err(), ParseError::BadAttribute);
    }

    #[test]
    fn error_and_unknown_attributes() {
        let raw = MessageBuilder::new(ALLOCATE, Class::Error, [7; 12])
            .error(438)
            .unknown_attributes(&[ATTR_EVEN_PORT])
            .finish(None, true);
        let m = Message::parse(&raw).unwrap();
        assert_eq!(m.error_code(), Some((438, "Stale Nonce")));
        assert_eq!(m.get(ATTR_UNKNOWN_ATTRIBUTES), Some(&[0x00, 0x18][..]));
        let raw = MessageBuilder::new(ALLOCATE, Class::Request, [7; 12])
            .attr(ATTR_DONT_FRAGMENT, &[])
            .attr(ATTR_REQUESTED_TRANSPORT, &[17, 0, 0, 0])
            .attr(0x8055, b"optional")
            .finish(None, false);
        let m = Message::parse(&raw).unwrap();
        assert_eq!(m.unknown_required(KNOWN_REQUIRED), vec![ATTR_DONT_FRAGMENT]);
    }

    #[test]
    fn xor_addresses_round_trip() {
        let txid = [9u8; 12];
        for a in ["10.1.2.3:4567", "[2001:db8::1]:80", "127.0.0.1:0"] {
            let a: SocketAddr = a.parse().unwrap();
            assert_eq!(decode_xor_addr(&encode_xor_addr(a, &txid), &txid), Some(a));
        }
        assert_eq!(decode_xor_addr(&[0, 1, 0], &txid), None);
        assert_eq!(decode_xor_addr(&[0, 3, 0, 0, 1, 2, 3, 4], &txid), None);
    }

    #[test]
    fn channel_data_framing() {
        let v = encode_channel_data(0x4001, b"hello", true);
        assert_eq!(v.len(), 12);
        assert_eq!(frame_len(&v), Ok(Some(12)));
        assert_eq!(parse_channel_data(&v), Some((0x4001, &b"hello"[..])));
        let v = encode_channel_data(0x4001, b"hello", false);
        assert_eq!(v.len(), 9);
        assert_eq!(parse_channel_data(&v), Some((0x4001, &b"hello"[..])));
        assert_eq!(parse_channel_data(&v[..8]), None);
        assert_eq!(
            parse_channel_data(&encode_channel_data(0x3FFF, b"x", false)),
            None
        );
        let stun = MessageBuilder::new(BINDING, Class::Request, [1; 12]).finish(None, true);
        assert_eq!(frame_len(&stun), Ok(Some(28)));
        assert_eq!(frame_len(&stun[..3]), Ok(None));
        assert!(frame_len(&[0xC0, 0, 0, 0]).is_err());
    }
}
