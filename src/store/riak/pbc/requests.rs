//! The Riak Protocol Buffers requests phonebook sends (and `Content`, which goes both ways),
//! written by hand from riak_pb's `riak.proto` and `riak_kv.proto` for quick-protobuf: the
//! subset is a dozen messages, and hand-written structs borrow their fields instead of copying
//! them. An unset field is not sent, so a request encodes byte for byte like the captures in
//! `tests/data/riak/pbc.json`. Bodies only: framing is `frame.rs`'s job.

use quick_protobuf::sizeofs::{sizeof_len, sizeof_varint};
use quick_protobuf::{BytesReader, MessageRead, MessageWrite, Result, Writer, WriterBackend};

/// Message codes: the byte after the frame length.
pub mod code {
    pub const ERROR_RESP: u8 = 0;
    pub const PING_REQ: u8 = 1;
    pub const PING_RESP: u8 = 2;
    pub const GET_SERVER_INFO_REQ: u8 = 7;
    pub const GET_SERVER_INFO_RESP: u8 = 8;
    pub const GET_REQ: u8 = 9;
    pub const GET_RESP: u8 = 10;
    pub const PUT_REQ: u8 = 11;
    pub const PUT_RESP: u8 = 12;
    pub const DEL_REQ: u8 = 13;
    pub const DEL_RESP: u8 = 14;
    pub const LIST_KEYS_REQ: u8 = 17;
    pub const LIST_KEYS_RESP: u8 = 18;
    pub const GET_BUCKET_REQ: u8 = 19;
    pub const GET_BUCKET_RESP: u8 = 20;
    pub const INDEX_REQ: u8 = 25;
    pub const INDEX_RESP: u8 = 26;
}

/// One field to encode: its number and value. Requests list their set fields in field order.
enum Field<'a> {
    Bytes(u32, &'a [u8]),
    Varint(u32, u64),
    Message(u32, &'a Content),
}

fn fields_size(fields: &[Field]) -> usize {
    fields
        .iter()
        .map(|f| match f {
            Field::Bytes(n, v) => sizeof_varint(u64::from(n << 3 | 2)) + sizeof_len(v.len()),
            Field::Varint(n, v) => sizeof_varint(u64::from(n << 3)) + sizeof_varint(*v),
            Field::Message(n, m) => sizeof_varint(u64::from(n << 3 | 2)) + sizeof_len(m.get_size()),
        })
        .sum()
}

fn write_fields<W: WriterBackend>(w: &mut Writer<W>, fields: &[Field]) -> Result<()> {
    for field in fields {
        match field {
            Field::Bytes(n, v) => w.write_with_tag(n << 3 | 2, |w| w.write_bytes(v))?,
            Field::Varint(n, v) => w.write_with_tag(n << 3, |w| w.write_varint(*v))?,
            Field::Message(n, m) => w.write_with_tag(n << 3 | 2, |w| w.write_message(*m))?,
        }
    }
    Ok(())
}

/// `RpbContent`: one value with its metadata (a sibling, when there are several).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    /// 1
    pub value: Vec<u8>,
    /// 2
    pub content_type: Option<Vec<u8>>,
    /// 5: the sibling's version tag.
    pub vtag: Option<Vec<u8>>,
    /// 7: seconds since the Unix epoch.
    pub last_mod: Option<u32>,
    /// 8: the microseconds within `last_mod`.
    pub last_mod_usecs: Option<u32>,
    /// 11: a tombstone (the key was deleted).
    pub deleted: bool,
}

impl Content {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![Field::Bytes(1, &self.value)];
        f.extend(self.content_type.as_deref().map(|v| Field::Bytes(2, v)));
        f.extend(self.vtag.as_deref().map(|v| Field::Bytes(5, v)));
        f.extend(self.last_mod.map(|v| Field::Varint(7, v.into())));
        f.extend(self.last_mod_usecs.map(|v| Field::Varint(8, v.into())));
        if self.deleted {
            f.push(Field::Varint(11, 1));
        }
        f
    }
}

