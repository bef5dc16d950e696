//! The memcached key of a name, and which server holds it. `pb:` and the name, percent-encoded
//! where the text protocol needs it; a name too long for memcached's 250 bytes gets `pb#` and
//! its 128-bit FNV-1a hash, so the value holds the whole contact and is checked on read
//! (docs/cache.md).

use percent_encoding::{percent_encode, AsciiSet, CONTROLS};

/// memcached's key length limit.
const MAX_KEY: usize = 250;
/// Bytes that may not appear in a key as they are (the text protocol splits on spaces).
const UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

/// The memcached key of a (validated) name.
pub fn key(name: &str) -> String {
    let plain = format!("pb:{}", percent_encode(name.as_bytes(), UNSAFE));
    if plain.len() <= MAX_KEY {
        plain
    } else {
        format!("pb#{:032x}", fnv1a_128(name.as_bytes()))
    }
}

/// FNV-1a, 128 bits: a fixed, documented function, so every phonebook process (of any build)
/// derives the same keys.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ b as u128).wrapping_mul(PRIME))
}

/// Which server holds a key, by rendezvous hashing: each server's score for the key is a hash
/// of the server's address and the key, and the highest score wins. Every instance given the
/// same addresses agrees, in whatever order they are listed; adding a server moves only the
/// keys it now wins (about 1/N of them), and removing one moves only its own keys
/// (docs/cache.md says why not ketama).
pub(super) fn server_index<'a>(key: &str, addrs: impl IntoIterator<Item = &'a str>) -> usize {
    addrs
        .into_iter()
        .map(|addr| score(addr, key))
        .enumerate()
        .max_by_key(|&(_, score)| score)
        .map_or(0, |(i, _)| i)
}

/// A server's score for a key: FNV-1a over `address`, a NUL (no address contains one) and the
/// key, folded to 64 bits and finished with MurmurHash3's 64-bit mixer, so that scores of
/// different servers for one key are independent.
fn score(addr: &str, key: &str) -> u64 {
    let bytes = [addr.as_bytes(), b"\0", key.as_bytes()].concat();
    let hash = fnv1a_128(&bytes);
    fmix64((hash >> 64) as u64 ^ hash as u64)
}

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ceb9fe1a85ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::parse_name;

    fn valid_key(key: &str) -> bool {
        key.len() <= MAX_KEY && key.bytes().all(|b| b.is_ascii_graphic())
    }

    #[test]
    fn every_kind_of_name_gets_a_valid_distinct_key() {
        let names = [
            "John Doe".to_string(),
            "John%20Doe".to_string(),
            "John+Doe".to_string(),
            "Åsa Öberg".to_string(),
            "<i>&amp;\"' <script>".to_string(),
            "x".repeat(100),
            "a".to_string() + &" ".repeat(98) + "b",
            "é".repeat(100),
            "𝄞".repeat(100),
            "𝄞".repeat(99) + "a",
        ];
        let mut keys = std::collections::HashSet::new();
        for name in &names {
            let name = parse_name(name).expect("a valid name");
            let key = key(&name);
            assert!(valid_key(&key), "{name:?} -> {key:?}");
            assert!(keys.insert(key), "{name:?} shares a key");
        }
        assert_eq!(
            key("John Doe"),
            "pb:John%20Doe",
            "short names stay readable"
        );
        assert!(key(&"𝄞".repeat(100)).starts_with("pb#"));
        assert_eq!(key(&"𝄞".repeat(100)).len(), 35);
    }

    #[test]
    fn fnv_matches_the_published_vectors_and_spreads_keys() {
        // Test vectors of the FNV-1a 128-bit reference.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        let mut per_server = [0; 3];
        for i in 0..300 {
            per_server[server_index(&key(&format!("name {i}")), THREE)] += 1;
        }
        assert!(per_server.iter().all(|&n| n > 60), "{per_server:?}");
    }

    const THREE: [&str; 3] = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"];
    const KEYS: usize = 100_000;

    /// The share of `KEYS` keys whose server (by address) differs between two server lists.
    fn moved(before: &[&str], after: &[&str], pick: fn(&str, &[&str]) -> usize) -> f64 {
        let moved = (0..KEYS)
            .map(|i| key(&format!("Person {i}")))
            .filter(|k| before[pick(k, before)] != after[pick(k, after)])
            .count();
        moved as f64 / KEYS as f64
    }

    fn rendezvous(key: &str, addrs: &[&str]) -> usize {
        server_index(key, addrs.iter().copied())
    }

    /// The rule this replaced: the key's hash modulo the number of servers.
    fn modulo(key: &str, addrs: &[&str]) -> usize {
        (fnv1a_128(key.as_bytes()) % addrs.len() as u128) as usize
    }

    #[test]
    fn a_third_server_moves_a_third_of_the_keys_not_two_thirds() {
        let share = moved(&THREE[..2], &THREE, rendezvous);
        assert!(
            (share - 1.0 / 3.0).abs() < 0.02,
            "rendezvous moved {share:.4}"
        );
        let old = moved(&THREE[..2], &THREE, modulo);
        assert!((old - 2.0 / 3.0).abs() < 0.02, "modulo moved {old:.4}");
        // Every key that moved went to the new server.
        for i in 0..10_000 {
            let k = key(&format!("Person {i}"));
            let (two, three) = (rendezvous(&k, &THREE[..2]), rendezvous(&k, &THREE));
            assert!(two == three || three == 2, "{k} moved between old servers");
        }
        println!("2 -> 3 servers: rendezvous moved {share:.4} of the keys, modulo {old:.4}");
    }

    #[test]
    fn removing_a_server_moves_only_its_own_keys_and_order_does_not_matter() {
        let without_second = [THREE[0], THREE[2]];
        for i in 0..10_000 {
            let k = key(&format!("Person {i}"));
            let before = THREE[rendezvous(&k, &THREE)];
            let after = without_second[rendezvous(&k, &without_second)];
            assert!(
                before == after || before == THREE[1],
                "{k}: {before} -> {after}"
            );
            let reversed = [THREE[2], THREE[1], THREE[0]];
            assert_eq!(reversed[rendezvous(&k, &reversed)], before, "{k}");
        }
        let share = moved(&THREE, &without_second, rendezvous);
        assert!((share - 1.0 / 3.0).abs() < 0.02, "moved {share:.4}");
    }
}
