//! Sparse paged memory over the 64-bit address space, Merkleized on demand.
//!
//! The tree is binary, its leaves are the 32-byte words of memory (raw bytes, not hashed), and an
//! inner node is `keccak256(left ++ right)`. There are 2^59 leaves, so a proof is 59 sibling
//! hashes. Untouched memory is zero and hashes to the precomputed zero subtree of its height.
//! Writes only set a per-page dirty flag; [`Memory::root`] rehashes dirty pages and their
//! ancestors.

use std::collections::{HashMap, HashSet};

use alloy_primitives::{B256, keccak256};

/// Page size in bytes.
pub const PAGE_SIZE: usize = 4096;
/// log2 of the page size.
pub const PAGE_BITS: u32 = 12;
/// Leaf size in bytes.
pub const LEAF_SIZE: usize = 32;
/// log2 of the leaf size.
pub const LEAF_BITS: u32 = 5;
/// Tree depth: the number of sibling hashes in a proof.
pub const TREE_DEPTH: usize = 64 - LEAF_BITS as usize;
/// Levels inside one page (128 leaves).
const PAGE_DEPTH: usize = (PAGE_BITS - LEAF_BITS) as usize;
/// Levels above the pages.
const UPPER_DEPTH: usize = TREE_DEPTH - PAGE_DEPTH;
const LEAVES_PER_PAGE: usize = PAGE_SIZE / LEAF_SIZE;

/// `ZERO_HASHES[h]` is the root of an all-zero subtree of height `h` (`h = 0` is a zero leaf).
fn zero_hashes() -> &'static [B256; TREE_DEPTH + 1] {
    static ZEROS: std::sync::OnceLock<[B256; TREE_DEPTH + 1]> = std::sync::OnceLock::new();
    ZEROS.get_or_init(|| {
        let mut z = [B256::ZERO; TREE_DEPTH + 1];
        for h in 1..=TREE_DEPTH {
            z[h] = hash_pair(&z[h - 1], &z[h - 1]);
        }
        z
    })
}

fn hash_pair(l: &B256, r: &B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(l.as_slice());
    buf[32..].copy_from_slice(r.as_slice());
    keccak256(buf)
}

struct Page {
    data: Box<[u8; PAGE_SIZE]>,
    dirty: bool,
    /// Inner nodes of the page subtree in heap order: `nodes[1]` is the page root, the children
    /// of `i` are `2i` and `2i + 1`; indices `128..256` would be the leaves (kept in `data`).
    nodes: Box<[B256; LEAVES_PER_PAGE]>,
}

impl Page {
    fn new() -> Self {
        Self {
            data: Box::new([0; PAGE_SIZE]),
            dirty: true,
            nodes: Box::new([B256::ZERO; LEAVES_PER_PAGE]),
        }
    }

    fn leaf(&self, i: usize) -> B256 {
        B256::from_slice(&self.data[i * LEAF_SIZE..(i + 1) * LEAF_SIZE])
    }

    fn node(&self, i: usize) -> B256 {
        if i >= LEAVES_PER_PAGE {
            self.leaf(i - LEAVES_PER_PAGE)
        } else {
            self.nodes[i]
        }
    }

    fn rehash(&mut self) {
        for i in (1..LEAVES_PER_PAGE).rev() {
            self.nodes[i] = hash_pair(&self.node(2 * i), &self.node(2 * i + 1));
        }
        self.dirty = false;
    }
}

/// A Merkle proof for one 32-byte leaf: the leaf and its siblings from the bottom up.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeafProof {
    /// The leaf's address (a multiple of 32).
    #[serde(with = "crate::witness::hex_u64")]
    pub addr: u64,
    /// The 32 bytes of memory at `addr`.
    pub leaf: B256,
    /// `TREE_DEPTH` sibling hashes, the leaf's sibling first.
    pub siblings: Vec<B256>,
}

