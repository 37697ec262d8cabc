//! The on-chain step against the emulator: `RISCV.sol` and `PreimageOracle.sol`, deployed from
//! `contracts/artifacts/*.json` into an in-memory revm, must return the emulator's post-state
//! hash for every step we witness, and revert on tampered proofs.
//!
//! The steps are the first occurrence of every instruction kind (compressed forms, syscalls and
//! their fds, taken and untaken branches, SC success and failure, leaf-crossing fetches) in the
//! test programs, samples spread over each run, and synthetic steps that cover every encoding,
//! syscall path and VM panic case on their own. Gas per step is printed (`--nocapture`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use alloy_primitives::{Address, B256, Bytes, U256, address, hex};
use alloy_sol_types::SolCall;
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
    handler::{MainnetContext, MainnetEvm},
    primitives::{TxKind, hardfork::SpecId},
};
use sprout_fault_proof_vm::{
    MapOracle, Memory, STATE_LEN, State, StepWitness, Vm,
    decode::{Instr, decode},
    keccak256_key, local_key,
    run::load_elf,
    state::NO_RESERVATION,
    state_hash,
    vm::MMAP_BASE,
};

mod abi {
    alloy_sol_types::sol!(RISCV, "../../contracts/artifacts/RISCV.json");
    alloy_sol_types::sol!(
        PreimageOracle,
        "../../contracts/artifacts/PreimageOracle.json"
    );
}

const CALLER: Address = address!("0x00000000000000000000000000000000005eed01");
const CONTEXT: B256 = B256::repeat_byte(0x5c);

fn program(name: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../programs/target/riscv64imac-unknown-none-elf/release")
        .join(name);
    assert!(
        path.is_file(),
        "test program {} is missing: run fault-proof/programs/build.sh first",
        path.display()
    );
    path
}

fn artifact_bytecode(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../contracts/artifacts/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("artifact (run contracts/script/build.sh)");
    let json: serde_json::Value = serde_json::from_str(&text).expect("artifact JSON");
    let code = json["bytecode"].as_str().expect("bytecode field");
    hex::decode(code).expect("bytecode hex")
}

/// An in-memory chain with the oracle and the step contract deployed.
struct Chain {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    nonce: u64,
    oracle: Address,
    riscv: Address,
    loaded: HashSet<(B256, u64)>,
}

/// Gas of one `step` transaction.
#[derive(Clone, Copy)]
struct Gas {
    /// What the transaction pays: intrinsic 21000 and calldata, execution, or the EIP-7623
    /// calldata floor when that is higher.
    tx: u64,
    /// Execution alone: the standard gas minus 21000 and the 4/16 per calldata byte.
    exec: u64,
}

/// The outcome of one `step` call.
enum Stepped {
    Hash { hash: B256, gas: Gas },
    Reverted(Bytes),
}

impl Chain {
    fn new() -> Self {
        let cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        let block = BlockEnv {
            gas_limit: 1 << 40,
            ..Default::default()
        };
        let evm = Context::mainnet()
            .with_cfg(cfg)
            .with_block(block)
            .with_db(CacheDB::new(EmptyDB::default()))
            .build_mainnet();
        let mut chain = Self {
            evm,
            nonce: 0,
            oracle: Address::ZERO,
            riscv: Address::ZERO,
            loaded: HashSet::new(),
        };
        chain.oracle = chain.deploy(artifact_bytecode("PreimageOracle"));
        let mut code = artifact_bytecode("RISCV");
        code.extend_from_slice(chain.oracle.into_word().as_slice());
        chain.riscv = chain.deploy(code);
        chain
    }

    fn transact(&mut self, kind: TxKind, data: Vec<u8>) -> ExecutionResult {
        let tx = TxEnv {
            caller: CALLER,
            kind,
            data: data.into(),
            gas_limit: 30_000_000,
            nonce: self.nonce,
            ..Default::default()
        };
        let result = self.evm.transact_commit(tx).expect("revm accepts the tx");
        self.nonce += 1;
        result
    }

    fn deploy(&mut self, code: Vec<u8>) -> Address {
        let result = self.transact(TxKind::Create, code);
        assert!(result.is_success(), "deployment failed: {result:?}");
        result.created_address().expect("created address")
    }

    fn call(&mut self, to: Address, data: Vec<u8>) -> ExecutionResult {
        self.transact(TxKind::Call(to), data)
    }

    /// Loads the preimage part a step reads (once per key and offset).
    fn preload(&mut self, w: &StepWitness) {
        let Some(p) = &w.preimage else { return };
        let len = p.data.len() as u64;
        // At or past the end, any part makes the length known (then the read is EOF).
        let part = if p.offset < len + 8 { p.offset } else { 0 };
        if !self.loaded.insert((p.key, part)) {
            return;
        }
        let data = match p.key[0] {
            2 => abi::PreimageOracle::loadKeccak256PreimagePartCall {
                partOffset: U256::from(part),
                preimage: p.data.clone(),
            }
            .abi_encode(),
            1 => {
                assert!(p.data.len() <= 32, "local data is at most 32 bytes");
                let mut word = [0u8; 32];
                word[..p.data.len()].copy_from_slice(&p.data);
                abi::PreimageOracle::loadLocalDataCall {
                    ident: U256::from_be_bytes(p.key.0),
                    localContext: CONTEXT,
                    word: B256::from(word),
                    size: U256::from(len),
                    partOffset: U256::from(part),
                }
                .abi_encode()
            }
            t => panic!("no way to load key type {t}"),
        };
        let result = self.call(self.oracle, data);
        assert!(result.is_success(), "preimage load failed: {result:?}");
    }

