//! Trie nodes in memory and their RLP encoding: hex-prefix paths, leaf/extension/branch nodes.

use alloc::{boxed::Box, vec::Vec};
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{EMPTY_STRING_CODE, Encodable, Header};

use super::TrieError;

/// How a parent refers to a child: by hash when the child's RLP is 32 bytes or longer,
/// otherwise by embedding the child's RLP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NodeRef {
    Hash(B256),
    Inline(Vec<u8>),
}

impl NodeRef {
    /// The reference for a node whose RLP is `rlp`.
    pub(crate) fn from_rlp(rlp: &[u8]) -> Self {
        if rlp.len() >= 32 {
            Self::Hash(keccak256(rlp))
        } else {
            Self::Inline(rlp.to_vec())
        }
    }

    /// Appends the reference as it appears inside the parent's RLP.
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Hash(hash) => hash.encode(out),
            Self::Inline(rlp) => out.extend_from_slice(rlp),
        }
    }
}

/// A trie node. `Hash` is a subtree not loaded from the provider yet; the other variants are
/// decoded. `cache` holds the node's reference while it is unchanged, `None` once it is dirty.
#[derive(Clone, Debug, Default)]
pub(crate) enum Node {
    #[default]
    Empty,
    Hash(B256),
    Leaf(Box<Leaf>),
    Extension(Box<Extension>),
    Branch(Box<Branch>),
}

#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    /// Remaining key, one nibble per byte.
    pub(crate) path: Vec<u8>,
    pub(crate) value: Vec<u8>,
    pub(crate) cache: Option<NodeRef>,
}

#[derive(Clone, Debug)]
pub(crate) struct Extension {
    /// Shared nibbles, never empty.
    pub(crate) path: Vec<u8>,
    pub(crate) child: Node,
    pub(crate) cache: Option<NodeRef>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Branch {
    pub(crate) children: [Node; 16],
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) cache: Option<NodeRef>,
}

impl Node {
    pub(crate) fn leaf(path: &[u8], value: Vec<u8>) -> Self {
        Self::Leaf(Box::new(Leaf {
            path: path.to_vec(),
            value,
            cache: None,
        }))
    }

    pub(crate) fn extension(path: Vec<u8>, child: Self) -> Self {
        Self::Extension(Box::new(Extension {
            path,
            child,
            cache: None,
        }))
    }

    /// The cached reference of a decoded node that is unchanged since it was last encoded.
    pub(crate) fn cache(&self) -> Option<&NodeRef> {
        match self {
            Self::Empty | Self::Hash(_) => None,
            Self::Leaf(leaf) => leaf.cache.as_ref(),
            Self::Extension(ext) => ext.cache.as_ref(),
            Self::Branch(branch) => branch.cache.as_ref(),
        }
    }

    /// Whether the node has edits not encoded yet.
    pub(crate) fn is_dirty(&self) -> bool {
        !matches!(self, Self::Empty | Self::Hash(_)) && self.cache().is_none()
    }

    /// Appends the node's reference as it appears in its parent. A dirty node is encoded (and
    /// its dirty children hashed) without filling caches; [`Node::commit`] fills them.
    fn encode_ref(&self, out: &mut Vec<u8>) {
        match (self, self.cache()) {
            (_, Some(cached)) => cached.encode(out),
            (Self::Empty, None) => out.push(EMPTY_STRING_CODE),
            (Self::Hash(hash), None) => hash.encode(out),
            (_, None) => NodeRef::from_rlp(&self.encode()).encode(out),
        }
    }

    /// The RLP of a decoded node (`Empty` gives the empty string, `Hash` the hash string).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        match self {
            Self::Empty => return alloc::vec![EMPTY_STRING_CODE],
            Self::Hash(hash) => return alloy_rlp::encode(hash),
            Self::Leaf(leaf) => {
                payload.reserve(leaf.path.len() / 2 + leaf.value.len() + 12);
                hex_prefix(&leaf.path, true).as_slice().encode(&mut payload);
                leaf.value.as_slice().encode(&mut payload);
            }
            Self::Extension(ext) => {
                payload.reserve(ext.path.len() / 2 + 36);
                hex_prefix(&ext.path, false).as_slice().encode(&mut payload);
                ext.child.encode_ref(&mut payload);
            }
            Self::Branch(branch) => {
                payload.reserve(16 * 33 + 1);
                for child in &branch.children {
                    child.encode_ref(&mut payload);
                }
                match &branch.value {
                    Some(value) => value.as_slice().encode(&mut payload),
                    None => payload.push(EMPTY_STRING_CODE),
                }
            }
        }
        let header = Header {
            list: true,
            payload_length: payload.len(),
        };
        let mut out = Vec::with_capacity(header.length() + payload.len());
        header.encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// Encodes every dirty node below and including `self` and caches its reference. Encoded
    /// nodes of 32 bytes or more are pushed to `new_nodes` as `(keccak256(rlp), rlp)`.
    pub(crate) fn commit(&mut self, new_nodes: &mut Vec<(B256, Bytes)>) {
        if !self.is_dirty() {
            return;
        }
        match self {
            Self::Extension(ext) => ext.child.commit(new_nodes),
            Self::Branch(branch) => {
                for child in branch.children.iter_mut() {
                    child.commit(new_nodes);
                }
            }
            Self::Empty | Self::Hash(_) | Self::Leaf(_) => {}
        }
        // Every child is clean now, so this hashes nothing below.
        let rlp = self.encode();
        let node_ref = if rlp.len() >= 32 {
            let hash = keccak256(&rlp);
            new_nodes.push((hash, rlp.into()));
            NodeRef::Hash(hash)
        } else {
            NodeRef::Inline(rlp)
        };
        self.set_cache(node_ref);
    }

    fn set_cache(&mut self, node_ref: NodeRef) {
        match self {
            Self::Leaf(leaf) => leaf.cache = Some(node_ref),
            Self::Extension(ext) => ext.cache = Some(node_ref),
            Self::Branch(branch) => branch.cache = Some(node_ref),
            Self::Empty | Self::Hash(_) => {}
        }
    }

    /// Decodes the RLP of a node the provider returned for `hash`, checking it hashes to `hash`.
    pub(crate) fn decode(hash: B256, rlp: &[u8]) -> Result<Self, TrieError> {
        if keccak256(rlp) != hash {
            return Err(malformed(hash, "node does not hash to the requested hash"));
        }
        let mut node = decode_node(hash, rlp)?;
        node.set_cache(if rlp.len() >= 32 {
            NodeRef::Hash(hash)
        } else {
            NodeRef::Inline(rlp.to_vec())
        });
        Ok(node)
    }
}

