//! `sprout fp prove`: runs the fault-proof program for one L2 block, natively, against a node's
//! database and L1 (or a recording), and prints its verdict.

use std::{path::PathBuf, time::Instant};

use alloy_primitives::{B256, Bytes};
use clap::{Args, Subcommand};
use serde_json::json;
use sprout_fp_host::{
    Host, L1Source, L2Source, Replay, read_recording, run_in_vm, write_recording,
};
use sprout_fp_program::{BootInfo, Oracle, Outcome, Preimages, ProgramConfig, Verdict};
use sprout_protocol::{
    l1_block::RawL1Block,
    l1_info::L1BlockRef,
    output::{MESSAGE_PASSER, output_preimage_v0},
    state_root::TrieState,
};
use sprout_storage::Storage;

use crate::{NodeError, Result, l1::L1Client, role_args::load_rollup};

/// `sprout fp` arguments.
#[derive(Debug, Clone, Args)]
pub struct FpArgs {
    #[command(subcommand)]
    pub command: FpCommand,
}

/// Fault-proof commands.
#[derive(Debug, Clone, Subcommand)]
pub enum FpCommand {
    /// Decide whether an output root claimed for an L2 block is right, from L1 and the agreed
    /// output of the block before it, by running the fault-proof program in the VM (or
    /// natively). Exits 0 on `valid`, 1 on `invalid`.
    Prove(Box<ProveArgs>),
    /// Print the program's absolute prestate: the VM state hash of its ELF at step 0, the value
    /// a dispute game commits to.
    Prestate(PrestateArgs),
}