    fn step_raw(&mut self, state: &[u8], proof: &[u8]) -> Stepped {
        let data = abi::RISCV::stepCall {
            stateData: Bytes::copy_from_slice(state),
            proof: Bytes::copy_from_slice(proof),
            localContext: CONTEXT,
        }
        .abi_encode();
        let calldata: u64 = data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum();
        let result = self.call(self.riscv, data);
        let gas = Gas {
            tx: result.tx_gas_used(),
            exec: result.gas().total_gas_spent() - 21_000 - calldata,
        };
        match result {
            ExecutionResult::Success { output, .. } => {
                let out = output.into_data();
                let hash = abi::RISCV::stepCall::abi_decode_returns(&out).expect("bytes32 output");
                Stepped::Hash { hash, gas }
            }
            ExecutionResult::Revert { output, .. } => Stepped::Reverted(output),
            ExecutionResult::Halt { reason, .. } => panic!("step halted: {reason:?}"),
        }
    }

    /// Runs `w` on chain and requires the emulator's post-state hash; returns the gas used.
    fn check(&mut self, what: &str, w: &StepWitness) -> Gas {
        self.preload(w);
        match self.step_raw(w.state_bytes(), &w.proof_bytes()) {
            Stepped::Hash { hash, gas } => {
                assert_eq!(
                    hash, w.post_state_hash,
                    "{what}: step {} on chain differs from the emulator",
                    w.step
                );
                gas
            }
            Stepped::Reverted(out) => panic!("{what}: step {} reverted: {out}", w.step),
        }
    }

    fn expect_revert(&mut self, what: &str, state: &[u8], proof: &[u8]) {
        if let Stepped::Hash { hash, .. } = self.step_raw(state, proof) {
            panic!("{what}: accepted, gave {hash}");
        }
    }
}

/// A name for what the instruction at the VM's pc is, fine enough that its first occurrence
/// is worth a witness: the decoded kind and op, the compressed form, the syscall and fd, a
/// branch's outcome, an SC's outcome, and whether the fetch crosses a leaf.
fn kind_of<O: sprout_fault_proof_vm::PreimageOracle>(vm: &Vm<O>) -> String {
    let s = &vm.state;
    let pc = s.pc;
    if pc & 1 == 1 {
        return "odd pc".into();
    }
    let bytes = vm.memory.read_bytes(pc, 4);
    let word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let (instr, len) = decode(word);
    let r = |i: u8| s.regs[i as usize];
    let mut key = match instr {
        Instr::Branch { op, rs1, rs2, .. } => {
            let (a, b) = (r(rs1), r(rs2));
            let taken = match op {
                sprout_fault_proof_vm::decode::BranchOp::Eq => a == b,
                sprout_fault_proof_vm::decode::BranchOp::Ne => a != b,
                sprout_fault_proof_vm::decode::BranchOp::Lt => (a as i64) < (b as i64),
                sprout_fault_proof_vm::decode::BranchOp::Ge => (a as i64) >= (b as i64),
                sprout_fault_proof_vm::decode::BranchOp::Ltu => a < b,
                sprout_fault_proof_vm::decode::BranchOp::Geu => a >= b,
            };
            format!("Branch {op:?} taken={taken}")
        }
        Instr::Load { op, .. } => format!("Load {op:?}"),
        Instr::Store { op, .. } => format!("Store {op:?}"),
        Instr::OpImm { op, .. } => format!("OpImm {op:?}"),
        Instr::OpImm32 { op, .. } => format!("OpImm32 {op:?}"),
        Instr::Op { op, .. } => format!("Op {op:?}"),
        Instr::Op32 { op, .. } => format!("Op32 {op:?}"),
        Instr::Lr { double, .. } => format!("Lr double={double}"),
        Instr::Sc { double, rs1, .. } => {
            format!("Sc double={double} ok={}", s.load_reservation == r(rs1))
        }
        Instr::Amo { op, double, .. } => format!("Amo {op:?} double={double}"),
        Instr::Ecall => match r(17) {
            63 | 64 => format!("Ecall {} fd={}", r(17), r(10)),
            nr => format!("Ecall {nr}"),
        },
        Instr::Unsupported(u) => format!("Unsupported {u:?}"),
        other => {
            let d = format!("{other:?}");
            d.split([' ', '{']).next().unwrap_or_default().to_string()
        }
    };
    if len == 2 {
        let h = word as u16;
        let b12 = if h & 3 == 2 && h >> 13 == 4 {
            format!(" b12={}", (h >> 12) & 1)
        } else {
            String::new()
        };
        key = format!("C q{} f{}{b12} {key}", h & 3, h >> 13);
    } else if pc % 32 == 30 {
        key.push_str(" cross-leaf");
    }
    key
}

/// What a walk over a program collected.
struct Walk {
    witnesses: Vec<(String, StepWitness)>,
    final_state: [u8; STATE_LEN],
}

/// Runs `name` to the end, witnessing the first occurrence of every kind, the first step, the
/// last step and every `every`-th step.
fn walk(name: &str, oracle: MapOracle, every: u64) -> Walk {
    let elf = load_elf(&program(name)).expect("ELF");
    let mut vm = Vm::new(&elf, oracle);
    let mut seen = HashSet::new();
    let mut witnesses = Vec::new();
    while !vm.state.exited {
        let key = kind_of(&vm);
        let step = vm.state.step;
        if seen.insert(key.clone()) || step.is_multiple_of(every) {
            let w = vm.step_with_witness().expect("witness");
            witnesses.push((key, w));
        } else {
            vm.step().expect("step");
        }
    }
    // The last step: the exit syscall or the panic, witnessed as a kind of its own above
    // unless the same kind ran before; witness it again from a replay if needed.
    let last = vm.state.step - 1;
    if witnesses.last().is_none_or(|(_, w)| w.step != last) {
        let mut replay = Vm::new(&elf, vm.oracle().clone());
        replay.run(Some(last)).expect("replay");
        let w = replay
            .step_with_witness()
            .expect("witness of the last step");
        witnesses.push(("last step".into(), w));
    }
    Walk {
        witnesses,
        final_state: vm.encode_state(),
    }
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

// ------------------------------------------------------------------------------------------
// Synthetic steps: one instruction at a chosen pc with chosen registers and memory.

const CODE: u64 = 0x1_0000;
const DATA: u64 = 0x10_0000;

/// Registers x1..x31 point into the data area, 256 bytes apart (8-aligned).
fn default_regs() -> [u64; 32] {
    let mut regs = [0u64; 32];
    for (i, r) in regs.iter_mut().enumerate().skip(1) {
        *r = DATA + 0x100 * i as u64;
    }
    regs
}

/// A VM about to execute `code` at `pc`, data area filled with a byte pattern.
fn synth_vm(code: &[u8], pc: u64, oracle: MapOracle) -> Vm<MapOracle> {
    let mut memory = Memory::new();
    let pattern: Vec<u8> = (0..0x3000u32).map(|i| (i * 37 + 0x81) as u8).collect();
    memory.write_bytes(DATA, &pattern);
    memory.write_bytes(pc, code);
    let state = State {
        pc,
        regs: default_regs(),
        preimage_key: B256::ZERO,
        preimage_offset: 0,
        heap: MMAP_BASE,
        brk: 0x20_0000,
        load_reservation: NO_RESERVATION,
        exit_code: 0,
        exited: false,
        step: 1000,
    };
    Vm::from_parts(state, memory, oracle)
}

fn le32(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn r_type(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc
}

fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, opc: u32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc
}

fn s_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 5) & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | ((imm & 0x1f) << 7)
        | 0x23
}

