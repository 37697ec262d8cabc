//! `sprout fp prove`: runs the fault-proof program for one L2 block, natively, against a node's
//! database and L1 (or a recording), and prints its verdict.

use std::{path::PathBuf, time::Instant};

use alloy_primitives::{B256, Bytes};
use clap::{Args, Subcommand};
use serde_json::json;
use sprout_fp_host::{Host, L1Source, L2Source, Replay, read_recording, write_recording};
use sprout_fp_program::{BootInfo, Outcome, Preimages, ProgramConfig, Verdict};
use sprout_protocol::{
    l1_block::RawL1Block,
    output::{MESSAGE_PASSER, output_root_v0},
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
    /// output of the block before it. Exits 0 on `valid`, 1 on `invalid`.
    Prove(ProveArgs),
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
    /// Run the program in this process, as a host library (the only mode built so far).
    #[arg(long)]
    pub native: bool,
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
    }
}

fn prove(args: &ProveArgs) -> Result<bool> {
    if !args.native {
        return Err(NodeError::Config(
            "the fault-proof program runs natively only so far (its RISC-V build for the VM is not built yet): pass --native".into(),
        ));
    }
    let started = Instant::now();
    let (outcome, preimages, bytes, hints) = match &args.offline {
        Some(dir) => {
            let recording = read_recording(dir).map_err(|e| NodeError::Config(e.to_string()))?;
            let preimages = Preimages::new(Replay::new(&recording));
            let outcome = sprout_fp_program::run(&preimages).map_err(program_error)?;
            (outcome, recording.preimages.len(), recording.bytes(), 0)
        }
        None => online(args)?,
    };
    let seconds = started.elapsed().as_secs_f64();
    print(args.json, &outcome, preimages, bytes, hints, seconds);
    Ok(outcome.verdict == Verdict::Valid)
}

fn program_error(err: sprout_fp_program::ProgramError) -> NodeError {
    NodeError::Config(format!("the program stopped without a verdict: {err}"))
}

fn online(args: &ProveArgs) -> Result<(Outcome, usize, u64, u64)> {
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let l1 = RpcL1 {
        client: L1Client::new(l1_url, runtime.handle().clone())?,
        runtime: &runtime,
    };
    let host = Host::new(
        boot,
        &config,
        agreed.preimage.to_vec(),
        l1,
        NodeL2(&storage),
    )
    .map_err(|e| NodeError::Config(e.to_string()))?;
    let preimages = Preimages::new(host);
    let outcome = sprout_fp_program::run(&preimages).map_err(program_error)?;
    let host = preimages.into_oracle();
    let recording = host.recording();
    if let Some(dir) = &args.record {
        write_recording(dir, &recording).map_err(|e| NodeError::Config(e.to_string()))?;
    }
    Ok((
        outcome,
        recording.preimages.len(),
        recording.bytes(),
        host.hints(),
    ))
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
    let passer = TrieState::new(header.state_root, storage)
        .trie_account(MESSAGE_PASSER)?
        .map_or(alloy_trie::EMPTY_ROOT_HASH, |account| account.storage_root);
    let mut preimage = [0u8; 128];
    preimage[32..64].copy_from_slice(header.state_root.as_slice());
    preimage[64..96].copy_from_slice(passer.as_slice());
    preimage[96..].copy_from_slice(hash.as_slice());
    Ok(BlockOutput {
        output: output_root_v0(header.state_root, passer, hash),
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
}

fn print(json: bool, outcome: &Outcome, preimages: usize, bytes: u64, hints: u64, seconds: f64) {
    let verdict = match outcome.verdict {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
    };
    if json {
        println!(
            "{}",
            json!({
                "verdict": verdict,
                "mode": "native",
                "agreedBlock": outcome.agreed_block,
                "agreedOutput": outcome.boot.agreed_output,
                "claimedBlock": outcome.boot.claimed_block,
                "claim": outcome.boot.claimed_output,
                "derivedBlock": outcome.derived_block,
                "derivedHash": outcome.derived_hash,
                "computedOutput": outcome.computed_output,
                "l1Head": outcome.boot.l1_head,
                "configHash": outcome.boot.config_hash,
                "preimages": preimages,
                "preimageBytes": bytes,
                "hints": hints,
                "seconds": seconds,
                "steps": null,
                "finalState": null,
            })
        );
    } else {
        println!(
            "{verdict}: block {} claimed {}; derived block {} from L1 up to {} has output {} ({preimages} preimages, {bytes} bytes, {seconds:.2} s, native)",
            outcome.boot.claimed_block,
            outcome.boot.claimed_output,
            outcome.derived_block,
            outcome.boot.l1_head,
            outcome.computed_output,
        );
    }
}
