//! The Riak Protocol Buffers answers phonebook reads, written by hand like the requests in
//! `requests.rs`. Each decodes the fields it knows by Riak's field numbers and skips the rest,
//! so a newer Riak that adds fields still decodes.

use super::requests::Content;
use quick_protobuf::{BytesReader, MessageRead, Result};

/// `RpbGetResp` (code 10) and `RpbPutResp` (code 12): the same first two fields. No content
/// means "not found"; several contents are siblings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectResp {
    /// 1
    pub content: Vec<Content>,
    /// 2: the opaque vector clock, to send back with the next put.
    pub vclock: Option<Vec<u8>>,
}

impl<'a> MessageRead<'a> for ObjectResp {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = ObjectResp::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => m.content.push(r.read_message::<Content>(bytes)?),
                18 => m.vclock = Some(r.read_bytes(bytes)?.to_vec()),
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// `RpbListKeysResp` (code 18) and `RpbIndexResp` (code 26): keys, then (index only) a
/// continuation at 3, and `done` (2 for list keys, 4 for index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeysResp {
    pub keys: Vec<Vec<u8>>,
    pub continuation: Option<Vec<u8>>,
    pub done: bool,
}

impl<'a> MessageRead<'a> for KeysResp {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = KeysResp::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => m.keys.push(r.read_bytes(bytes)?.to_vec()),
                16 | 32 => m.done = r.read_bool(bytes)?,
                26 => m.continuation = Some(r.read_bytes(bytes)?.to_vec()),
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// `RpbErrorResp` (code 0): Riak's answer to any request it could not serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorResp {
    /// 1
    pub errmsg: Vec<u8>,
    /// 2
    pub errcode: u32,
}

impl<'a> MessageRead<'a> for ErrorResp {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = ErrorResp::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => m.errmsg = r.read_bytes(bytes)?.to_vec(),
                16 => m.errcode = r.read_uint32(bytes)?,
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// `RpbGetBucketResp` (code 20): `RpbBucketProps` at field 1, of which phonebook reads
/// `allow_mult` (field 2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketResp {
    /// Unset when the node did not say.
    pub allow_mult: Option<bool>,
}

impl<'a> MessageRead<'a> for BucketResp {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = BucketResp::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => {
                    let props = r.read_bytes(bytes)?;
                    let mut inner = BytesReader::from_bytes(props);
                    while !inner.is_eof() {
                        match inner.next_tag(props)? {
                            16 => m.allow_mult = Some(inner.read_bool(props)?),
                            tag => inner.read_unknown(props, tag)?,
                        }
                    }
                }
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// `RpbGetServerInfoResp` (code 8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// 1: the Erlang node name, e.g. `riak@127.0.0.1`.
    pub node: Option<Vec<u8>>,
    /// 2
    pub server_version: Option<Vec<u8>>,
}

impl<'a> MessageRead<'a> for ServerInfo {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = ServerInfo::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => m.node = Some(r.read_bytes(bytes)?.to_vec()),
                18 => m.server_version = Some(r.read_bytes(bytes)?.to_vec()),
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// Decodes a whole message body.
pub fn decode<'a, M: MessageRead<'a>>(body: &'a [u8]) -> Result<M> {
    M::from_reader(&mut BytesReader::from_bytes(body), body)
}