fn b_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 12) & 1) << 31)
        | (((imm >> 5) & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (((imm >> 1) & 0xf) << 8)
        | (((imm >> 11) & 1) << 7)
        | 0x63
}

fn j_type(imm: i32, rd: u32) -> u32 {
    let imm = imm as u32;
    (((imm >> 20) & 1) << 31)
        | (((imm >> 1) & 0x3ff) << 21)
        | (((imm >> 11) & 1) << 20)
        | (((imm >> 12) & 0xff) << 12)
        | (rd << 7)
        | 0x6f
}

fn amo_word(f5: u32, rs2: u32, rs1: u32, double: bool, rd: u32) -> u32 {
    (f5 << 27) | (rs2 << 20) | (rs1 << 15) | ((2 + u32::from(double)) << 12) | (rd << 7) | 0x2f
}

/// Prepares a synthetic VM (registers, reservation, preimage key) before its step.
type Setup = Box<dyn Fn(&mut Vm<MapOracle>)>;

/// A synthetic case: a name, the code, its pc, and a setup of the VM before the step.
struct Case {
    name: String,
    code: Vec<u8>,
    pc: u64,
    oracle: MapOracle,
    setup: Setup,
}

fn case(
    name: impl Into<String>,
    code: Vec<u8>,
    setup: impl Fn(&mut Vm<MapOracle>) + 'static,
) -> Case {
    Case {
        name: name.into(),
        code,
        pc: CODE,
        oracle: MapOracle::new(),
        setup: Box::new(setup),
    }
}

fn plain(name: impl Into<String>, word: u32) -> Case {
    case(name, le32(&[word]), |_| {})
}

fn with_regs(name: impl Into<String>, word: u32, regs: &[(usize, u64)]) -> Case {
    let regs = regs.to_vec();
    case(name, le32(&[word]), move |vm| {
        for &(i, v) in &regs {
            vm.state.regs[i] = v;
        }
    })
}

const OPERANDS: [u64; 6] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    0x7fff_ffff,
    0xffff_ffff_8000_0000,
];