impl MessageWrite for Content {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

impl<'a> MessageRead<'a> for Content {
    fn from_reader(r: &mut BytesReader, bytes: &'a [u8]) -> Result<Self> {
        let mut m = Content::default();
        while !r.is_eof() {
            match r.next_tag(bytes)? {
                10 => m.value = r.read_bytes(bytes)?.to_vec(),
                18 => m.content_type = Some(r.read_bytes(bytes)?.to_vec()),
                42 => m.vtag = Some(r.read_bytes(bytes)?.to_vec()),
                56 => m.last_mod = Some(r.read_uint32(bytes)?),
                64 => m.last_mod_usecs = Some(r.read_uint32(bytes)?),
                88 => m.deleted = r.read_bool(bytes)?,
                tag => r.read_unknown(bytes, tag)?,
            }
        }
        Ok(m)
    }
}

/// `RpbGetReq` (code 9).
#[derive(Debug, Default)]
pub struct GetReq<'a> {
    pub bucket: &'a [u8],
    pub key: &'a [u8],
    /// 3 and 4: the read quorum and primary read quorum (a count, or riak_pb's special
    /// values for one, quorum, all); unset means the bucket's.
    pub r: Option<u32>,
    pub pr: Option<u32>,
    /// 5: give up once a majority of replicas said "not found".
    pub basic_quorum: Option<bool>,
    /// 6: whether a replica's "not found" counts toward the read quorum; unset means the
    /// bucket's default (true).
    pub notfound_ok: Option<bool>,
    /// 8: metadata and vclock only, no value.
    pub head: bool,
    /// 9: answer a tombstone's vclock instead of nothing.
    pub deletedvclock: bool,
    /// 10: Riak's own timeout in milliseconds; unset means 60 s.
    pub timeout: Option<u32>,
    /// 13: the bucket type; unset means `default`.
    pub bucket_type: Option<&'a [u8]>,
}

impl MessageWrite for GetReq<'_> {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

impl GetReq<'_> {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![Field::Bytes(1, self.bucket), Field::Bytes(2, self.key)];
        f.extend(self.r.map(|r| Field::Varint(3, r.into())));
        f.extend(self.pr.map(|pr| Field::Varint(4, pr.into())));
        f.extend(self.basic_quorum.map(|b| Field::Varint(5, b.into())));
        f.extend(self.notfound_ok.map(|ok| Field::Varint(6, ok.into())));
        f.extend(self.head.then_some(Field::Varint(8, 1)));
        f.extend(self.deletedvclock.then_some(Field::Varint(9, 1)));
        f.extend(self.timeout.map(|t| Field::Varint(10, t.into())));
        f.extend(self.bucket_type.map(|t| Field::Bytes(13, t)));
        f
    }
}

/// `RpbPutReq` (code 11).
#[derive(Debug)]
pub struct PutReq<'a> {
    pub bucket: &'a [u8],
    pub key: &'a [u8],
    /// 3: the vclock of the object this write replaces (from a read).
    pub vclock: Option<&'a [u8]>,
    /// 4
    pub content: &'a Content,
    /// 5 and 6: how many replicas must have the write, and durably (like `GetReq::r`).
    pub w: Option<u32>,
    pub dw: Option<u32>,
    /// 7: answer with the stored object.
    pub return_body: bool,
    /// 8: how many of them primaries.
    pub pw: Option<u32>,
    /// 11: answer with the stored object's metadata and vclock, no value.
    pub return_head: bool,
    /// 12: Riak's own timeout in milliseconds; unset means 60 s.
    pub timeout: Option<u32>,
    /// 16: the bucket type; unset means `default`.
    pub bucket_type: Option<&'a [u8]>,
}