impl LeafProof {
    /// The root this proof commits to, or `None` if it has the wrong shape.
    pub fn compute_root(&self) -> Option<B256> {
        if self.siblings.len() != TREE_DEPTH || !self.addr.is_multiple_of(LEAF_SIZE as u64) {
            return None;
        }
        let mut node = self.leaf;
        for (i, sib) in self.siblings.iter().enumerate() {
            node = if (self.addr >> (LEAF_BITS as usize + i)) & 1 == 0 {
                hash_pair(&node, sib)
            } else {
                hash_pair(sib, &node)
            };
        }
        Some(node)
    }

    /// Whether the proof shows `leaf` at `addr` under `root`.
    pub fn verify(&self, root: B256) -> bool {
        self.compute_root() == Some(root)
    }

    /// The proof as the on-chain `RISCV.step` reads it: `addr` (8 bytes, big-endian), the leaf,
    /// a 64-bit big-endian mask, then the siblings whose mask bit is clear. Bit `h` is set when
    /// sibling `h` is the zero-subtree hash of its height, which is left out.
    pub fn step_bytes(&self) -> Vec<u8> {
        let zeros = zero_hashes();
        let mut mask = 0u64;
        let mut sibs = Vec::with_capacity(32 * self.siblings.len());
        for (h, sib) in self.siblings.iter().enumerate() {
            if h < 64 && zeros.get(h) == Some(sib) {
                mask |= 1 << h;
            } else {
                sibs.extend_from_slice(sib.as_slice());
            }
        }
        let mut out = Vec::with_capacity(48 + sibs.len());
        out.extend_from_slice(&self.addr.to_be_bytes());
        out.extend_from_slice(self.leaf.as_slice());
        out.extend_from_slice(&mask.to_be_bytes());
        out.extend_from_slice(&sibs);
        out
    }
}

/// Sparse memory: 4 KiB pages created on first write; unwritten memory reads as zero.
pub struct Memory {
    pages: Vec<Page>,
    index: HashMap<u64, usize>,
    /// Inner nodes above the pages, keyed by (height above the page level, index at that height).
    upper: HashMap<(u8, u64), B256>,
    /// The last page written, as (page number, slot).
    last: Option<(u64, usize)>,
    /// The last pages read by data accesses and by instruction fetches, as (page number, slot);
    /// page number `u64::MAX` (no such page) means empty.
    read_cache: std::cell::Cell<(u64, usize)>,
    fetch_cache: std::cell::Cell<(u64, usize)>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("pages", &self.pages.len())
            .finish()
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            pages: Vec::new(),
            index: HashMap::new(),
            upper: HashMap::new(),
            last: None,
            read_cache: std::cell::Cell::new((u64::MAX, 0)),
            fetch_cache: std::cell::Cell::new((u64::MAX, 0)),
        }
    }
}

impl Memory {
    /// Empty memory (all zero).
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn cached_slot(&self, page: u64, cache: &std::cell::Cell<(u64, usize)>) -> Option<usize> {
        let (p, s) = cache.get();
        if p == page {
            return Some(s);
        }
        let s = self.index.get(&page).copied()?;
        cache.set((page, s));
        Some(s)
    }

