// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPreimageOracle} from "./PreimageOracle.sol";
import {
    RV64Decode,
    sext,
    M64,
    K_LUI,
    K_AUIPC,
    K_JAL,
    K_JALR,
    K_BRANCH,
    K_LOAD,
    K_STORE,
    K_OPIMM,
    K_OPIMM32,
    K_OP,
    K_OP32,
    K_LR,
    K_SC,
    K_AMO,
    K_FENCE,
    K_ECALL,
    K_PANIC,
    ADD,
    SUB,
    SLL,
    SLT,
    SLTU,
    XOR,
    SRL,
    SRA,
    OR,
    AND,
    MUL,
    MULH,
    MULHSU,
    MULHU,
    DIV,
    DIVU,
    REM,
    REMU
} from "./RV64Decode.sol";

/// @title RISCV
/// @notice The on-chain step of Sprout's fault-proof VM: executes exactly one RV64IMAC
///         instruction (compressed forms included) from a 370-byte pre-state and Merkle proofs
///         of the memory leaves it touches, and returns the post-state hash. The reference
///         model is `verify_step` in the `sprout-fault-proof-vm` crate; its README defines the
///         state encoding, the syscalls, the VM panic cases and the `proof` layout:
///         `proof` is a concatenation of entries, one per leaf,
///         `addr (8 bytes, big-endian, a multiple of 32) ++ leaf (32) ++ mask (8, big-endian)`
///         followed by the siblings whose bit in `mask` is clear (32 bytes each, the leaf's own
///         sibling first); a set bit h stands for the zero-subtree hash Z[h] and its sibling is
///         left out. All against the pre-state's memory root.
///         The step reverts if the state is not 370 bytes, `proof` ends inside an entry, an
///         entry does not prove its leaf against the root, two entries prove the same leaf, or
///         the instruction touches a leaf that no entry proves.
contract RISCV {
    /// @notice Where fd 5 reads come from.
    IPreimageOracle public immutable oracle;

    uint256 internal constant STATE_LEN = 370;
    uint256 internal constant DEPTH = 59;
    /// @dev A proven leaf in memory: addr, leaf, dirty flag, then the 59 siblings.
    uint256 internal constant ENTRY_SIZE = 1984; // (3 + DEPTH) * 32
    uint256 internal constant M32 = 0xffffffff;
    uint256 internal constant NO_RESERVATION = M64;
    uint256 internal constant PANIC_EXIT_CODE = 2;
    uint256 internal constant MMAP_BASE = 0x100000000000;
    uint256 internal constant MMAP_LIMIT = 0x700000000000;
    /// @dev Z[0..59): the roots of all-zero subtrees, Z[0] = 0, Z[h+1] = keccak256(Z[h] ++ Z[h]).
    bytes internal constant ZERO_HASHES = hex"0000000000000000000000000000000000000000000000000000000000000000"
        hex"ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
        hex"b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30"
        hex"21ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85"
        hex"e58769b32a1beaf1ea27375a44095a0d1fb664ce2dd358e7fcbfb78c26a19344"
        hex"0eb01ebfc9ed27500cd4dfc979272d1f0913cc9f66540d7e8005811109e1cf2d"
        hex"887c22bd8750d34016ac3c66b5ff102dacdd73f6b014e710b51e8022af9a1968"
        hex"ffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83"
        hex"9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756af"
        hex"cefad4e508c098b9a7e1d8feb19955fb02ba9675585078710969d3440f5054e0"
        hex"f9dc3e7fe016e050eff260334f18a5d4fe391d82092319f5964f2e2eb7c1c3a5"
        hex"f8b13a49e282f609c317a833fb8d976d11517c571d1221a265d25af778ecf892"
        hex"3490c6ceeb450aecdc82e28293031d10c7d73bf85e57bf041a97360aa2c5d99c"
        hex"c1df82d9c4b87413eae2ef048f94b4d3554cea73d92b0f7af96e0271c691e2bb"
        hex"5c67add7c6caf302256adedf7ab114da0acfe870d449a3a489f781d659e8becc"
        hex"da7bce9f4e8618b6bd2f4132ce798cdc7a60e7e1460a7299e3c6342a579626d2"
        hex"2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f"
        hex"e1d3b5c807b281e4683cc6d6315cf95b9ade8641defcb32372f1c126e398ef7a"
        hex"5a2dce0a8a7f68bb74560f8f71837c2c2ebbcbf7fffb42ae1896f13f7c7479a0"
        hex"b46a28b6f55540f89444f63de0378e3d121be09e06cc9ded1c20e65876d36aa0"
        hex"c65e9645644786b620e2dd2ad648ddfcbf4a7e5b1a3a4ecfe7f64667a3f0b7e2"
        hex"f4418588ed35a2458cffeb39b93d26f18d2ab13bdce6aee58e7b99359ec2dfd9"
        hex"5a9c16dc00d6ef18b7933a6f8dc65ccb55667138776f7dea101070dc8796e377"
        hex"4df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652"
        hex"cdc72595f74c7b1043d0e1ffbab734648c838dfb0527d971b602bc216c9619ef"
        hex"0abf5ac974a1ed57f4050aa510dd9c74f508277b39d7973bb2dfccc5eeb0618d"
        hex"b8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0"
        hex"838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e"
        hex"662ee4dd2dd7b2bc707961b1e646c4047669dcb6584f0d8d770daf5d7e7deb2e"
        hex"388ab20e2573d171a88108e79d820e98f26c0b84aa8b2f4aa4968dbb818ea322"
        hex"93237c50ba75ee485f4c22adf2f741400bdf8d6a9cc7df7ecae576221665d735"
        hex"8448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9"
        hex"27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757"
        hex"bf558bebd2ceec7f3c5dce04a4782f88c2c6036ae78ee206d0bc5289d20461a2"
        hex"e21908c2968c0699040a6fd866a577a99a9d2ec88745c815fd4a472c789244da"
        hex"ae824d72ddc272aab68a8c3022e36f10454437c1886f3ff9927b64f232df414f"
        hex"27e429a4bef3083bc31a671d046ea5c1f5b8c3094d72868d9dfdc12c7334ac5f"
        hex"743cc5c365a9a6a15c1f240ac25880c7a9d1de290696cb766074a1d83d927816"
        hex"4adcf616c3bfabf63999a01966c998b7bb572774035a63ead49da73b5987f347"
        hex"75786645d0c5dd7c04a2f8a75dcae085213652f5bce3ea8b9b9bedd1cab3c5e9"
        hex"b88b152c9b8a7b79637d35911848b0c41e7cc7cca2ab4fe9a15f9c38bb4bb939"
        hex"0c4e2d8ce834ffd7a6cd85d7113d4521abb857774845c4291e6f6d010d97e318"
        hex"5bc799d83e3bb31501b3da786680df30fbc18eb41cbce611e8c0e9c72f69571c"
        hex"a10d3ef857d04d9c03ead7c6317d797a090fa1271ad9c7addfbcb412e9643d4f"
        hex"b33b1809c42623f474055fa9400a2027a7a885c8dfa4efe20666b4ee27d7529c"
        hex"134d7f28d53f175f6bf4b62faa2110d5b76f0f770c15e628181c1fcc18f970a9"
        hex"c34d24b2fc8c50ca9c07a7156ef4e5ff4bdf002eda0b11c1d359d0b59a546807"
        hex"04dbb9db631457879b27e0dfdbe50158fd9cf9b4cf77605c4ac4c95bd65fc9f6"
        hex"f9295a686647cb999090819cda700820c282c613cedcd218540bbc6f37b01c65"
        hex"67c4a1ea624f092a3a5cca2d6f0f0db231972fce627f0ecca0dee60f17551c5f"
        hex"8fdaeb5ab560b2ceb781cdb339361a0fbee1b9dffad59115138c8d6a70dda9cc"
        hex"c1bf0bbdd7fee15764845db875f6432559ff8dbc9055324431bc34e5b93d15da"
        hex"307317849eccd90c0c7b98870b9317c15a5959dcfb84c76dcc908c4fe6ba9212"
        hex"6339bf06e458f6646df5e83ba7c3d35bc263b3222c8e9040068847749ca8e8f9"
        hex"5045e4342aeb521eb3a5587ec268ed3aa6faf32b62b0bc41a9d549521f406fc3"
        hex"08601d83cdd34b5f7b8df63e7b9a16519d35473d0b89c317beed3d3d9424b253"
        hex"84e35c5d92171376cae5c86300822d729cd3a8479583bef09527027dba5f1126"
        hex"3c5cbbeb3834b7a5c1cba9aa5fee0c95ec3f17a33ec3d8047fff799187f5ae20"
        hex"40bbe913c226c34c9fbe4389dd728984257a816892b3cae3e43191dd291f0eb5";

    /// @notice The pre-state is not 370 bytes.
    error StateLength();
    /// @notice `proof` ends inside an entry.
    error ProofLength();
    /// @notice Proof entry `index` has a sibling mask with bits above the tree depth.
    error ProofMask(uint256 index);
    /// @notice Proof entry `index` does not lead to the pre-state's memory root.
    error ProofMismatch(uint256 index);
    /// @notice Proof entry `index` has an address that is not a multiple of 32.
    error ProofAddressMisaligned(uint256 index);
    /// @notice Two proof entries prove the same leaf.
    error DuplicateProof(uint256 addr);
    /// @notice The step touches the leaf at `addr`, and no entry proves it.
    error LeafNotProven(uint256 addr);

    /// @dev Everything but memory; integers are kept in 256-bit words, 64-bit valued.
    struct State {
        bytes32 root;
        bytes32 key;
        uint256 offset;
        uint256 pc;
        uint256 heap;
        uint256 brk;
        uint256 reservation;
        uint256 exitCode;
        bool exited;
        uint256 step;
        uint256[32] regs;
    }

    /// @dev The proven leaves: `n` entries of ENTRY_SIZE bytes from `ptr`.
    struct Mem {
        uint256 ptr;
        uint256 n;
    }

    constructor(IPreimageOracle _oracle) {
        oracle = _oracle;
    }

    /// @notice Executes one instruction from `stateData` and returns the post-state hash
    ///         (keccak256 of the encoding with the status in its first byte). A state that
    ///         has already exited steps to itself. `localContext` localizes type-1 preimage
    ///         keys, together with the caller, as the PreimageOracle's `loadLocalData` does.
    function step(bytes calldata stateData, bytes calldata proof, bytes32 localContext)
        external
        view
        returns (bytes32 postStateHash)
    {
        if (stateData.length != STATE_LEN) revert StateLength();
        State memory s = decodeState(stateData);
        if (s.exited) return preStateHash(stateData);
        Mem memory m = loadProofs(proof, s.root);
        execute(s, m, localContext);
        return stateHash(s, newRoot(m, s.root));
    }

    // ---------------------------------------------------------------- state

    function decodeState(bytes calldata data) internal pure returns (State memory s) {
        assembly ("memory-safe") {
            let o := data.offset
            mstore(s, calldataload(o))
            mstore(add(s, 0x20), calldataload(add(o, 32)))
            mstore(add(s, 0x40), shr(192, calldataload(add(o, 64))))
            mstore(add(s, 0x60), shr(192, calldataload(add(o, 72))))
            mstore(add(s, 0x80), shr(192, calldataload(add(o, 80))))
            mstore(add(s, 0xa0), shr(192, calldataload(add(o, 88))))
            mstore(add(s, 0xc0), shr(192, calldataload(add(o, 96))))
            mstore(add(s, 0xe0), shr(248, calldataload(add(o, 104))))
            mstore(add(s, 0x100), iszero(iszero(shr(248, calldataload(add(o, 105))))))
            mstore(add(s, 0x120), shr(192, calldataload(add(o, 106))))
            let regs := mload(add(s, 0x140))
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                mstore(add(regs, shl(5, i)), shr(192, calldataload(add(o, add(114, shl(3, i))))))
            }
        }
    }

    function status(bool exited, uint256 exitCode) internal pure returns (uint256) {
        if (!exited) return 3;
        return exitCode < 2 ? exitCode : 2;
    }

    function withStatus(bytes32 h, uint256 st) internal pure returns (bytes32) {
        return bytes32((uint256(h) & ~(uint256(0xff) << 248)) | (st << 248));
    }

    function preStateHash(bytes calldata data) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, data.offset, STATE_LEN)
            h := keccak256(p, STATE_LEN)
        }
        uint256 exitCode = uint8(data[104]);
        return withStatus(h, status(data[105] != 0, exitCode));
    }

    function stateHash(State memory s, bytes32 root) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            // Fields in increasing offset order: each mstore's zero tail is overwritten next.
            let p := mload(0x40)
            mstore(p, root)
            mstore(add(p, 32), mload(add(s, 0x20)))
            mstore(add(p, 64), shl(192, mload(add(s, 0x40))))
            mstore(add(p, 72), shl(192, mload(add(s, 0x60))))
            mstore(add(p, 80), shl(192, mload(add(s, 0x80))))
            mstore(add(p, 88), shl(192, mload(add(s, 0xa0))))
            mstore(add(p, 96), shl(192, mload(add(s, 0xc0))))
            mstore(add(p, 104), shl(248, mload(add(s, 0xe0))))
            mstore(add(p, 105), shl(248, mload(add(s, 0x100))))
            mstore(add(p, 106), shl(192, mload(add(s, 0x120))))
            let regs := mload(add(s, 0x140))
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                mstore(add(p, add(114, shl(3, i))), shl(192, mload(add(regs, shl(5, i)))))
            }
            h := keccak256(p, STATE_LEN)
        }
        return withStatus(h, status(s.exited, s.exitCode));
    }

    // ---------------------------------------------------------------- memory proofs

    /// @dev A memory copy of ZERO_HASHES: the address of Z[0].
    function zeroHashes() internal pure returns (uint256 zeros) {
        bytes memory z = ZERO_HASHES;
        assembly ("memory-safe") {
            zeros := add(z, 32)
        }
    }

    /// @dev Checks every entry against `root` and copies it to memory, its left-out siblings
    ///      filled in with the zero-subtree hashes.
    function loadProofs(bytes calldata proof, bytes32 root) internal pure returns (Mem memory m) {
        uint256 zeros = zeroHashes();
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
        }
        uint256 off = 0;
        uint256 n = 0;
        while (off < proof.length) {
            if (proof.length - off < 48) revert ProofLength();
            uint256 e = ptr + n * ENTRY_SIZE;
            uint256 addr;
            uint256 mask;
            uint256 used;
            bool ok;
            assembly ("memory-safe") {
                mstore(0x40, add(e, ENTRY_SIZE))
                let src := add(proof.offset, off)
                addr := shr(192, calldataload(src))
                let node := calldataload(add(src, 8))
                mask := shr(192, calldataload(add(src, 40)))
                mstore(e, addr)
                mstore(add(e, 0x20), node)
                mstore(add(e, 0x40), 0)
                src := add(src, 48)
                let path := shr(5, addr)
                for { let h := 0 } lt(h, DEPTH) { h := add(h, 1) } {
                    let sib
                    switch and(shr(h, mask), 1)
                    case 0 {
                        // Past the end of `proof` this reads other calldata; the length check
                        // below reverts then.
                        sib := calldataload(add(src, shl(5, used)))
                        used := add(used, 1)
                    }
                    default { sib := mload(add(zeros, shl(5, h))) }
                    mstore(add(e, add(0x60, shl(5, h))), sib)
                    switch and(shr(h, path), 1)
                    case 0 {
                        mstore(0, node)
                        mstore(0x20, sib)
                    }
                    default {
                        mstore(0, sib)
                        mstore(0x20, node)
                    }
                    node := keccak256(0, 0x40)
                }
                ok := eq(node, root)
            }
            if (proof.length - off - 48 < used * 32) revert ProofLength();
            if (mask >> DEPTH != 0) revert ProofMask(n);
            if (addr & 31 != 0) revert ProofAddressMisaligned(n);
            if (!ok) revert ProofMismatch(n);
            for (uint256 j = 0; j < n; j++) {
                uint256 other;
                assembly ("memory-safe") {
                    other := mload(add(ptr, mul(j, ENTRY_SIZE)))
                }
                if (other == addr) revert DuplicateProof(addr);
            }
            off += 48 + used * 32;
            n++;
        }
        m.ptr = ptr;
        m.n = n;
    }

    /// @dev The memory pointer of the entry proving the leaf that holds `addr`.
    function entry(Mem memory m, uint256 addr) internal pure returns (uint256 e) {
        uint256 leafAddr = addr & ~uint256(31);
        uint256 ptr = m.ptr;
        uint256 end = ptr + m.n * ENTRY_SIZE;
        for (e = ptr; e < end; e += ENTRY_SIZE) {
            uint256 a;
            assembly ("memory-safe") {
                a := mload(e)
            }
            if (a == leafAddr) return e;
        }
        revert LeafNotProven(leafAddr);
    }

    /// @dev Reverses the 8 bytes of `v`.
    function rev64(uint256 v) internal pure returns (uint256) {
        unchecked {
            v = ((v & 0x00ff00ff00ff00ff) << 8) | ((v >> 8) & 0x00ff00ff00ff00ff);
            v = ((v & 0x0000ffff0000ffff) << 16) | ((v >> 16) & 0x0000ffff0000ffff);
            return ((v << 32) | (v >> 32)) & M64;
        }
    }

    /// @dev Reads `size` (1, 2, 4 or 8) little-endian bytes at the aligned address `addr`.
    function load(Mem memory m, uint256 addr, uint256 size) internal pure returns (uint256) {
        uint256 e = entry(m, addr);
        uint256 leaf;
        assembly ("memory-safe") {
            leaf := mload(add(e, 0x20))
        }
        unchecked {
            uint256 be = (leaf >> (8 * (32 - (addr & 31) - size))) & ((1 << (8 * size)) - 1);
            return rev64(be) >> (8 * (8 - size));
        }
    }

    /// @dev Writes the low `size` (1, 2, 4 or 8) bytes of `value` little-endian at the aligned `addr`.
    function store(Mem memory m, uint256 addr, uint256 size, uint256 value) internal pure {
        unchecked {
            uint256 mask = (1 << (8 * size)) - 1;
            uint256 be = rev64(value & mask) >> (8 * (8 - size));
            uint256 shift = 8 * (32 - (addr & 31) - size);
            writeLeafBits(entry(m, addr), mask << shift, be << shift);
        }
    }

    /// @dev Replaces the bits of the leaf of entry `e` under `mask` with `bits`, marks it dirty.
    function writeLeafBits(uint256 e, uint256 mask, uint256 bits) internal pure {
        assembly ("memory-safe") {
            let p := add(e, 0x20)
            mstore(p, or(and(mload(p), not(mask)), bits))
            mstore(add(e, 0x40), 1)
        }
    }

    /// @dev The memory root after the step: each written leaf is hashed up its path in turn,
    ///      and its path nodes become the siblings of the other entries where their paths meet.
    function newRoot(Mem memory m, bytes32 root) internal pure returns (bytes32 r) {
        r = root;
        uint256 ptr = m.ptr;
        uint256 n = m.n;
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let e := add(ptr, mul(j, ENTRY_SIZE))
                if mload(add(e, 0x40)) {
                    let path := shr(5, mload(e))
                    let node := mload(add(e, 0x20))
                    for { let h := 0 } lt(h, DEPTH) { h := add(h, 1) } {
                        mstore(add(scratch, shl(5, h)), node)
                        let sib := mload(add(e, add(0x60, shl(5, h))))
                        switch and(shr(h, path), 1)
                        case 0 {
                            mstore(0, node)
                            mstore(0x20, sib)
                        }
                        default {
                            mstore(0, sib)
                            mstore(0x20, node)
                        }
                        node := keccak256(0, 0x40)
                    }
                    r := node
                    for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                        if iszero(eq(k, j)) {
                            let f := add(ptr, mul(k, ENTRY_SIZE))
                            // The level where the two paths meet: the highest differing bit.
                            let d := xor(path, shr(5, mload(f)))
                            let h := 0
                            if gt(d, 0xffffffff) {
                                d := shr(32, d)
                                h := 32
                            }
                            if gt(d, 0xffff) {
                                d := shr(16, d)
                                h := add(h, 16)
                            }
                            if gt(d, 0xff) {
                                d := shr(8, d)
                                h := add(h, 8)
                            }
                            if gt(d, 0xf) {
                                d := shr(4, d)
                                h := add(h, 4)
                            }
                            if gt(d, 0x3) {
                                d := shr(2, d)
                                h := add(h, 2)
                            }
                            if gt(d, 0x1) { h := add(h, 1) }
                            mstore(add(f, add(0x60, shl(5, h))), mload(add(scratch, shl(5, h))))
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- execution

    /// @dev A 64-bit value read as signed.
    function sx(uint256 x) internal pure returns (int256) {
        return int256(int64(uint64(x)));
    }

    function panic(State memory s) internal pure {
        s.exited = true;
        s.exitCode = PANIC_EXIT_CODE;
    }

    function setReg(State memory s, uint256 rd, uint256 v) internal pure {
        if (rd != 0) s.regs[rd] = v;
    }

    /// @dev A decoded instruction and its length in bytes.
    struct Instr {
        uint256 kind;
        uint256 op;
        uint256 rd;
        uint256 rs1;
        uint256 rs2;
        uint256 imm;
        uint256 len;
    }

    /// @dev Fetches the instruction at the even `pc`: one 16-bit parcel, and a second one from
    ///      `pc + 2` (possibly the next leaf) when the first says it is 32 bits long.
    function fetch(Mem memory m, uint256 pc) internal pure returns (Instr memory d) {
        unchecked {
            uint256 word = load(m, pc, 2);
            if (word & 3 == 3) {
                word |= load(m, (pc + 2) & M64, 2) << 16;
                unpack(d, RV64Decode.decode32(word));
                d.len = 4;
            } else {
                unpack(d, RV64Decode.decode16(word));
                d.len = 2;
            }
        }
    }

    function unpack(Instr memory d, uint256 p) internal pure {
        d.kind = p & 0xff;
        d.op = (p >> 8) & 0xffff;
        d.rd = (p >> 24) & 31;
        d.rs1 = (p >> 32) & 31;
        d.rs2 = (p >> 40) & 31;
        d.imm = p >> 64;
    }

    function execute(State memory s, Mem memory m, bytes32 localContext) internal view {
        unchecked {
            uint256 pc = s.pc;
            s.step = (s.step + 1) & M64;
            if (pc & 1 != 0) {
                panic(s);
                return;
            }
            Instr memory d = fetch(m, pc);
            uint256 kind = d.kind;
            uint256 next = (pc + d.len) & M64;
            if (kind == K_OPIMM) {
                setReg(s, d.rd, alu(d.op, s.regs[d.rs1], d.imm));
            } else if (kind == K_OP) {
                setReg(s, d.rd, alu(d.op, s.regs[d.rs1], s.regs[d.rs2]));
            } else if (kind == K_OPIMM32) {
                setReg(s, d.rd, alu32(d.op, s.regs[d.rs1], d.imm));
            } else if (kind == K_OP32) {
                setReg(s, d.rd, alu32(d.op, s.regs[d.rs1], s.regs[d.rs2]));
            } else if (kind == K_LOAD) {
                uint256 addr = (s.regs[d.rs1] + d.imm) & M64;
                uint256 size = 1 << (d.op & 3);
                if (addr & (size - 1) != 0) {
                    panic(s);
                    return;
                }
                uint256 v = load(m, addr, size);
                setReg(s, d.rd, d.op < 3 ? sext(v, 8 * size) : v);
            } else if (kind == K_STORE) {
                uint256 addr = (s.regs[d.rs1] + d.imm) & M64;
                uint256 size = 1 << d.op;
                if (addr & (size - 1) != 0) {
                    panic(s);
                    return;
                }
                store(m, addr, size, s.regs[d.rs2]);
            } else if (kind == K_BRANCH) {
                if (taken(d.op, s.regs[d.rs1], s.regs[d.rs2])) next = (pc + d.imm) & M64;
            } else if (kind == K_JAL) {
                setReg(s, d.rd, next);
                next = (pc + d.imm) & M64;
            } else if (kind == K_JALR) {
                uint256 target = (s.regs[d.rs1] + d.imm) & (M64 - 1);
                setReg(s, d.rd, next);
                next = target;
            } else if (kind == K_LUI) {
                setReg(s, d.rd, d.imm);
            } else if (kind == K_AUIPC) {
                setReg(s, d.rd, (pc + d.imm) & M64);
            } else if (kind == K_LR || kind == K_SC || kind == K_AMO) {
                if (!atomic(s, m, d)) {
                    panic(s);
                    return;
                }
            } else if (kind == K_ECALL) {
                syscall(s, m, localContext);
                if (s.exited) return;
            } else if (kind == K_PANIC) {
                panic(s);
                return;
            }
            // K_FENCE: nothing.
            s.pc = next;
        }
    }

    function taken(uint256 f3, uint256 a, uint256 b) internal pure returns (bool) {
        if (f3 == 0) return a == b;
        if (f3 == 1) return a != b;
        if (f3 == 4) return sx(a) < sx(b);
        if (f3 == 5) return sx(a) >= sx(b);
        if (f3 == 6) return a < b;
        return a >= b;
    }

    /// @dev 64-bit ALU; division never traps (RISC-V results for x/0 and overflow).
    function alu(uint256 op, uint256 a, uint256 b) internal pure returns (uint256) {
        unchecked {
            if (op == ADD) return (a + b) & M64;
            if (op == SUB) return (a - b) & M64;
            if (op == SLL) return (a << (b & 63)) & M64;
            if (op == SLT) return sx(a) < sx(b) ? 1 : 0;
            if (op == SLTU) return a < b ? 1 : 0;
            if (op == XOR) return a ^ b;
            if (op == SRL) return a >> (b & 63);
            if (op == SRA) return uint256(sx(a) >> (b & 63)) & M64;
            if (op == OR) return a | b;
            if (op == AND) return a & b;
            if (op == MUL) return (a * b) & M64;
            if (op == MULH) return uint256((sx(a) * sx(b)) >> 64) & M64;
            if (op == MULHSU) return uint256((sx(a) * int256(b)) >> 64) & M64;
            if (op == MULHU) return (a * b) >> 64;
            if (op == DIV) return b == 0 ? M64 : uint256(sx(a) / sx(b)) & M64;
            if (op == DIVU) return b == 0 ? M64 : a / b;
            if (op == REM) return b == 0 ? a : uint256(sx(a) % sx(b)) & M64;
            return b == 0 ? a : a % b;
        }
    }

    /// @dev The W ALU: low 32 bits, result sign-extended to 64.
    function alu32(uint256 op, uint256 a, uint256 b) internal pure returns (uint256) {
        unchecked {
            uint256 x = a & M32;
            uint256 y = b & M32;
            int256 sa = int256(int32(uint32(x)));
            int256 sb = int256(int32(uint32(y)));
            uint256 r;
            if (op == ADD) r = x + y;
            else if (op == SUB) r = x - y;
            else if (op == SLL) r = x << (y & 31);
            else if (op == SRL) r = x >> (y & 31);
            else if (op == SRA) r = uint256(sa >> (y & 31));
            else if (op == MUL) r = x * y;
            else if (op == DIV) r = y == 0 ? M32 : uint256(sa / sb);
            else if (op == DIVU) r = y == 0 ? M32 : x / y;
            else if (op == REM) r = y == 0 ? x : uint256(sa % sb);
            else if (op == REMU) r = y == 0 ? x : x % y;
            else r = alu(op, a, b);
            return sext(r & M32, 32);
        }
    }

    /// @dev LR, SC and the AMOs. Returns false (a VM panic) on a misaligned address.
    function atomic(State memory s, Mem memory m, Instr memory d) internal pure returns (bool) {
        unchecked {
            uint256 kind = d.kind;
            bool dbl = kind == K_AMO ? d.op >> 8 == 1 : d.op == 1;
            uint256 size = dbl ? 8 : 4;
            uint256 addr = s.regs[d.rs1];
            if (addr & (size - 1) != 0) return false;
            if (kind == K_LR) {
                setReg(s, d.rd, sext(load(m, addr, size), 8 * size));
                s.reservation = addr;
            } else if (kind == K_SC) {
                bool ok = s.reservation == addr;
                s.reservation = NO_RESERVATION;
                if (ok) store(m, addr, size, s.regs[d.rs2]);
                setReg(s, d.rd, ok ? 0 : 1);
            } else {
                uint256 old = sext(load(m, addr, size), 8 * size);
                uint256 src = s.regs[d.rs2];
                setReg(s, d.rd, old);
                store(m, addr, size, amo(d.op & 0xff, dbl, old, src));
            }
            return true;
        }
    }

    /// @dev The value an AMO stores, from the sign-extended old value and rs2.
    function amo(uint256 f5, bool dbl, uint256 old, uint256 src) internal pure returns (uint256) {
        unchecked {
            if (!dbl) src = sext(src & M32, 32);
            if (f5 == 1) return src;
            if (f5 == 0) return (old + src) & M64;
            if (f5 == 4) return old ^ src;
            if (f5 == 0xc) return old & src;
            if (f5 == 8) return old | src;
            if (f5 == 0x10) return sx(old) < sx(src) ? old : src;
            if (f5 == 0x14) return sx(old) > sx(src) ? old : src;
            if (!dbl) {
                old &= M32;
                src &= M32;
            }
            if (f5 == 0x18) return old < src ? old : src;
            return old > src ? old : src;
        }
    }

    // ---------------------------------------------------------------- syscalls

    function errno(uint256 e) internal pure returns (uint256) {
        unchecked {
            return (0 - e) & M64;
        }
    }

    /// @dev ECALL: number in a7, arguments in a0..a5, result in a0 (see the crate's README).
    function syscall(State memory s, Mem memory m, bytes32 localContext) internal view {
        unchecked {
            uint256 nr = s.regs[17];
            uint256 a0 = s.regs[10];
            uint256 a1 = s.regs[11];
            uint256 a2 = s.regs[12];
            uint256 ret;
            if (nr == 93 || nr == 94) {
                // exit, exit_group
                s.exited = true;
                s.exitCode = a0 & 0xff;
                return;
            } else if (nr == 63) {
                // read
                if (a0 == 0) ret = 0;
                else if (a0 == 3) ret = a2;
                else if (a0 == 5) ret = readPreimage(s, m, a1, a2, localContext);
                else ret = errno(9);
            } else if (nr == 64) {
                // write
                if (a0 == 1 || a0 == 2 || a0 == 4) {
                    ret = a2 < (1 << 20) ? a2 : (1 << 20);
                } else if (a0 == 6) {
                    ret = writePreimageKey(s, m, a1, a2);
                } else {
                    ret = errno(9);
                }
            } else if (nr == 222) {
                // mmap(addr, len, prot, flags, fd, offset)
                ret = mmap(s, a1, s.regs[13]);
            } else if (nr == 214) {
                // brk
                if (a0 > s.brk && a0 <= MMAP_BASE) s.brk = a0;
                ret = s.brk;
            } else if (nr == 113) {
                // clock_gettime(clock, tp): a zero timespec
                if (a1 & 7 != 0) {
                    ret = errno(14);
                } else {
                    store(m, a1, 8, 0);
                    store(m, (a1 + 8) & M64, 8, 0);
                    ret = 0;
                }
            } else {
                ret = errno(38);
            }
            s.regs[10] = ret;
        }
    }

    function mmap(State memory s, uint256 len, uint256 flags) internal pure returns (uint256) {
        unchecked {
            // MAP_ANONYMOUS set, MAP_FIXED clear, len > 0.
            if (flags & 0x20 == 0 || flags & 0x10 != 0 || len == 0) return errno(22);
            uint256 end = s.heap + ((len + 4095) & ~uint256(4095));
            if (end > MMAP_LIMIT) return errno(12);
            uint256 addr = s.heap;
            s.heap = end;
            return addr;
        }
    }

    /// @dev fd 6: shifts up to the rest of `addr`'s leaf into the key; resets the offset.
    function writePreimageKey(State memory s, Mem memory m, uint256 addr, uint256 count)
        internal
        pure
        returns (uint256 n)
    {
        unchecked {
            uint256 o = addr & 31;
            n = count < 32 - o ? count : 32 - o;
            uint256 e = entry(m, addr);
            uint256 leaf;
            assembly ("memory-safe") {
                leaf := mload(add(e, 0x20))
            }
            uint256 bytes_ = n == 0 ? 0 : (leaf >> (8 * (32 - o - n))) & (type(uint256).max >> (256 - 8 * n));
            uint256 kept = n == 32 ? 0 : uint256(s.key) << (8 * n);
            s.key = bytes32(kept | bytes_);
            s.offset = 0;
        }
    }

    /// @dev fd 5: copies `min(32, remaining, count, 32 - addr % 32)` bytes of the current
    ///      preimage's part at the state's offset to `addr`, and advances the offset.
    function readPreimage(State memory s, Mem memory m, uint256 addr, uint256 count, bytes32 localContext)
        internal
        view
        returns (uint256 n)
    {
        unchecked {
            bytes32 key = s.key;
            if (uint8(key[0]) == 1) {
                key = bytes32(
                    (uint256(keccak256(abi.encode(key, msg.sender, localContext))) & ~(uint256(0xff) << 248))
                        | (uint256(1) << 248)
                );
            }
            (bytes32 dat, uint256 datLen) = oracle.readPreimage(key, s.offset);
            uint256 o = addr & 31;
            n = datLen < 32 ? datLen : 32;
            if (count < n) n = count;
            if (32 - o < n) n = 32 - o;
            if (n > 0) {
                uint256 shift = 8 * (32 - o - n);
                uint256 mask = type(uint256).max >> (256 - 8 * n);
                writeLeafBits(entry(m, addr), mask << shift, ((uint256(dat) >> (256 - 8 * n)) & mask) << shift);
            }
            uint256 next = s.offset + n;
            s.offset = next > M64 ? M64 : next;
        }
    }
}
