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
///         `proof` is a concatenation of 1928-byte entries, one per leaf,
///         `addr (8 bytes, big-endian, a multiple of 32) ++ leaf (32) ++ 59 siblings (32 each)`,
///         siblings from the leaf's own upwards, all against the pre-state's memory root.
///         The step reverts if the state is not 370 bytes, `proof` is not a whole number of
///         entries, an entry does not prove its leaf against the root, two entries prove the
///         same leaf, or the instruction touches a leaf that no entry proves.
contract RISCV {
    /// @notice Where fd 5 reads come from.
    IPreimageOracle public immutable oracle;

    uint256 internal constant STATE_LEN = 370;
    uint256 internal constant DEPTH = 59;
    uint256 internal constant PROOF_LEN = 1928; // 8 + 32 + DEPTH * 32
    /// @dev A proven leaf in memory: addr, leaf, dirty flag, then the 59 siblings.
    uint256 internal constant ENTRY_SIZE = 1984; // (3 + DEPTH) * 32
    uint256 internal constant M32 = 0xffffffff;
    uint256 internal constant NO_RESERVATION = M64;
    uint256 internal constant PANIC_EXIT_CODE = 2;
    uint256 internal constant MMAP_BASE = 0x100000000000;
    uint256 internal constant MMAP_LIMIT = 0x700000000000;

    /// @notice The pre-state is not 370 bytes.
    error StateLength();
    /// @notice `proof` is not a whole number of 1928-byte entries.
    error ProofLength();
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

    /// @dev Checks every entry against `root` and copies it to memory.
    function loadProofs(bytes calldata proof, bytes32 root) internal pure returns (Mem memory m) {
        uint256 n = proof.length / PROOF_LEN;
        if (n * PROOF_LEN != proof.length) revert ProofLength();
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(0x40, add(ptr, mul(n, ENTRY_SIZE)))
        }
        for (uint256 i = 0; i < n; i++) {
            uint256 addr;
            bool ok;
            assembly ("memory-safe") {
                let src := add(proof.offset, mul(i, PROOF_LEN))
                addr := shr(192, calldataload(src))
                let node := calldataload(add(src, 8))
                let e := add(ptr, mul(i, ENTRY_SIZE))
                mstore(e, addr)
                mstore(add(e, 0x20), node)
                mstore(add(e, 0x40), 0)
                calldatacopy(add(e, 0x60), add(src, 40), mul(DEPTH, 32))
                let path := shr(5, addr)
                let sibs := add(src, 40)
                for { let h := 0 } lt(h, DEPTH) { h := add(h, 1) } {
                    let sib := calldataload(add(sibs, shl(5, h)))
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
            if (addr & 31 != 0) revert ProofAddressMisaligned(i);
            if (!ok) revert ProofMismatch(i);
            for (uint256 j = 0; j < i; j++) {
                uint256 other;
                assembly ("memory-safe") {
                    other := mload(add(ptr, mul(j, ENTRY_SIZE)))
                }
                if (other == addr) revert DuplicateProof(addr);
            }
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