    /// Reads the 4 bytes at `addr` for an instruction fetch (same page; own lookup cache).
    #[inline]
    pub fn fetch_u32(&self, addr: u64) -> u32 {
        let off = (addr as usize) & (PAGE_SIZE - 1);
        debug_assert!(off + 4 <= PAGE_SIZE);
        match self.cached_slot(addr >> PAGE_BITS, &self.fetch_cache) {
            Some(s) => {
                let d = &self.pages[s].data;
                u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]])
            }
            None => 0,
        }
    }

    /// The number of pages that have been written.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    #[inline]
    fn slot(&self, page: u64) -> Option<usize> {
        self.cached_slot(page, &self.read_cache)
    }

    #[inline]
    fn slot_mut(&mut self, page: u64) -> usize {
        if let Some((p, s)) = self.last
            && p == page
        {
            return s;
        }
        let slot = match self.index.get(&page) {
            Some(&s) => s,
            None => {
                let s = self.pages.len();
                self.pages.push(Page::new());
                self.index.insert(page, s);
                s
            }
        };
        self.last = Some((page, slot));
        slot
    }

    /// Reads `N` bytes at `addr`; the range must not cross a page (aligned accesses never do).
    #[inline]
    pub fn read_in_page<const N: usize>(&self, addr: u64) -> [u8; N] {
        let off = (addr as usize) & (PAGE_SIZE - 1);
        debug_assert!(off + N <= PAGE_SIZE);
        match self.slot(addr >> PAGE_BITS) {
            Some(s) => {
                let mut out = [0u8; N];
                out.copy_from_slice(&self.pages[s].data[off..off + N]);
                out
            }
            None => [0u8; N],
        }
    }

    /// Writes `bytes` at `addr`; the range must not cross a page.
    #[inline]
    pub fn write_in_page(&mut self, addr: u64, bytes: &[u8]) {
        let off = (addr as usize) & (PAGE_SIZE - 1);
        debug_assert!(off + bytes.len() <= PAGE_SIZE);
        let s = self.slot_mut(addr >> PAGE_BITS);
        let page = &mut self.pages[s];
        page.data[off..off + bytes.len()].copy_from_slice(bytes);
        page.dirty = true;
    }

    /// Reads any byte range (wrapping at the top of the address space).
    pub fn read_bytes(&self, mut addr: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let off = (addr as usize) & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(len - out.len());
            match self.slot(addr >> PAGE_BITS) {
                Some(s) => out.extend_from_slice(&self.pages[s].data[off..off + n]),
                None => out.resize(out.len() + n, 0),
            }
            addr = addr.wrapping_add(n as u64);
        }
        out
    }

    /// Writes any byte range (wrapping at the top of the address space).
    pub fn write_bytes(&mut self, mut addr: u64, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let off = (addr as usize) & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(bytes.len());
            self.write_in_page(addr, &bytes[..n]);
            bytes = &bytes[n..];
            addr = addr.wrapping_add(n as u64);
        }
    }

    /// The 32-byte leaf containing `addr`.
    pub fn leaf(&self, addr: u64) -> B256 {
        B256::from(self.read_in_page::<LEAF_SIZE>(addr & !(LEAF_SIZE as u64 - 1)))
    }

    fn upper_node(&self, height: usize, index: u64) -> B256 {
        if height == 0 {
            return match self.index.get(&index) {
                Some(&s) => self.pages[s].nodes[1],
                None => zero_hashes()[PAGE_DEPTH],
            };
        }
        self.upper
            .get(&(height as u8, index))
            .copied()
            .unwrap_or(zero_hashes()[PAGE_DEPTH + height])
    }

    /// The Merkle root. Rehashes only the pages written since the last call and their ancestors.
    pub fn root(&mut self) -> B256 {
        let mut dirty: HashSet<u64> = HashSet::new();
        for (&page, &s) in &self.index {
            if self.pages[s].dirty {
                self.pages[s].rehash();
                dirty.insert(page);
            }
        }
        for height in 1..=UPPER_DEPTH {
            let parents: HashSet<u64> = dirty.iter().map(|i| i >> 1).collect();
            for &p in &parents {
                let h = hash_pair(
                    &self.upper_node(height - 1, 2 * p),
                    &self.upper_node(height - 1, 2 * p + 1),
                );
                self.upper.insert((height as u8, p), h);
            }
            dirty = parents;
        }
        self.upper_node(UPPER_DEPTH, 0)
    }

    /// A proof for the leaf containing `addr` against [`Memory::root`].
    pub fn proof(&mut self, addr: u64) -> LeafProof {
        self.root();
        let addr = addr & !(LEAF_SIZE as u64 - 1);
        let page = addr >> PAGE_BITS;
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        match self.index.get(&page) {
            Some(&s) => {
                let p = &self.pages[s];
                let mut i = LEAVES_PER_PAGE + ((addr as usize & (PAGE_SIZE - 1)) >> LEAF_BITS);
                while i > 1 {
                    siblings.push(p.node(i ^ 1));
                    i >>= 1;
                }
            }
            None => siblings.extend_from_slice(&zero_hashes()[..PAGE_DEPTH]),
        }
        for height in 0..UPPER_DEPTH {
            siblings.push(self.upper_node(height, (page >> height) ^ 1));
        }
        LeafProof {
            addr,
            leaf: self.leaf(addr),
            siblings,
        }
    }
}