impl PutReq<'_> {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![Field::Bytes(1, self.bucket), Field::Bytes(2, self.key)];
        f.extend(self.vclock.map(|v| Field::Bytes(3, v)));
        f.push(Field::Message(4, self.content));
        f.extend(self.w.map(|w| Field::Varint(5, w.into())));
        f.extend(self.dw.map(|dw| Field::Varint(6, dw.into())));
        f.extend(self.return_body.then_some(Field::Varint(7, 1)));
        f.extend(self.pw.map(|pw| Field::Varint(8, pw.into())));
        f.extend(self.return_head.then_some(Field::Varint(11, 1)));
        f.extend(self.timeout.map(|t| Field::Varint(12, t.into())));
        f.extend(self.bucket_type.map(|t| Field::Bytes(16, t)));
        f
    }
}

impl MessageWrite for PutReq<'_> {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

/// `RpbDelReq` (code 13): a delete, with the vclock of the object read before it, so that a
/// write the reader did not see is not removed with it.
#[derive(Debug, Default)]
pub struct DelReq<'a> {
    pub bucket: &'a [u8],
    pub key: &'a [u8],
    /// 4: the vclock of the object this delete replaces (from a read).
    pub vclock: Option<&'a [u8]>,
    /// 6, 8, 9: the write quorums `w`, `pw` and `dw`; unset means the bucket's.
    pub w: Option<u32>,
    pub pw: Option<u32>,
    pub dw: Option<u32>,
    /// 10: Riak's own timeout in milliseconds; unset means 60 s.
    pub timeout: Option<u32>,
}

impl DelReq<'_> {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![Field::Bytes(1, self.bucket), Field::Bytes(2, self.key)];
        f.extend(self.vclock.map(|v| Field::Bytes(4, v)));
        f.extend(self.w.map(|w| Field::Varint(6, w.into())));
        f.extend(self.pw.map(|pw| Field::Varint(8, pw.into())));
        f.extend(self.dw.map(|dw| Field::Varint(9, dw.into())));
        f.extend(self.timeout.map(|t| Field::Varint(10, t.into())));
        f
    }
}

impl MessageWrite for DelReq<'_> {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

/// `RpbListKeysReq` (code 17) and `RpbGetBucketReq` (code 19), which have the same first
/// field (a bucket property request has no key; `RpbDelReq` without a vclock encodes alike).
#[derive(Debug, Default)]
pub struct KeyReq<'a> {
    pub bucket: &'a [u8],
    /// Unset for a key listing.
    pub key: Option<&'a [u8]>,
}

impl KeyReq<'_> {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![Field::Bytes(1, self.bucket)];
        f.extend(self.key.map(|k| Field::Bytes(2, k)));
        f
    }
}

impl MessageWrite for KeyReq<'_> {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

/// `RpbIndexReq` (code 25) for a range query (qtype 1), e.g. on the `$key` index.
#[derive(Debug, Default)]
pub struct IndexReq<'a> {
    pub bucket: &'a [u8],
    pub index: &'a [u8],
    /// 5 and 6: the inclusive range.
    pub range_min: &'a [u8],
    pub range_max: &'a [u8],
    /// 9: at most this many keys, in key order (Riak sorts when it paginates).
    pub max_results: Option<u32>,
    /// 11: Riak's own timeout in milliseconds.
    pub timeout: Option<u32>,
}

impl IndexReq<'_> {
    fn fields(&self) -> Vec<Field<'_>> {
        let mut f = vec![
            Field::Bytes(1, self.bucket),
            Field::Bytes(2, self.index),
            Field::Varint(3, 1),
            Field::Bytes(5, self.range_min),
            Field::Bytes(6, self.range_max),
        ];
        f.extend(self.max_results.map(|n| Field::Varint(9, n.into())));
        f.extend(self.timeout.map(|t| Field::Varint(11, t.into())));
        f
    }
}

impl MessageWrite for IndexReq<'_> {
    fn get_size(&self) -> usize {
        fields_size(&self.fields())
    }
    fn write_message<W: WriterBackend>(&self, w: &mut Writer<W>) -> Result<()> {
        write_fields(w, &self.fields())
    }
}

/// Encodes a message body (no length prefix).
pub fn encode<M: MessageWrite>(msg: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.get_size());
    let mut w = Writer::new(&mut out);
    msg.write_message(&mut w)
        .expect("writing into a Vec cannot fail");
    out
}
