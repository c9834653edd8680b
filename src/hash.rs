//! The fast hasher below every stage: the Compose tree's maps and the stages' internal indexes.
//! Keys are short strings from the user's own files, looked up many times each, where the
//! standard library's SipHash (built to resist adversarial keys) cost a fifth of every map
//! lookup. This is the multiply-rotate hash rustc uses for its own maps, eight bytes per step.

use std::hash::{BuildHasherDefault, Hasher};

/// Builds [`FastHasher`]s; the hasher of [`crate::compose::node::Map`].
pub type FastState = BuildHasherDefault<FastHasher>;

/// A hash map keyed by the project's own names, for the stages' internal indexes.
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;

/// A hash set of the project's own names.
pub type FastSet<K> = std::collections::HashSet<K, FastState>;

#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash(s: &str) -> u64 {
        FastState::default().hash_one(s)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_keys_apart() {
        assert_eq!(hash("services"), hash("services"));
        let keys = [
            "a",
            "b",
            "ab",
            "ba",
            "image",
            "images",
            "environment",
            "environmenu",
            "",
        ];
        let mut hashes: Vec<u64> = keys.iter().map(|k| hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
        // The length marker `str` hashing adds keeps "ab" + "" apart from "a" + "b".
        let mut h1 = FastHasher::default();
        ("ab", "").hash(&mut h1);
        let mut h2 = FastHasher::default();
        ("a", "b").hash(&mut h2);
        assert_ne!(h1.finish(), h2.finish());
    }
}
