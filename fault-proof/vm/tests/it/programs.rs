//! The test programs in `fault-proof/programs`, run by the VM and differentially by qemu.

use std::process::Command;

use sprout_fault_proof_vm::{
    Error, MapOracle, Status, keccak256_key, local_key, run_elf, run_elf_with,
};

use crate::program;

/// Runs `name` under `qemu-riscv64` and returns (exit code, stdout, stderr).
fn qemu(name: &str) -> (i32, Vec<u8>, Vec<u8>) {
    let out = Command::new("qemu-riscv64")
        .arg(program(name))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run qemu-riscv64 ({e}); install it with `apt-get install qemu-user`")
        });
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("qemu killed by a signal: {:?}", out.status));
    (code, out.stdout, out.stderr)
}

fn differential(name: &str, want_status: Status) -> Result<(), Error> {
    let report = run_elf(&program(name))?;
    let (code, stdout, stderr) = qemu(name);
    assert_eq!(
        String::from_utf8_lossy(&report.stdout),
        String::from_utf8_lossy(&stdout),
        "{name}: stdout differs from qemu"
    );
    assert_eq!(report.stderr, stderr, "{name}: stderr differs from qemu");
    assert_eq!(
        i32::from(report.exit_code),
        code,
        "{name}: exit code differs from qemu"
    );
    assert_eq!(report.status, want_status, "{name}");
    assert!(
        report.panic.is_none(),
        "{name}: VM panic {:?}",
        report.panic
    );
    assert!(report.steps > 100, "{name}: only {} steps", report.steps);
    Ok(())
}

#[test]
fn arith_program_matches_qemu() -> Result<(), Error> {
    differential("arith", Status::Valid)
}

#[test]
fn panicking_program_matches_qemu() -> Result<(), Error> {
    differential("panic", Status::Panic)
}

fn preimage_oracle(data: &[u8]) -> MapOracle {
    let mut oracle = MapOracle::new();
    let key = oracle.insert_keccak256(data);
    oracle.insert(local_key(1), key.to_vec());
    oracle
}

#[test]
fn preimage_program_reads_and_checks_a_keccak_preimage() -> Result<(), Error> {
    // Not a multiple of 32, longer than a page: many parts, partial last part.
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
    let oracle = preimage_oracle(&data);
    let report = run_elf_with(&program("preimage"), oracle, None)?;
    let out = String::from_utf8_lossy(&report.stdout);
    assert_eq!(out, "preimage of 5000 bytes\nhash matches: true\n");
    assert_eq!(report.status, Status::Valid);
    Ok(())
}

#[test]
fn preimage_program_sends_its_hint() -> Result<(), Error> {
    let elf = sprout_fault_proof_vm::run::load_elf(&program("preimage"))?;
    let mut vm = sprout_fault_proof_vm::Vm::new(&elf, preimage_oracle(b"x"));
    vm.run(None)?;
    assert_eq!(vm.oracle().hints, vec![b"l1-block 0x1234".to_vec()]);
    Ok(())
}

#[test]
fn a_lying_oracle_is_a_host_error() {
    let mut oracle = preimage_oracle(b"the real data");
    let key = keccak256_key(b"the real data");
    oracle.insert(key, b"forged data".to_vec());
    let err = run_elf_with(&program("preimage"), oracle, None);
    assert!(
        matches!(err, Err(Error::PreimageMismatch(k)) if k == key),
        "{err:?}"
    );
}

#[test]
fn a_missing_preimage_is_a_host_error() {
    let err = run_elf(&program("preimage"));
    assert!(
        matches!(err, Err(Error::MissingPreimage(k)) if k == local_key(1)),
        "{err:?}"
    );
}

#[test]
fn runs_are_deterministic() -> Result<(), Error> {
    let a = run_elf(&program("arith"))?;
    let b = run_elf(&program("arith"))?;
    assert_eq!((a.steps, a.state_hash), (b.steps, b.state_hash));
    Ok(())
}

/// Parses qemu's `-d cpu` log into (pc, registers) before each instruction.
fn parse_qemu_trace(log: &str) -> Vec<(u64, [u64; 32])> {
    let mut out = Vec::new();
    for line in log.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("pc") => {
                let pc = words.next().and_then(|w| u64::from_str_radix(w, 16).ok());
                out.push((pc.unwrap_or(u64::MAX), [0u64; 32]));
            }
            Some(first) if first.starts_with('x') && first.contains('/') => {
                let mut words = line.split_whitespace();
                while let (Some(name), Some(value)) = (words.next(), words.next()) {
                    let idx = name[1..]
                        .split('/')
                        .next()
                        .and_then(|n| n.parse::<usize>().ok());
                    let value = u64::from_str_radix(value, 16).ok();
                    if let (Some(i), Some(v), Some(last)) = (idx, value, out.last_mut())
                        && i < 32
                    {
                        last.1[i] = v;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn panicking_program_matches_qemu_register_by_register() -> Result<(), Error> {
    matches_qemu_register_by_register("panic", 101)
}

#[test]
fn alu_program_matches_qemu_register_by_register() -> Result<(), Error> {
    matches_qemu_register_by_register("alu", 0)
}

#[test]
fn alu_program_matches_qemu() -> Result<(), Error> {
    differential("alu", Status::Valid)
}

/// Runs `name` under qemu one instruction per block and compares pc and x1..x31 before every
/// instruction.
fn matches_qemu_register_by_register(name: &str, exit_code: i32) -> Result<(), Error> {
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        path: "tempdir".into(),
        source,
    })?;
    let log_path = dir.path().join("cpu.log");
    let status = Command::new("qemu-riscv64")
        .args(["-singlestep", "-d", "nochain,cpu", "-D"])
        .arg(&log_path)
        .arg(program(name))
        .output()
        .unwrap_or_else(|e| panic!("cannot run qemu-riscv64 ({e})"))
        .status;
    assert_eq!(status.code(), Some(exit_code));
    let log = std::fs::read_to_string(&log_path).map_err(|source| Error::Io {
        path: log_path.display().to_string(),
        source,
    })?;
    let trace = parse_qemu_trace(&log);
    let elf = sprout_fault_proof_vm::run::load_elf(&program(name))?;
    let mut vm = sprout_fault_proof_vm::Vm::new(&elf, sprout_fault_proof_vm::NoOracle);
    // qemu puts the stack elsewhere (and argv/envp on it, which the programs never read): start
    // from its sp so that stack addresses compare equal.
    vm.state.regs[2] = trace[0].1[2];
    let mut steps = 0;
    while !vm.state.exited {
        let (pc, regs) = trace[steps];
        assert_eq!(vm.state.pc, pc, "pc before step {steps}");
        for (r, (ours, theirs)) in vm.state.regs.iter().zip(regs).enumerate().skip(1) {
            assert_eq!(*ours, theirs, "x{r} before step {steps} (pc {pc:#x})");
        }
        vm.step()?;
        steps += 1;
    }
    assert_eq!(steps, trace.len(), "qemu executed as many instructions");
    Ok(())
}