/// The root of all-zero memory.
pub fn empty_root() -> B256 {
    zero_hashes()[TREE_DEPTH]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_memory_has_the_zero_root() {
        let mut m = Memory::new();
        assert_eq!(m.root(), empty_root());
        let p = m.proof(0xdead_beef_0000);
        assert!(p.verify(empty_root()));
    }

    #[test]
    fn step_bytes_leave_out_exactly_the_zero_subtree_siblings() {
        let mut m = Memory::new();
        m.write_bytes(0x1_0000, &[7; 40]);
        m.write_bytes(0x7fff_fff0_0000, &[9; 8]);
        let zeros = zero_hashes();
        for addr in [0x1_0000, 0x1_0020, 0x7fff_fff0_0000, 0x5000_0000] {
            let p = m.proof(addr);
            let bytes = p.step_bytes();
            assert_eq!(bytes[..8], addr.to_be_bytes());
            assert_eq!(bytes[8..40], p.leaf[..]);
            let mut mask = [0u8; 8];
            mask.copy_from_slice(&bytes[40..48]);
            let mask = u64::from_be_bytes(mask);
            assert_eq!(mask >> TREE_DEPTH, 0);
            // Rebuild the siblings from the mask and the explicit ones.
            let mut explicit = bytes[48..].chunks_exact(32);
            let siblings: Vec<B256> = (0..TREE_DEPTH)
                .map(|h| {
                    if mask >> h & 1 == 1 {
                        zeros[h]
                    } else {
                        B256::from_slice(explicit.next().expect("explicit sibling"))
                    }
                })
                .collect();
            assert!(explicit.next().is_none());
            assert_eq!(siblings, p.siblings);
            // Only zero subtrees are left out, and all of them are.
            for (h, sib) in p.siblings.iter().enumerate() {
                assert_eq!(
                    mask >> h & 1 == 1,
                    *sib == zeros[h],
                    "level {h} of {addr:#x}"
                );
            }
            assert!(bytes.len() < 48 + 32 * TREE_DEPTH);
        }
    }

    #[test]
    fn proofs_verify_and_tampering_fails() {
        let mut m = Memory::new();
        let addrs = [
            0u64,
            31,
            32,
            4095,
            4096,
            0x1234_5678,
            u64::MAX - 7,
            0x8000_0000_0000_0000,
        ];
        for (i, &a) in addrs.iter().enumerate() {
            m.write_bytes(a, &[i as u8 + 1; 8]);
        }
        let root = m.root();
        assert_ne!(root, empty_root());
        for &a in &addrs {
            let p = m.proof(a);
            assert!(p.verify(root), "proof for {a:#x}");
            for bit in [0usize, 100, 255] {
                let mut bad = p.clone();
                let sib = bit % TREE_DEPTH;
                bad.siblings[sib].0[bit / 8 % 32] ^= 1 << (bit % 8);
                assert!(!bad.verify(root));
            }
            let mut wrong_leaf = p.clone();
            wrong_leaf.leaf.0[0] ^= 0x80;
            assert!(!wrong_leaf.verify(root));
            let mut wrong_addr = p.clone();
            wrong_addr.addr ^= 32;
            assert!(!wrong_addr.verify(root));
        }
    }

    #[test]
    fn root_is_incremental_and_order_independent() {
        let mut a = Memory::new();
        let mut b = Memory::new();
        a.write_bytes(0x1000, b"hello");
        let _ = a.root();
        a.write_bytes(0x9_0000, b"world");
        b.write_bytes(0x9_0000, b"world");
        b.write_bytes(0x1000, b"hello");
        assert_eq!(a.root(), b.root());
        // Writing zeros to a fresh page leaves the root unchanged.
        let before = a.root();
        a.write_bytes(0x5000_0000, &[0; 64]);
        assert_eq!(a.root(), before);
    }
}
