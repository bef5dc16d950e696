//! The ring, as riak_core builds it: `size` partitions of the 160-bit SHA-1 space, claimed by
//! the nodes, and a key's preference list: the `n_val` partitions that follow the key's hash.
//!
//! A key's hash is SHA-1 of the Erlang external term format of `{Bucket, Key}` (or
//! `{{Type, Bucket}, Key}` in a bucket type other than `default`), both binaries. The first
//! partition of a key is the one after the partition its hash falls in. The claim gives
//! partitions in runs of two, starting with the second node: on two nodes that is the owners
//! recorded on a real 2-node Riak KV 3.2.3 cluster of ring size 16 (node2, node2, node1, node1…).

use crate::object::Bucket;

/// The partitions and who owns them.
#[derive(Debug, Clone)]
pub struct Ring {
    /// Partitions in the ring (Riak's `ring_size`).
    pub size: usize,
    /// Replicas of each key (Riak's `n_val`).
    pub n_val: usize,
    /// Nodes that claimed partitions.
    pub nodes: usize,
}

impl Ring {
    /// The node that owns partition `p`.
    pub fn owner(&self, p: usize) -> usize {
        (p / 2 + 1) % self.nodes.max(1)
    }

    /// The partitions of the whole ring in preference order for this key: the first `n_val`
    /// are its primaries, the rest are where fallbacks are looked for.
    pub fn preference(&self, bucket: &Bucket, key: &[u8]) -> Vec<usize> {
        let hash = sha1(&term_of(bucket, key));
        // The partition the hash falls in: its top bits, as the ring is split evenly.
        let top = u64::from_be_bytes(hash[..8].try_into().expect("8 bytes"));
        let bits = self.size.trailing_zeros();
        let within = if bits == 0 {
            0
        } else {
            (top >> (64 - bits)) as usize
        };
        (1..=self.size).map(|i| (within + i) % self.size).collect()
    }
}

/// `term_to_binary({Bucket, Key})` (with `{Type, Bucket}` for a typed bucket).
fn term_of(bucket: &Bucket, key: &[u8]) -> Vec<u8> {
    let mut out = vec![131];
    tuple2(&mut out);
    if bucket.kind == "default" {
        binary(&mut out, bucket.name.as_bytes());
    } else {
        tuple2(&mut out);
        binary(&mut out, bucket.kind.as_bytes());
        binary(&mut out, bucket.name.as_bytes());
    }
    binary(&mut out, key);
    out
}

/// SMALL_TUPLE_EXT of arity 2.
fn tuple2(out: &mut Vec<u8>) {
    out.extend_from_slice(&[104, 2]);
}

/// BINARY_EXT: tag, 4-byte big-endian length, bytes.
fn binary(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(109);
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// SHA-1 (FIPS 180-4), the hash riak_core places keys with.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes(word.try_into().expect("4 bytes"));
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_standard_vectors() {
        let hex = |b: [u8; 20]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(sha1(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        assert_eq!(hex(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn a_two_node_ring_is_claimed_in_pairs_from_the_second_node() {
        let ring = Ring {
            size: 16,
            n_val: 3,
            nodes: 2,
        };
        let owners: Vec<usize> = (0..16).map(|p| ring.owner(p)).collect();
        assert_eq!(owners, [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    }
}
