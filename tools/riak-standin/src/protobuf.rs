//! A plain protobuf field codec for the stand-in, deliberately not the client's: a message is
//! read into a list of (number, value) pairs looked up by number, and an answer is built field
//! by field.

/// A decoded field value.
#[derive(Debug, Clone)]
pub enum Val {
    Int(u64),
    Bytes(Vec<u8>),
}

/// A message as its fields, in the order they came.
pub struct Msg(Vec<(u32, Val)>);

impl Msg {
    pub fn parse(mut body: &[u8]) -> Option<Msg> {
        let mut fields = Vec::new();
        while !body.is_empty() {
            let tag = varint(&mut body)?;
            let number = u32::try_from(tag >> 3).ok()?;
            let val = match tag & 7 {
                0 => Val::Int(varint(&mut body)?),
                2 => {
                    let len = usize::try_from(varint(&mut body)?).ok()?;
                    let bytes = body.get(..len)?.to_vec();
                    body = &body[len..];
                    Val::Bytes(bytes)
                }
                _ => return None,
            };
            fields.push((number, val));
        }
        Some(Msg(fields))
    }

    pub fn bytes(&self, number: u32) -> Option<&[u8]> {
        self.0.iter().rev().find_map(|(n, v)| match v {
            Val::Bytes(b) if *n == number => Some(b.as_slice()),
            _ => None,
        })
    }

    pub fn int(&self, number: u32) -> Option<u64> {
        self.0.iter().rev().find_map(|(n, v)| match v {
            Val::Int(i) if *n == number => Some(*i),
            _ => None,
        })
    }

    pub fn flag(&self, number: u32) -> bool {
        self.int(number).unwrap_or(0) != 0
    }
}

fn varint(body: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&byte, rest) = body.split_first()?;
        *body = rest;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Builds a message body field by field.
#[derive(Default)]
pub struct Out(pub Vec<u8>);

impl Out {
    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    pub fn int(&mut self, number: u32, v: u64) -> &mut Out {
        self.raw_varint(u64::from(number) << 3);
        self.raw_varint(v);
        self
    }
    pub fn bytes(&mut self, number: u32, v: &[u8]) -> &mut Out {
        self.raw_varint(u64::from(number) << 3 | 2);
        self.raw_varint(v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }
}