/// `sprout fp prestate` arguments.
#[derive(Debug, Clone, Args)]
pub struct PrestateArgs {
    /// The program's RISC-V ELF (default: the one `make fp-program` builds).
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `sprout fp prove` arguments.
#[derive(Debug, Clone, Args)]
pub struct ProveArgs {
    /// The L2 block the claim is about; the agreed output is the block before it.
    #[arg(long = "l2-block")]
    pub l2_block: Option<u64>,
    /// The claimed output root (default: the node's own output root of the block).
    #[arg(long)]
    pub claim: Option<B256>,
    /// A `sprout up` datadir: its `rollup.json`, `genesis.json` and sequencer database.
    #[arg(long)]
    pub devnet: Option<PathBuf>,
    /// The rollup config (with `--datadir`), instead of `--devnet`.
    #[arg(long)]
    pub chain: Option<PathBuf>,
    /// The node's datadir (with `--chain`), read while the node runs.
    #[arg(long)]
    pub datadir: Option<PathBuf>,
    /// The L1 endpoint.
    #[arg(long = "l1.rpc-url")]
    pub l1_rpc_url: Option<String>,
    /// A beacon-API endpoint, for blocks derived from blob batches (default with `--devnet`:
    /// the L1 endpoint, as anvil serves one).
    #[arg(long = "l1.beacon")]
    pub l1_beacon: Option<String>,
    /// Run the program in this process, as a host library, instead of in the VM: a fast check
    /// (no step count, no final state).
    #[arg(long)]
    pub native: bool,
    /// The program's RISC-V ELF for the VM (default: the one `make fp-program` builds beside
    /// this `sprout`'s target directory).
    #[arg(long)]
    pub program: Option<PathBuf>,
    /// Write the boot data and every preimage the run used to this directory.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Replay a `--record` directory: no node, no L1.
    #[arg(long)]
    pub offline: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sprout fp`; returns whether the verdict is `valid`.
pub fn run(args: FpArgs) -> Result<bool> {
    match args.command {
        FpCommand::Prove(args) => prove(&args),
        FpCommand::Prestate(args) => prestate(&args),
    }
}

/// The absolute prestate of the program ELF at `path`, and the ELF's bytes.
pub fn elf_prestate(path: &std::path::Path) -> Result<(B256, Vec<u8>)> {
    let bytes = std::fs::read(path)?;
    let elf = sprout_fault_proof_vm::elf::Elf::parse(&bytes)
        .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))?;
    let prestate =
        sprout_fault_proof_vm::Vm::new(&elf, sprout_fault_proof_vm::NoOracle).state_hash();
    Ok((prestate, bytes))
}

fn prestate(args: &PrestateArgs) -> Result<bool> {
    let path = program_elf(args.program.as_deref())?;
    let (prestate, bytes) = elf_prestate(&path)?;
    if args.json {
        println!(
            "{}",
            json!({
                "prestate": prestate,
                "program": path.display().to_string(),
                "elfKeccak256": alloy_primitives::keccak256(&bytes),
                "elfBytes": bytes.len(),
            })
        );
    } else {
        println!("{prestate}");
    }
    Ok(true)
}

/// How the program runs.
enum Engine {
    Native,
    Vm(PathBuf),
}

/// What a run decided, with what each engine can tell.
struct Decision {
    verdict: Verdict,
    /// Native runs: the outputs compared.
    outcome: Option<Outcome>,
    /// VM runs: steps and the final state hash.
    steps: Option<u64>,
    final_state: Option<B256>,
}

fn prove(args: &ProveArgs) -> Result<bool> {
    let engine = if args.native {
        Engine::Native
    } else {
        Engine::Vm(program_elf(args.program.as_deref())?)
    };
    let started = Instant::now();
    let (decision, boot, preimages, bytes) = match &args.offline {
        Some(dir) => {
            let recording = read_recording(dir).map_err(|e| NodeError::Config(e.to_string()))?;
            let (decision, _) = decide(&engine, Replay::new(&recording))?;
            let count = recording.preimages.len();
            (decision, recording.boot, count, recording.bytes())
        }
        None => online(args, &engine)?,
    };
    let seconds = started.elapsed().as_secs_f64();
    print(args.json, &decision, &boot, preimages, bytes, seconds);
    Ok(decision.verdict == Verdict::Valid)
}

/// The program ELF: `path`, or the one `make fp-program` builds.
pub(crate) fn program_elf(path: Option<&std::path::Path>) -> Result<PathBuf> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => std::env::current_exe()?
            .parent()
            .and_then(|dir| dir.parent())
            .map(|target| target.join("riscv64imac-unknown-none-elf/release/sprout-fp-program"))
            .ok_or_else(|| NodeError::Config("cannot find this executable's directory".into()))?,
    };
    if !path.is_file() {
        return Err(NodeError::Config(format!(
            "the fault-proof program {} is missing: build it with `make fp-program`, pass --program ELF, or run natively with --native",
            path.display()
        )));
    }
    Ok(path)
}

/// Runs the program against `oracle` on `engine`; the oracle comes back with what it served.
fn decide<O: Oracle>(engine: &Engine, oracle: O) -> Result<(Decision, O)> {
    match engine {
        Engine::Native => {
            let preimages = Preimages::new(oracle);
            let outcome = sprout_fp_program::run(&preimages).map_err(|err| {
                NodeError::Config(format!("the program stopped without a verdict: {err}"))
            })?;
            let decision = Decision {
                verdict: outcome.verdict,
                outcome: Some(outcome),
                steps: None,
                final_state: None,
            };
            Ok((decision, preimages.into_oracle()))
        }
        Engine::Vm(elf) => {
            let run = run_in_vm(elf, oracle, None).map_err(|e| NodeError::Config(e.to_string()))?;
            let verdict = match run.exit_code {
                0 => Verdict::Valid,
                1 => Verdict::Invalid,
                code => {
                    return Err(NodeError::Config(format!(
                        "the program reached no verdict in the VM (exit code {code} after {} steps): {}",
                        run.steps,
                        run.stderr.trim()
                    )));
                }
            };
            let decision = Decision {
                verdict,
                outcome: None,
                steps: Some(run.steps),
                final_state: Some(run.state_hash),
            };
            Ok((decision, run.oracle))
        }
    }
}

fn online(args: &ProveArgs, engine: &Engine) -> Result<(Decision, BootInfo, usize, u64)> {
    let (chain_path, datadir) = match (&args.devnet, &args.chain, &args.datadir) {
        (Some(devnet), None, None) => (devnet.join("rollup.json"), devnet.join("l2")),
        (None, Some(chain), Some(datadir)) => (chain.clone(), datadir.clone()),
        _ => {
            return Err(NodeError::Config(
                "say which chain: --devnet DIR (a `sprout up` datadir), or --chain rollup.json with --datadir NODE_DIR".into(),
            ));
        }
    };
    let l1_url = args.l1_rpc_url.as_deref().ok_or_else(|| {
        NodeError::Config("--l1.rpc-url is needed to read L1 (or replay with --offline DIR)".into())
    })?;
    let beacon = args
        .l1_beacon
        .as_deref()
        .or(args.devnet.as_ref().map(|_| l1_url));
    let number = args
        .l2_block
        .ok_or_else(|| NodeError::Config("--l2-block N is needed".into()))?;
    if number == 0 {
        return Err(NodeError::Config(
            "block 0 is genesis: there is nothing before it to agree on; give --l2-block 1 or later".into(),
        ));
    }
    let rollup = load_rollup(&chain_path)?;
    let storage = Storage::open_read_only(&datadir.join("db"))?;
    let chain = storage
        .chain_config()?
        .ok_or_else(|| NodeError::Config(format!("{} holds no chain", datadir.display())))?;

    let agreed = block_output(&storage, number - 1)?;
    let claimed = block_output(&storage, number)?;
    let derived_from = storage.derivation_record(number)?.ok_or_else(|| {
        NodeError::Config(format!(
            "block {number} is not derived from L1 data yet (not safe on this node): wait, or pick an earlier block"
        ))
    })?;
    let config = ProgramConfig::new(rollup, chain);
    let boot = BootInfo {
        l1_head: derived_from.derived_from.1,
        agreed_output: agreed.output,
        claimed_output: args.claim.unwrap_or(claimed.output),
        claimed_block: number,
        chain_id: config.chain.chain_id,
        config_hash: config.hash(),
    };
    let (decision, recording) = run_host(engine, boot, &config, &agreed, &storage, l1_url, beacon)?;
    if let Some(dir) = &args.record {
        write_recording(dir, &recording).map_err(|e| NodeError::Config(e.to_string()))?;
    }
    Ok((decision, boot, recording.preimages.len(), recording.bytes()))
}

/// Every preimage the program reads for `boot`, served from the node's database at `datadir`
/// (opened read-only, so the node may run) and from L1 at `l1_url`, by a native run. The agreed
/// output must be our node's output of `agreed_block` (the block before `boot.claimed_block`,
/// or that block itself where a game's trace repeats its root's output), and the config hash
/// our chain's.
pub fn record_boot(
    rollup: &sprout_protocol::rollup::RollupConfig,
    datadir: &std::path::Path,
    l1_url: &str,
    beacon: Option<&str>,
    boot: BootInfo,
    agreed_block: u64,
) -> Result<sprout_fp_host::Recording> {
    let storage = Storage::open_read_only(&datadir.join("db"))?;
    let chain = storage
        .chain_config()?
        .ok_or_else(|| NodeError::Config(format!("{} holds no chain", datadir.display())))?;
    let config = ProgramConfig::new(rollup.clone(), chain);
    if config.hash() != boot.config_hash {
        return Err(NodeError::Config(format!(
            "the game's program config hash is {}, our chain's is {}: this node is not the game's chain",
            boot.config_hash,
            config.hash()
        )));
    }
    if agreed_block > boot.claimed_block || agreed_block + 1 < boot.claimed_block {
        return Err(NodeError::Config(format!(
            "the subgame agrees on block {agreed_block} and disputes block {}: the program proves one block at a time",
            boot.claimed_block
        )));
    }
    let agreed = block_output(&storage, agreed_block)?;
    if agreed.output != boot.agreed_output {
        return Err(NodeError::Config(format!(
            "the subgame starts from output {} for block {agreed_block}, our node has {}: no honest trace starts there",
            boot.agreed_output, agreed.output
        )));
    }
    let (_, recording) = run_host(
        &Engine::Native,
        boot,
        &config,
        &agreed,
        &storage,
        l1_url,
        beacon,
    )?;
    Ok(recording)
}

/// Runs the program for `boot` on `engine` against a host over the node's database and L1:
/// its decision and everything it read.
fn run_host(
    engine: &Engine,
    boot: BootInfo,
    config: &ProgramConfig,
    agreed: &BlockOutput,
    storage: &Storage,
    l1_url: &str,
    beacon: Option<&str>,
) -> Result<(Decision, sprout_fp_host::Recording)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let l1 = RpcL1 {
        client: L1Client::new(l1_url, runtime.handle().clone())?.with_beacon(beacon)?,
        runtime: &runtime,
    };
    let host = Host::new(boot, config, agreed.preimage.to_vec(), l1, NodeL2(storage))
        .map_err(|e| NodeError::Config(e.to_string()))?;
    let (decision, host) = decide(engine, host)?;
    Ok((decision, host.recording()))
}

struct BlockOutput {
    output: B256,
    preimage: [u8; 128],
}

/// The v0 output root of canonical block `number`, and its 128-byte preimage.
fn block_output(storage: &Storage, number: u64) -> Result<BlockOutput> {
    let hash = storage
        .canonical_hash(number)?
        .ok_or_else(|| NodeError::Config(format!("the node has no block {number} yet")))?;
    let header = storage
        .header(&hash)?
        .ok_or(NodeError::UnknownBlock(hash))?;
    let passer = TrieState::new(header.state_root, storage).storage_root(MESSAGE_PASSER)?;
    let preimage = output_preimage_v0(header.state_root, passer, hash);
    Ok(BlockOutput {
        output: alloy_primitives::keccak256(preimage),
        preimage,
    })
}

/// L2 from the node's database.
struct NodeL2<'a>(&'a Storage);

impl L2Source for NodeL2<'_> {
    fn trie_node(&self, hash: B256) -> std::result::Result<Option<Bytes>, String> {
        use sprout_protocol::trie::TrieNodeProvider;
        Ok(self.0.trie_node(&hash).ok())
    }
    fn code(&self, hash: B256) -> std::result::Result<Option<Bytes>, String> {
        self.0.code(&hash).map_err(|e| e.to_string())
    }
    fn header_rlp(&self, hash: B256) -> std::result::Result<Option<Bytes>, String> {
        Ok(self
            .0
            .header(&hash)
            .map_err(|e| e.to_string())?
            .map(|header| alloy_rlp::encode(&header).into()))
    }
    fn block_transactions(&self, hash: B256) -> std::result::Result<Option<Vec<Bytes>>, String> {
        Ok(self
            .0
            .body(&hash)
            .map_err(|e| e.to_string())?
            .map(|body| body.transactions))
    }
}

/// L1 over JSON-RPC.
struct RpcL1<'a> {
    client: L1Client,
    runtime: &'a tokio::runtime::Runtime,
}

impl L1Source for RpcL1<'_> {
    fn header_rlp(&mut self, hash: B256) -> std::result::Result<Option<Bytes>, String> {
        self.runtime
            .block_on(self.client.header_rlp_by_hash(hash))
            .map_err(|e| e.to_string())
    }
    fn raw_block(&mut self, hash: B256) -> std::result::Result<RawL1Block, String> {
        self.runtime
            .block_on(self.client.raw_block_by_hash(hash))
            .map_err(|e| e.to_string())
    }
    fn blobs(&mut self, hash: B256) -> std::result::Result<Vec<(Bytes, Bytes)>, String> {
        use alloy_consensus::Transaction as _;
        use alloy_eips::eip2718::Decodable2718 as _;
        let raw = self
            .runtime
            .block_on(self.client.raw_block_by_hash(hash))
            .map_err(|e| e.to_string())?;
        let header: alloy_consensus::Header =
            alloy_rlp::Decodable::decode(&mut raw.header.as_ref()).map_err(|e| e.to_string())?;
        let mut hashes = Vec::new();
        for tx in &raw.transactions {
            let tx = alloy_consensus::TxEnvelope::decode_2718(&mut tx.as_ref())
                .map_err(|e| format!("an L1 transaction of block {hash}: {e}"))?;
            hashes.extend(
                tx.blob_versioned_hashes()
                    .unwrap_or_default()
                    .iter()
                    .copied(),
            );
        }
        let block = L1BlockRef {
            number: header.number,
            hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
        };
        let blobs = self
            .runtime
            .block_on(self.client.blobs(&block, &hashes))
            .map_err(|e| e.to_string())?;
        blobs
            .into_iter()
            .map(|blob| {
                let commitment = crate::beacon::kzg_commitment(&blob).map_err(|e| e.to_string())?;
                Ok((commitment, blob))
            })
            .collect()
    }
}

fn print(
    json: bool,
    decision: &Decision,
    boot: &BootInfo,
    preimages: usize,
    bytes: u64,
    seconds: f64,
) {
    let verdict = match decision.verdict {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
    };
    let outcome = decision.outcome.as_ref();
    if json {
        println!(
            "{}",
            json!({
                "verdict": verdict,
                "mode": if decision.steps.is_some() { "vm" } else { "native" },
                "agreedOutput": boot.agreed_output,
                "claimedBlock": boot.claimed_block,
                "claim": boot.claimed_output,
                "l1Head": boot.l1_head,
                "configHash": boot.config_hash,
                "agreedBlock": outcome.map(|o| o.agreed_block),
                "derivedBlock": outcome.map(|o| o.derived_block),
                "derivedHash": outcome.map(|o| o.derived_hash),
                "computedOutput": outcome.map(|o| o.computed_output),
                "steps": decision.steps,
                "finalState": decision.final_state,
                "preimages": preimages,
                "preimageBytes": bytes,
                "seconds": seconds,
            })
        );
        return;
    }
    let how = match (decision.steps, decision.final_state) {
        (Some(steps), Some(state)) => format!("{steps} VM steps, final state {state}"),
        _ => "native".to_string(),
    };
    println!(
        "{verdict}: block {} claimed {} (L1 head {}); {preimages} preimages, {bytes} bytes, {seconds:.2} s, {how}",
        boot.claimed_block, boot.claimed_output, boot.l1_head,
    );
    if let Some(outcome) = outcome {
        println!(
            "derived block {} ({}) has output {}",
            outcome.derived_block, outcome.derived_hash, outcome.computed_output
        );
    }
}
