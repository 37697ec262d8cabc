// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RLPReader} from "./RLPReader.sol";

/// @title MPT
/// @notice Inclusion proofs for Ethereum's Merkle-Patricia trie, in the `eth_getProof` format:
///         `proof` lists the RLP of every node that is referenced by hash on the path from the
///         root, root first. Nodes shorter than 32 bytes embedded in their parent are followed
///         in place. Every malformed or non-matching proof reverts; a proof may not carry
///         unused trailing nodes.
library MPT {
    error MPTEmptyProof();
    error MPTBadRootHash();
    error MPTBadNodeHash();
    error MPTMissingNode();
    error MPTUnusedProofNodes();
    error MPTBadNode();
    error MPTKeyNotFound();

    /// @notice Value stored under `_key` (raw key, not hashed) in the trie with root `_root`.
    ///         Reverts unless the proof shows the key is present.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root) internal pure returns (bytes memory value) {
        if (_proof.length == 0) revert MPTEmptyProof();
        if (keccak256(_proof[0]) != _root) revert MPTBadRootHash();

        bytes memory path = _toNibbles(_key);
        uint256 k = 0; // nibbles of `path` consumed
        uint256 idx = 0; // proof element holding the current node
        RLPReader.Item memory node = RLPReader.toItem(_proof[0]);

        while (true) {
            RLPReader.Item[] memory items = RLPReader.readList(node);
            RLPReader.Item memory child;
            if (items.length == 17) {
                // Branch node.
                if (k == path.length) {
                    value = RLPReader.readBytes(items[16]);
                    if (value.length == 0) revert MPTKeyNotFound();
                    break;
                }
                child = items[uint8(path[k])];
                unchecked {
                    ++k;
                }
            } else if (items.length == 2) {
                // Leaf or extension node: hex-prefix encoded partial path.
                bytes memory hp = RLPReader.readBytes(items[0]);
                if (hp.length == 0) revert MPTBadNode();
                uint8 flag = uint8(hp[0]) >> 4;
                if (flag > 3) revert MPTBadNode();
                bool odd = (flag & 1) == 1;
                bool leaf = flag >= 2;
                if (!odd && (uint8(hp[0]) & 0x0f) != 0) revert MPTBadNode();
                uint256 start = odd ? 1 : 2; // first nibble of the partial path within hp
                uint256 n = hp.length * 2 - start;
                if (k + n > path.length) revert MPTKeyNotFound();
                for (uint256 i = 0; i < n; i++) {
                    if (_nibble(hp, start + i) != uint8(path[k + i])) revert MPTKeyNotFound();
                }
                k += n;
                if (leaf) {
                    if (k != path.length) revert MPTKeyNotFound();
                    value = RLPReader.readBytes(items[1]);
                    if (value.length == 0) revert MPTBadNode();
                    break;
                }
                if (n == 0) revert MPTBadNode();
                child = items[1];
            } else {
                revert MPTBadNode();
            }

            // Follow the child reference.
            if (RLPReader.isList(child)) {
                // Embedded node: only valid when its encoding is shorter than a hash.
                if (child.len >= 32) revert MPTBadNode();
                node = child;
            } else {
                bytes memory ref = RLPReader.readBytes(child);
                if (ref.length == 0) revert MPTKeyNotFound();
                if (ref.length != 32) revert MPTBadNode();
                unchecked {
                    ++idx;
                }
                if (idx >= _proof.length) revert MPTMissingNode();
                if (keccak256(_proof[idx]) != bytes32(ref)) revert MPTBadNodeHash();
                node = RLPReader.toItem(_proof[idx]);
            }
        }
        if (idx != _proof.length - 1) revert MPTUnusedProofNodes();
    }

    /// @notice Value under keccak256(_key) in a secure trie (state and storage tries).
    function getSecure(bytes memory _key, bytes[] memory _proof, bytes32 _root) internal pure returns (bytes memory) {
        return get(abi.encodePacked(keccak256(_key)), _proof, _root);
    }

    /// @notice True if the proof shows `_value` under `_key`; reverts on malformed or non-matching proofs.
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        return keccak256(get(_key, _proof, _root)) == keccak256(_value);
    }

    /// @notice Secure-trie variant of verifyInclusionProof (key hashed with keccak256 first).
    function verifySecureInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool)
    {
        return keccak256(getSecure(_key, _proof, _root)) == keccak256(_value);
    }

    function _toNibbles(bytes memory _b) private pure returns (bytes memory out) {
        out = new bytes(_b.length * 2);
        for (uint256 i = 0; i < _b.length; i++) {
            out[2 * i] = bytes1(uint8(_b[i]) >> 4);
            out[2 * i + 1] = bytes1(uint8(_b[i]) & 0x0f);
        }
    }

    function _nibble(bytes memory _b, uint256 _i) private pure returns (uint8) {
        uint8 v = uint8(_b[_i / 2]);
        return _i % 2 == 0 ? v >> 4 : v & 0x0f;
    }
}