/// Compact (hex-prefix) encoding of a nibble path with the leaf flag.
pub(crate) fn hex_prefix(nibbles: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 0x20 } else { 0x00 };
    let mut out = Vec::with_capacity(nibbles.len() / 2 + 1);
    let rest = if nibbles.len() % 2 == 1 {
        out.push(flag | 0x10 | nibbles[0]);
        &nibbles[1..]
    } else {
        out.push(flag);
        nibbles
    };
    out.extend(rest.chunks_exact(2).map(|pair| (pair[0] << 4) | pair[1]));
    out
}

/// Splits bytes into nibbles.
pub(crate) fn to_nibbles(key: &[u8]) -> Vec<u8> {
    key.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
}

fn malformed(hash: B256, reason: &'static str) -> TrieError {
    TrieError::MalformedNode { hash, reason }
}

/// One RLP item: whether it is a list, its payload, and its full encoding.
fn next_item<'a>(hash: B256, buf: &mut &'a [u8]) -> Result<(bool, &'a [u8], &'a [u8]), TrieError> {
    let start = *buf;
    let header = Header::decode(buf).map_err(|_| malformed(hash, "bad rlp header"))?;
    let payload = buf
        .get(..header.payload_length)
        .ok_or_else(|| malformed(hash, "rlp item too short"))?;
    *buf = &buf[header.payload_length..];
    let raw = &start[..start.len() - buf.len()];
    Ok((header.list, payload, raw))
}

fn decode_hex_prefix(hash: B256, compact: &[u8]) -> Result<(Vec<u8>, bool), TrieError> {
    let (&first, rest) = compact
        .split_first()
        .ok_or_else(|| malformed(hash, "empty path"))?;
    let flag = first >> 4;
    if flag > 3 {
        return Err(malformed(hash, "bad hex-prefix flag"));
    }
    let mut nibbles = Vec::with_capacity(rest.len() * 2 + 1);
    if flag & 1 == 1 {
        nibbles.push(first & 0x0f);
    } else if first & 0x0f != 0 {
        return Err(malformed(hash, "bad hex-prefix padding"));
    }
    nibbles.extend(to_nibbles(rest));
    Ok((nibbles, flag & 2 == 2))
}

/// Decodes a child reference inside a branch or extension.
fn decode_child(hash: B256, is_list: bool, payload: &[u8], raw: &[u8]) -> Result<Node, TrieError> {
    if is_list {
        if raw.len() >= 32 {
            return Err(malformed(hash, "embedded node of 32 bytes or more"));
        }
        let mut node = decode_node(hash, raw)?;
        node.set_cache(NodeRef::Inline(raw.to_vec()));
        return Ok(node);
    }
    match payload.len() {
        0 => Ok(Node::Empty),
        32 => Ok(Node::Hash(B256::from_slice(payload))),
        _ => Err(malformed(
            hash,
            "child reference is neither a hash nor a node",
        )),
    }
}

fn decode_node(hash: B256, rlp: &[u8]) -> Result<Node, TrieError> {
    let mut buf = rlp;
    let (is_list, mut payload, _) = next_item(hash, &mut buf)?;
    if !is_list || !buf.is_empty() {
        return Err(malformed(hash, "node is not a single rlp list"));
    }
    let mut items = Vec::with_capacity(17);
    while !payload.is_empty() {
        if items.len() == 17 {
            return Err(malformed(hash, "node has more than 17 items"));
        }
        items.push(next_item(hash, &mut payload)?);
    }
    match items.as_slice() {
        [(false, compact, _), (child_list, child, child_raw)] => {
            let (path, is_leaf) = decode_hex_prefix(hash, compact)?;
            if is_leaf {
                if *child_list || child.is_empty() {
                    return Err(malformed(hash, "leaf value is a list or empty"));
                }
                Ok(Node::Leaf(Box::new(Leaf {
                    path,
                    value: child.to_vec(),
                    cache: None,
                })))
            } else {
                if path.is_empty() {
                    return Err(malformed(hash, "extension with empty path"));
                }
                let child = decode_child(hash, *child_list, child, child_raw)?;
                if matches!(child, Node::Empty) {
                    return Err(malformed(hash, "extension without child"));
                }
                Ok(Node::extension(path, child))
            }
        }
        [children @ .., (value_list, value, _)] if children.len() == 16 => {
            if *value_list {
                return Err(malformed(hash, "branch value is a list"));
            }
            let mut branch = Box::<Branch>::default();
            for (slot, (is_list, payload, raw)) in branch.children.iter_mut().zip(children) {
                *slot = decode_child(hash, *is_list, payload, raw)?;
            }
            branch.value = (!value.is_empty()).then(|| value.to_vec());
            Ok(Node::Branch(branch))
        }
        _ => Err(malformed(
            hash,
            "node is neither a leaf, an extension nor a branch",
        )),
    }
}