/// Every 32-bit encoding kind, with operands that reach the edge cases.
fn cases_32() -> Vec<Case> {
    let mut v = Vec::new();
    // OP and OP-32: (funct7, funct3) for each op.
    let op = [
        ("add", 0, 0),
        ("sub", 0x20, 0),
        ("sll", 0, 1),
        ("slt", 0, 2),
        ("sltu", 0, 3),
        ("xor", 0, 4),
        ("srl", 0, 5),
        ("sra", 0x20, 5),
        ("or", 0, 6),
        ("and", 0, 7),
        ("mul", 1, 0),
        ("mulh", 1, 1),
        ("mulhsu", 1, 2),
        ("mulhu", 1, 3),
        ("div", 1, 4),
        ("divu", 1, 5),
        ("rem", 1, 6),
        ("remu", 1, 7),
    ];
    for (name, f7, f3) in op {
        for a in OPERANDS {
            for b in OPERANDS {
                v.push(with_regs(
                    format!("{name} {a:#x} {b:#x}"),
                    r_type(f7, 7, 6, f3, 5, 0x33),
                    &[(6, a), (7, b)],
                ));
            }
        }
        let w =
            matches!(f7, 0 | 0x20) && matches!(f3, 0 | 1 | 5) || f7 == 1 && (f3 == 0 || f3 >= 4);
        if w {
            for a in OPERANDS {
                for b in OPERANDS {
                    v.push(with_regs(
                        format!("{name}w {a:#x} {b:#x}"),
                        r_type(f7, 7, 6, f3, 5, 0x3b),
                        &[(6, a), (7, b)],
                    ));
                }
            }
        }
    }
    // OP-IMM and OP-IMM-32.
    for (name, f3) in [
        ("addi", 0),
        ("slti", 2),
        ("sltiu", 3),
        ("xori", 4),
        ("ori", 6),
        ("andi", 7),
    ] {
        for imm in [-2048, -1, 0, 1, 2047] {
            for a in OPERANDS {
                v.push(with_regs(
                    format!("{name} {a:#x} {imm}"),
                    i_type(imm, 6, f3, 5, 0x13),
                    &[(6, a)],
                ));
            }
        }
    }
    for a in OPERANDS {
        for sh in [0, 1, 31, 32, 63] {
            v.push(with_regs(
                format!("slli {sh}"),
                i_type(sh, 6, 1, 5, 0x13),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srli {sh}"),
                i_type(sh, 6, 5, 5, 0x13),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srai {sh}"),
                i_type(0x400 | sh, 6, 5, 5, 0x13),
                &[(6, a)],
            ));
        }
        for sh in [0, 1, 31] {
            v.push(with_regs(
                format!("slliw {sh}"),
                i_type(sh, 6, 1, 5, 0x1b),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("srliw {sh}"),
                i_type(sh, 6, 5, 5, 0x1b),
                &[(6, a)],
            ));
            v.push(with_regs(
                format!("sraiw {sh}"),
                i_type(0x400 | sh, 6, 5, 5, 0x1b),
                &[(6, a)],
            ));
        }
        v.push(with_regs("addiw", i_type(-5, 6, 0, 5, 0x1b), &[(6, a)]));
    }
    // Loads and stores, at offsets across a leaf; the data area holds a byte pattern.
    for (name, f3, size) in [
        ("lb", 0, 1),
        ("lh", 1, 2),
        ("lw", 2, 4),
        ("ld", 3, 8),
        ("lbu", 4, 1),
        ("lhu", 5, 2),
        ("lwu", 6, 4),
    ] {
        for off in [0, size, 32 - size, 64 + 16] {
            v.push(plain(format!("{name} +{off}"), i_type(off, 6, f3, 5, 0x03)));
        }
        v.push(plain(
            format!("{name} negative offset"),
            i_type(-size * 3, 6, f3, 5, 0x03),
        ));
    }
    for (name, f3, size) in [("sb", 0, 1), ("sh", 1, 2), ("sw", 2, 4), ("sd", 3, 8)] {
        for off in [0, size, 32 - size] {
            v.push(with_regs(
                format!("{name} +{off}"),
                s_type(off, 7, 6, f3),
                &[(7, 0x8877_6655_4433_2211)],
            ));
        }
    }
    // Branches, taken and not, forwards and backwards.
    for (name, f3) in [
        ("beq", 0),
        ("bne", 1),
        ("blt", 4),
        ("bge", 5),
        ("bltu", 6),
        ("bgeu", 7),
    ] {
        for (a, b) in [(1u64, 1u64), (1, 2), (u64::MAX, 1), (1, u64::MAX)] {
            for imm in [-4096, 8, 4094] {
                v.push(with_regs(
                    format!("{name} {a:#x} {b:#x} {imm}"),
                    b_type(imm, 7, 6, f3),
                    &[(6, a), (7, b)],
                ));
            }
        }
    }
    v.push(plain("lui", 0xfffff2b7));
    v.push(plain("lui x0", 0x12345037));
    v.push(plain("auipc", 0x80001317));
    for imm in [-(1 << 20), 2, (1 << 20) - 2] {
        v.push(plain(format!("jal {imm}"), j_type(imm, 1)));
    }
    v.push(plain("jal x0", j_type(64, 0)));
    v.push(with_regs(
        "jalr odd target",
        i_type(3, 6, 0, 1, 0x67),
        &[(6, 0x2000)],
    ));
    v.push(with_regs(
        "jalr rd=rs1",
        i_type(-4, 6, 0, 6, 0x67),
        &[(6, 0x2000)],
    ));
    v.push(plain("fence", 0x0ff0000f));
    // x0 as destination.
    v.push(plain("add x0", r_type(0, 7, 6, 0, 0, 0x33)));
    v.push(plain("ld x0", i_type(8, 6, 3, 0, 0x03)));
    v
}

/// LR/SC pairs and every AMO, W and D.
fn cases_atomic() -> Vec<Case> {
    let mut v = Vec::new();
    for double in [false, true] {
        let d = if double { "d" } else { "w" };
        v.push(plain(format!("lr.{d}"), amo_word(2, 0, 6, double, 5)));
        v.push(plain(
            format!("lr.{d} rs2!=0 is illegal"),
            amo_word(2, 3, 6, double, 5),
        ));
        v.push(plain(
            format!("sc.{d} without reservation"),
            amo_word(3, 7, 6, double, 5),
        ));
        v.push(case(
            format!("sc.{d} with reservation"),
            le32(&[amo_word(3, 7, 6, double, 5)]),
            |vm| vm.state.load_reservation = vm.state.regs[6],
        ));
        v.push(case(
            format!("sc.{d} with another reservation"),
            le32(&[amo_word(3, 7, 6, double, 5)]),
            |vm| vm.state.load_reservation = vm.state.regs[6] + 8,
        ));
        // An LR then an SC to the same address: two consecutive steps.
        v.push(case(
            format!("lr.{d} + sc.{d}"),
            le32(&[amo_word(2, 0, 6, double, 5), amo_word(3, 7, 6, double, 8)]),
            |_| {},
        ));
        for (name, f5) in [
            ("swap", 1),
            ("add", 0),
            ("xor", 4),
            ("and", 0xc),
            ("or", 8),
            ("min", 0x10),
            ("max", 0x14),
            ("minu", 0x18),
            ("maxu", 0x1c),
        ] {
            for src in [0x7fff_ffff_u64, 0xffff_ffff_8000_0001, 5] {
                v.push(with_regs(
                    format!("amo{name}.{d} {src:#x}"),
                    amo_word(f5, 7, 6, double, 5),
                    &[(7, src)],
                ));
            }
            v.push(plain(
                format!("amo{name}.{d} rd=rs2"),
                amo_word(f5, 7, 6, double, 7),
            ));
        }
        v.push(with_regs(
            format!("amoadd.{d} misaligned"),
            amo_word(0, 7, 6, double, 5),
            &[(6, DATA + 2)],
        ));
        v.push(with_regs(
            format!("lr.{d} misaligned"),
            amo_word(2, 0, 6, double, 5),
            &[(6, DATA + 4 + u64::from(!double) * 2)],
        ));
        v.push(with_regs(
            format!("sc.{d} misaligned"),
            amo_word(3, 7, 6, double, 5),
            &[(6, DATA + 6)],
        ));
    }
    v.push(plain("amo unknown funct5", amo_word(0x1f, 7, 6, true, 5)));
    v.push(plain(
        "amo funct3 4",
        amo_word(0, 7, 6, false, 5) | (4 << 12),
    ));
    v
}

