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

/// Which server holds a key: stable across processes, so all instances agree.
pub(super) fn server_index(key: &str, servers: usize) -> usize {
    (fnv1a_128(key.as_bytes()) % servers as u128) as usize
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
            per_server[server_index(&key(&format!("name {i}")), 3)] += 1;
        }
        assert!(per_server.iter().all(|&n| n > 60), "{per_server:?}");
    }
}
