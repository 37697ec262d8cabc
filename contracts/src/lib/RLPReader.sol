// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RLPReader
/// @notice A strict, bounds-checked RLP decoder working on memory. Only canonical encodings
///         are accepted (minimal length prefixes, single bytes below 0x80 not wrapped); any
///         malformed input reverts.
library RLPReader {
    /// @notice A view into memory holding exactly one RLP item (prefix included).
    struct Item {
        uint256 ptr; // memory address of the first byte of the encoding
        uint256 len; // total encoded length (prefix + payload)
    }

    error RLPEmptyInput();
    error RLPTruncated();
    error RLPNonCanonical();
    error RLPTrailingBytes();
    error RLPNotAList();
    error RLPNotAString();
    error RLPTooManyItems();

    /// @notice Most items a list may have when decoded with readList (trie branch nodes have 17).
    uint256 internal constant MAX_LIST_ITEMS = 32;

    /// @notice Wraps a byte string that must hold exactly one RLP item.
    function toItem(bytes memory _in) internal pure returns (Item memory item) {
        if (_in.length == 0) revert RLPEmptyInput();
        uint256 ptr;
        assembly {
            ptr := add(_in, 32)
        }
        (, uint256 off, uint256 plen) = _header(ptr, _in.length);
        if (off + plen != _in.length) revert RLPTrailingBytes();
        item = Item(ptr, _in.length);
    }

    /// @notice True if the item is a list.
    function isList(Item memory _item) internal pure returns (bool list) {
        (list,,) = _header(_item.ptr, _item.len);
    }

    /// @notice Decodes a list into its items (each a view into the same memory).
    function readList(Item memory _item) internal pure returns (Item[] memory items) {
        (bool list, uint256 off, uint256 plen) = _header(_item.ptr, _item.len);
        if (!list) revert RLPNotAList();
        items = new Item[](MAX_LIST_ITEMS);
        uint256 count = 0;
        uint256 ptr = _item.ptr + off;
        uint256 remaining = plen;
        while (remaining > 0) {
            if (count == MAX_LIST_ITEMS) revert RLPTooManyItems();
            (, uint256 cOff, uint256 cLen) = _header(ptr, remaining);
            uint256 total = cOff + cLen;
            items[count] = Item(ptr, total);
            unchecked {
                ++count;
                ptr += total;
                remaining -= total; // _header guarantees total <= remaining
            }
        }
        assembly {
            mstore(items, count)
        }
    }

    /// @notice Returns the payload of a string item.
    function readBytes(Item memory _item) internal pure returns (bytes memory out) {
        (bool list, uint256 off, uint256 plen) = _header(_item.ptr, _item.len);
        if (list) revert RLPNotAString();
        out = new bytes(plen);
        uint256 src = _item.ptr + off;
        assembly {
            mcopy(add(out, 32), src, plen)
        }
    }

    /// @notice Returns the full encoding of the item.
    function readRaw(Item memory _item) internal pure returns (bytes memory out) {
        uint256 len = _item.len;
        uint256 src = _item.ptr;
        out = new bytes(len);
        assembly {
            mcopy(add(out, 32), src, len)
        }
    }

    /// @dev Decodes the prefix at `_ptr` with `_avail` bytes available. Returns whether the item
    ///      is a list, the payload offset and the payload length; guarantees off + plen <= _avail.
    function _header(uint256 _ptr, uint256 _avail) private pure returns (bool list, uint256 off, uint256 plen) {
        if (_avail == 0) revert RLPTruncated();
        uint256 b0;
        assembly {
            b0 := byte(0, mload(_ptr))
        }
        if (b0 < 0x80) {
            return (false, 0, 1);
        }
        if (b0 < 0xb8) {
            off = 1;
            plen = b0 - 0x80;
            if (off + plen > _avail) revert RLPTruncated();
            if (plen == 1) {
                uint256 b1;
                assembly {
                    b1 := byte(0, mload(add(_ptr, 1)))
                }
                if (b1 < 0x80) revert RLPNonCanonical();
            }
            return (false, off, plen);
        }
        if (b0 < 0xc0) {
            (off, plen) = _longLength(_ptr, _avail, b0 - 0xb7);
            return (false, off, plen);
        }
        if (b0 < 0xf8) {
            off = 1;
            plen = b0 - 0xc0;
            if (off + plen > _avail) revert RLPTruncated();
            return (true, off, plen);
        }
        (off, plen) = _longLength(_ptr, _avail, b0 - 0xf7);
        return (true, off, plen);
    }

    /// @dev Reads a long-form length of `_lenOfLen` (1..8) bytes following the prefix byte.
    function _longLength(uint256 _ptr, uint256 _avail, uint256 _lenOfLen)
        private
        pure
        returns (uint256 off, uint256 plen)
    {
        off = 1 + _lenOfLen;
        if (off > _avail) revert RLPTruncated();
        uint256 first;
        assembly {
            let word := mload(add(_ptr, 1))
            plen := shr(sub(256, mul(8, _lenOfLen)), word)
            first := byte(0, word)
        }
        if (first == 0 || plen < 56) revert RLPNonCanonical();
        if (off + plen > _avail) revert RLPTruncated();
    }
}