/// Every compressed form (encodings from llvm-mc, as in the decode tests).
fn cases_compressed() -> Vec<Case> {
    let forms: &[(u16, &str)] = &[
        (0x1fe0, "c.addi4spn x8, x2, 1020"),
        (0x005c, "c.addi4spn x15, x2, 4"),
        (0x5d64, "c.lw x9, 124(x10)"),
        (0x4124, "c.lw x9, 64(x10)"),
        (0x7d64, "c.ld x9, 248(x10)"),
        (0xc144, "c.sw x9, 4(x10)"),
        (0xe504, "c.sd x9, 8(x10)"),
        (0xe07c, "c.sd x15, 192(x8)"),
        (0x0001, "c.nop"),
        (0x1081, "c.addi x1, -32"),
        (0x00fd, "c.addi x1, 31"),
        (0x20fd, "c.addiw x1, 31"),
        (0x30fd, "c.addiw x1, -1"),
        (0x52fd, "c.li x5, -1"),
        (0x42c5, "c.li x5, 17"),
        (0x7101, "c.addi16sp x2, -512"),
        (0x617d, "c.addi16sp x2, 496"),
        (0x7285, "c.lui x5, 0xfffe1"),
        (0x62fd, "c.lui x5, 0x1f"),
        (0x907d, "c.srli x8, 63"),
        (0x8005, "c.srli x8, 1"),
        (0x8405, "c.srai x8, 1"),
        (0x9781, "c.srai x15, 32"),
        (0x987d, "c.andi x8, -1"),
        (0x8815, "c.andi x8, 5"),
        (0x8c05, "c.sub x8, x9"),
        (0x8c25, "c.xor x8, x9"),
        (0x8c45, "c.or x8, x9"),
        (0x8c65, "c.and x8, x9"),
        (0x9c05, "c.subw x8, x9"),
        (0x9c3d, "c.addw x8, x15"),
        (0xb001, "c.j -2048"),
        (0xaffd, "c.j 2046"),
        (0xd001, "c.beqz x8, -256"),
        (0xc44d, "c.beqz x8, 0xaa"),
        (0xec7d, "c.bnez x8, 254"),
        (0xf8b9, "c.bnez x9, -0xaa"),
        (0x10fe, "c.slli x1, 63"),
        (0x0086, "c.slli x1, 1"),
        (0x50fe, "c.lwsp x1, 252(x2)"),
        (0x4092, "c.lwsp x1, 4(x2)"),
        (0x70fe, "c.ldsp x1, 504(x2)"),
        (0x60a2, "c.ldsp x1, 8(x2)"),
        (0x8082, "c.jr x1"),
        (0x808a, "c.mv x1, x2"),
        (0x9282, "c.jalr x5"),
        (0x908a, "c.add x1, x2"),
        (0xdf86, "c.swsp x1, 252(x2)"),
        (0xff86, "c.sdsp x1, 504(x2)"),
        (0xe47e, "c.sdsp x31, 8(x2)"),
        // Unsupported: VM panics.
        (0x0000, "c: all zeros"),
        (0x0004, "c.addi4spn nzuimm 0"),
        (0x2480, "c.fld"),
        (0xa480, "c.fsd"),
        (0x2082, "c.fldsp"),
        (0xa082, "c.fsdsp"),
        (0x9002, "c.ebreak"),
        (0x8002, "c.jr x0"),
        (0x2001, "c.addiw x0"),
        (0x6101, "c.addi16sp 0"),
        (0x6081, "c.lui x1, 0"),
        (0x4002, "c.lwsp x0"),
        (0x6002, "c.ldsp x0"),
        (0x9c45, "c: reserved q1 f4 subw/addw slot 2"),
        (
            0x8001 | (4 << 13) | (1 << 12) | (3 << 10) | (3 << 5),
            "c: reserved q1 f4 slot 3",
        ),
        (0x8000, "c: q0 f4 reserved"),
    ];
    let mut v = Vec::new();
    for &(h, name) in forms {
        v.push(case(name, h.to_le_bytes().to_vec(), |vm| {
            // Zero and non-zero for the branches.
            vm.state.regs[8] = 0;
        }));
        v.push(case(
            format!("{name} (regs set)"),
            h.to_le_bytes().to_vec(),
            |_| {},
        ));
    }
    v
}

/// Syscalls and their fds, preimage reads at every kind of offset, and the VM panics.
fn cases_system() -> Vec<Case> {
    const ECALL: u32 = 0x0000_0073;
    let sys = |name: &str, regs: &[(usize, u64)]| with_regs(name, ECALL, regs);
    let mut v = vec![
        sys("exit 0", &[(17, 93), (10, 0)]),
        sys("exit_group 1", &[(17, 94), (10, 1)]),
        sys("exit 0x1ff (code 0xff)", &[(17, 93), (10, 0x1ff)]),
        sys("read fd 0", &[(17, 63), (10, 0), (12, 10)]),
        sys("read fd 3", &[(17, 63), (10, 3), (12, 77)]),
        sys("read fd 7", &[(17, 63), (10, 7), (12, 1)]),
        sys("write fd 1", &[(17, 64), (10, 1), (12, 5)]),
        sys("write fd 2 huge", &[(17, 64), (10, 2), (12, 1 << 40)]),
        sys("write fd 4", &[(17, 64), (10, 4), (12, 3)]),
        sys("write fd 9", &[(17, 64), (10, 9), (12, 3)]),
        sys(
            "write fd 6, 32 aligned",
            &[(17, 64), (10, 6), (11, DATA), (12, 32)],
        ),
        sys(
            "write fd 6, 5 at leaf end",
            &[(17, 64), (10, 6), (11, DATA + 30), (12, 5)],
        ),
        sys(
            "write fd 6, 3 mid-leaf",
            &[(17, 64), (10, 6), (11, DATA + 9), (12, 3)],
        ),
        sys(
            "write fd 6, count 0",
            &[(17, 64), (10, 6), (11, DATA + 9), (12, 0)],
        ),
        sys("mmap", &[(17, 222), (11, 5000), (13, 0x22)]),
        sys("mmap not anonymous", &[(17, 222), (11, 5000), (13, 0x02)]),
        sys("mmap fixed", &[(17, 222), (11, 5000), (13, 0x32)]),
        sys("mmap len 0", &[(17, 222), (11, 0), (13, 0x22)]),
        sys("mmap too large", &[(17, 222), (11, 1 << 62), (13, 0x22)]),
        sys("mmap len max", &[(17, 222), (11, u64::MAX), (13, 0x22)]),
        sys("brk query", &[(17, 214), (10, 0)]),
        sys("brk grow", &[(17, 214), (10, 0x30_0000)]),
        sys("brk past limit", &[(17, 214), (10, MMAP_BASE + 1)]),
        sys("clock_gettime one leaf", &[(17, 113), (11, DATA + 8)]),
        sys("clock_gettime two leaves", &[(17, 113), (11, DATA + 24)]),
        sys("clock_gettime misaligned", &[(17, 113), (11, DATA + 4)]),
        sys("unknown syscall", &[(17, 1234)]),
    ];
    // Preimage reads (fd 5): keccak256 data of 70 bytes at several offsets and destinations.
    let data: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(13) ^ 0xa5).collect();
    for (offset, dest_off, count) in [
        (0u64, 0u64, 8u64),
        (0, 0, 100),
        (8, 0, 32),
        (8, 20, 32),
        (40, 31, 4),
        (70, 0, 32),
        (77, 0, 32),
        (78, 0, 32),
        (200, 0, 32),
        (8, 0, 0),
    ] {
        let mut oracle = MapOracle::new();
        let key = oracle.insert_keccak256(&data);
        v.push(Case {
            name: format!("read fd 5 keccak offset {offset} dest +{dest_off} count {count}"),
            code: le32(&[ECALL]),
            pc: CODE,
            oracle,
            setup: Box::new(move |vm| {
                vm.state.preimage_key = key;
                vm.state.preimage_offset = offset;
                let r = &mut vm.state.regs;
                r[17] = 63;
                r[10] = 5;
                r[11] = DATA + dest_off;
                r[12] = count;
            }),
        });
    }
    // A local key (type 1): 32 bytes of data, localized on chain with the caller and context.
    for offset in [0u64, 8, 30, 40] {
        let mut oracle = MapOracle::new();
        let key = local_key(1);
        oracle.insert(key, vec![0x42; 32]);
        v.push(Case {
            name: format!("read fd 5 local offset {offset}"),
            code: le32(&[ECALL]),
            pc: CODE,
            oracle,
            setup: Box::new(move |vm| {
                vm.state.preimage_key = key;
                vm.state.preimage_offset = offset;
                let r = &mut vm.state.regs;
                r[17] = 63;
                r[10] = 5;
                r[11] = DATA + 3;
                r[12] = 64;
            }),
        });
    }
    // VM panics.
    for (word, name) in [
        (0x3001_10f3, "csrrw"),
        (0x0031_70d3, "fadd.d"),
        (0x0001_2007, "flw"),
        (0x0010_0073, "ebreak"),
        (0x0000_100f, "fence.i"),
        (0x1050_0073, "wfi"),
        (0x3020_0073, "mret"),
        (0xffff_ffff, "all ones"),
        (0x0000_007f, "48-bit prefix"),
        (0x0000_001f, "48-bit prefix 2"),
        (0x0000_0077, "opcode 0x77"),
        (0x0000_2063, "branch f3 2"),
        (0x0000_7003, "load f3 7"),
        (0x0000_4023, "store f3 4"),
        (0x0000_1067, "jalr f3 1"),
        (r_type(0x20, 7, 6, 1, 5, 0x33), "op f7 0x20 f3 1"),
        (r_type(1, 7, 6, 1, 5, 0x3b), "mulhw"),
        (r_type(0, 7, 6, 2, 5, 0x3b), "op32 f3 2"),
        (i_type(0x800 | 3, 6, 1, 5, 0x13), "slli f6 0x20"),
        (i_type(0x400 | 32, 6, 1, 5, 0x1b), "slliw f7 0x20"),
        (i_type(32, 6, 5, 5, 0x1b), "srliw shamt 32"),
        (i_type(3, 6, 3, 5, 0x1b), "op-imm-32 f3 3"),
        (i_type(0, 6, 2, 5, 0x0f), "misc-mem f3 2"),
    ] {
        v.push(plain(format!("panic {name}"), word));
    }
    for (word, name, base) in [
        (i_type(0, 6, 1, 5, 0x03), "lh misaligned", DATA + 1),
        (i_type(0, 6, 2, 5, 0x03), "lw misaligned", DATA + 2),
        (i_type(0, 6, 3, 5, 0x03), "ld misaligned", DATA + 4),
        (i_type(0, 6, 6, 5, 0x03), "lwu misaligned", DATA + 6),
        (s_type(0, 7, 6, 1), "sh misaligned", DATA + 3),
        (s_type(0, 7, 6, 3), "sd misaligned", DATA + 12),
    ] {
        v.push(with_regs(format!("panic {name}"), word, &[(6, base)]));
    }
    v.push(Case {
        name: "panic odd pc".into(),
        code: le32(&[0x0000_0013]),
        pc: CODE + 1,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    // Fetches across leaf and page boundaries: a 4-byte instruction at addr % 32 == 30 and at
    // the last 2 bytes of a page; a compressed one at the end of a leaf.
    let addi = i_type(5, 6, 0, 5, 0x13);
    for pc in [CODE + 30, CODE + 4094, CODE + 0x2000 - 2] {
        v.push(Case {
            name: format!("addi at {pc:#x}"),
            code: le32(&[addi]),
            pc,
            oracle: MapOracle::new(),
            setup: Box::new(|_| {}),
        });
    }
    v.push(Case {
        name: "ld across a leaf, from its second leaf".into(),
        code: le32(&[i_type(0, 6, 3, 5, 0x03)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "sd across a leaf, into its second leaf".into(),
        code: le32(&[s_type(0, 7, 6, 3)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "sd across a leaf, into its first leaf".into(),
        code: le32(&[s_type(-8, 7, 6, 3)]),
        pc: CODE + 62,
        oracle: MapOracle::new(),
        setup: Box::new(|vm| vm.state.regs[6] = CODE + 64),
    });
    v.push(Case {
        name: "c.addi at a leaf end".into(),
        code: 0x1081u16.to_le_bytes().to_vec(),
        pc: CODE + 30,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(Case {
        name: "jal wrapping the address space".into(),
        code: le32(&[j_type(64, 1)]),
        pc: u64::MAX - 31,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(Case {
        name: "c.nop at the top of memory".into(),
        code: 0x0001u16.to_le_bytes().to_vec(),
        pc: u64::MAX - 1,
        oracle: MapOracle::new(),
        setup: Box::new(|_| {}),
    });
    v.push(case(
        "x0 non-zero in the pre-state is read as stored",
        le32(&[r_type(0, 0, 0, 0, 5, 0x33)]),
        |vm| vm.state.regs[0] = 0x55,
    ));
    v.push(case("step counter wraps", le32(&[0x0000_0013]), |vm| {
        vm.state.step = u64::MAX
    }));
    v.push(with_regs(
        "store to the data leaf holding the code",
        s_type(4, 7, 6, 2),
        &[(6, CODE), (7, 0xdead_beef)],
    ));
    v
}

/// Witnesses the case's step (or steps, for multi-instruction code).
fn run_case(c: &Case) -> Vec<(String, StepWitness)> {
    let mut vm = synth_vm(&c.code, c.pc, c.oracle.clone());
    (c.setup)(&mut vm);
    let mut out = Vec::new();
    let len = if c.name.starts_with("lr.") && c.name.contains(" + sc.") {
        2
    } else {
        1
    };
    for _ in 0..len {
        let key = kind_of(&vm);
        out.push((key, vm.step_with_witness().expect("witness")));
    }
    out
}

/// Every tampering of `w` that must make the step revert.
fn check_tampering(chain: &mut Chain, what: &str, w: &StepWitness) {
    let state = w.state_bytes();
    let proof = w.proof_bytes();
    let entry = sprout_fault_proof_vm::PROOF_ENTRY_LEN;
    for i in 0..w.proofs.len() {
        let base = i * entry;
        // A flipped bit in a sibling.
        let mut bad = proof.clone();
        bad[base + 40 + 32 * ((w.step as usize + i) % 59) + 5] ^= 0x10;
        chain.expect_revert(&format!("{what}: flipped sibling bit"), state, &bad);
        // A wrong leaf.
        let mut bad = proof.clone();
        bad[base + 8 + 31] ^= 0x01;
        chain.expect_revert(&format!("{what}: wrong leaf"), state, &bad);
        // Another address.
        let mut bad = proof.clone();
        bad[base + 6] ^= 0x01;
        chain.expect_revert(&format!("{what}: wrong address"), state, &bad);
        // The proof missing.
        let mut bad = proof.clone();
        bad.drain(base..base + entry);
        chain.expect_revert(&format!("{what}: missing proof"), state, &bad);
        // The proof twice.
        let mut bad = proof.clone();
        bad.extend_from_slice(&proof[base..base + entry]);
        chain.expect_revert(&format!("{what}: duplicate proof"), state, &bad);
    }
    if !w.proofs.is_empty() {
        let mut pre = state.to_vec();
        pre[0] ^= 0x01;
        chain.expect_revert(&format!("{what}: wrong pre-state root"), &pre, &proof);
        chain.expect_revert(
            &format!("{what}: truncated proof"),
            state,
            &proof[..proof.len() - 1],
        );
    }
    chain.expect_revert(
        &format!("{what}: short state"),
        &state[..STATE_LEN - 1],
        &proof,
    );
    let mut long = state.to_vec();
    long.push(0);
    chain.expect_revert(&format!("{what}: long state"), &long, &proof);
}

#[test]
fn onchain_step_matches_the_emulator() {
    let mut chain = Chain::new();
    let mut kinds = BTreeMap::<String, usize>::new();
    let mut program_gas = Vec::new();
    let mut by_proofs = BTreeMap::<usize, Vec<Gas>>::new();
    let mut all_gas = Vec::new();
    let mut checked = 0usize;

    // Synthetic steps.
    let cases: Vec<Case> = cases_32()
        .into_iter()
        .chain(cases_atomic())
        .chain(cases_compressed())
        .chain(cases_system())
        .collect();
    for c in &cases {
        for (key, w) in run_case(c) {
            let gas = chain.check(&c.name, &w);
            all_gas.push(gas);
            by_proofs.entry(w.proofs.len()).or_default().push(gas);
            *kinds.entry(key).or_default() += 1;
            checked += 1;
        }
    }
    let synthetic = checked;

    // Program walks.
    let mut tampered = 0usize;
    let preimage_data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut preimage_oracle = MapOracle::new();
    let key = preimage_oracle.insert_keccak256(&preimage_data);
    preimage_oracle.insert(local_key(1), key.to_vec());
    assert_eq!(key, keccak256_key(&preimage_data));
    for (name, oracle, every, status) in [
        ("alu", MapOracle::new(), 500, 0u8),
        ("panic", MapOracle::new(), 2_000, 2),
        ("preimage", preimage_oracle, 5_000, 0),
        ("arith", MapOracle::new(), 100_000, 0),
    ] {
        let walk = walk(name, oracle, every);
        let mut prev: Option<&StepWitness> = None;
        for (i, (key, w)) in walk.witnesses.iter().enumerate() {
            let gas = chain.check(&format!("{name} [{key}]"), w);
            program_gas.push(gas);
            all_gas.push(gas);
            by_proofs.entry(w.proofs.len()).or_default().push(gas);
            *kinds.entry(key.clone()).or_default() += 1;
            checked += 1;
            // Tamper with the first steps, those with data proofs, and every 10th.
            if i < 3 || w.proofs.len() > 1 && tampered < 200 || i % 10 == 0 {
                check_tampering(&mut chain, &format!("{name} step {}", w.step), w);
                tampered += 1;
            }
            if let Some(p) = prev
                && p.step + 1 == w.step
            {
                assert_eq!(p.post_state_hash, w.pre_state_hash, "{name}: hashes chain");
            }
            prev = Some(w);
        }
        // The final state steps to itself, whatever the proof.
        let final_hash = state_hash(&walk.final_state);
        assert_eq!(final_hash[0], status, "{name}: final status");
        for proof in [Vec::new(), vec![0u8; 5]] {
            match chain.step_raw(&walk.final_state, &proof) {
                Stepped::Hash { hash, .. } => {
                    assert_eq!(hash, final_hash, "{name}: an exited state steps to itself")
                }
                Stepped::Reverted(out) => panic!("{name}: exited state reverted: {out}"),
            }
        }
    }

    // Every decoded kind is covered.
    let mut missing = Vec::new();
    let required = required_kinds();
    let found: BTreeSet<String> = kinds
        .keys()
        .map(|k| k.trim_end_matches(" cross-leaf").to_string())
        .collect();
    for r in &required {
        // 32-bit kinds exactly; compressed forms by their prefix.
        let hit = |k: &String| {
            if r.starts_with("C ") {
                k.starts_with(&format!("{r} "))
            } else {
                k == r
            }
        };
        if !found.iter().any(hit) {
            missing.push(r.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "kinds never stepped on chain: {missing:?}"
    );
    assert!(kinds.keys().any(|k| k.ends_with("cross-leaf")));

    println!(
        "on-chain steps: {checked} checked ({synthetic} synthetic), {} kinds, {tampered} tampered witnesses rejected",
        kinds.len()
    );
    println!(
        "gas per step: tx = what the step transaction pays (21000, calldata or the EIP-7623 floor, execution); exec = execution alone"
    );
    report("programs", &program_gas);
    report("all", &all_gas);
    for (n, gas) in &by_proofs {
        report(&format!("{n} leaf proofs"), gas);
    }
}

/// Prints the median and maximum tx and execution gas of `gas`.
fn report(what: &str, gas: &[Gas]) {
    let mut tx: Vec<u64> = gas.iter().map(|g| g.tx).collect();
    let mut exec: Vec<u64> = gas.iter().map(|g| g.exec).collect();
    println!(
        "  {what}: {} steps, tx median {} max {}, exec median {} max {}",
        gas.len(),
        median(&mut tx),
        tx.last().copied().unwrap_or_default(),
        median(&mut exec),
        exec.last().copied().unwrap_or_default(),
    );
}

/// The kinds the decoder can produce, in `kind_of`'s words, each of which must be stepped.
fn required_kinds() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for op in [
        "Add", "Sub", "Sll", "Slt", "Sltu", "Xor", "Srl", "Sra", "Or", "And", "Mul", "Mulh",
        "Mulhsu", "Mulhu", "Div", "Divu", "Rem", "Remu",
    ] {
        v.push(format!("Op {op}"));
    }
    for op in [
        "Add", "Sub", "Sll", "Srl", "Sra", "Mul", "Div", "Divu", "Rem", "Remu",
    ] {
        v.push(format!("Op32 {op}"));
    }
    for op in [
        "Add", "Slt", "Sltu", "Xor", "Or", "And", "Sll", "Srl", "Sra",
    ] {
        v.push(format!("OpImm {op}"));
    }
    for op in ["Add", "Sll", "Srl", "Sra"] {
        v.push(format!("OpImm32 {op}"));
    }
    for op in ["Lb", "Lh", "Lw", "Ld", "Lbu", "Lhu", "Lwu"] {
        v.push(format!("Load {op}"));
    }
    for op in ["Sb", "Sh", "Sw", "Sd"] {
        v.push(format!("Store {op}"));
    }
    for op in ["Eq", "Ne", "Lt", "Ge", "Ltu", "Geu"] {
        for t in [true, false] {
            v.push(format!("Branch {op} taken={t}"));
        }
    }
    for d in [false, true] {
        v.push(format!("Lr double={d}"));
        for ok in [false, true] {
            v.push(format!("Sc double={d} ok={ok}"));
        }
        for op in [
            "Swap", "Add", "Xor", "And", "Or", "Min", "Max", "Minu", "Maxu",
        ] {
            v.push(format!("Amo {op} double={d}"));
        }
    }
    for k in ["Lui", "Auipc", "Jal", "Jalr", "Fence"] {
        v.push(k.into());
    }
    for k in ["Csr", "Float", "Ebreak", "Illegal"] {
        v.push(format!("Unsupported {k}"));
    }
    for nr in [93, 94, 222, 214, 113, 1234] {
        v.push(format!("Ecall {nr}"));
    }
    for fd in [0, 3, 5, 7] {
        v.push(format!("Ecall 63 fd={fd}"));
    }
    for fd in [1, 2, 4, 6, 9] {
        v.push(format!("Ecall 64 fd={fd}"));
    }
    v.push("odd pc".into());
    // Compressed forms, by quadrant and funct3 (q2 f4 by bit 12).
    for (q, f) in [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (0, 6),
        (0, 7),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (1, 6),
        (1, 7),
        (2, 0),
        (2, 1),
        (2, 2),
        (2, 3),
        (2, 5),
        (2, 6),
        (2, 7),
    ] {
        v.push(format!("C q{q} f{f}"));
    }
    v.push("C q2 f4 b12=0".into());
    v.push("C q2 f4 b12=1".into());
    v
}
