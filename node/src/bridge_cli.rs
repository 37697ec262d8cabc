//! `sprout bridge`: ETH between L1 and a Sprout L2 (the `sprout-agent` crate's bridge) from
//! the command line.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256, U256};
use clap::{Args, Subcommand};
use serde::Serialize;
use sprout_agent::bridge::{
    Bridge, BridgeConfig, ChainAddresses, DEVNET_L1_RPC_URL, DEVNET_L2_RPC_URL, KeySource,
    parse_amount, resolve_signer,
};

use crate::{NodeError, Result};

/// `sprout bridge` arguments.
#[derive(Debug, Clone, Args)]
pub struct BridgeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BridgeCommand,
}

/// `sprout bridge` commands.
#[derive(Debug, Clone, Subcommand)]
pub enum BridgeCommand {
    /// L1 -> L2: deposit ETH through the Portal and wait for it on L2.
    Deposit(TransferArgs),
    /// L2 -> L1: start a withdrawal; prints the L2 transaction and withdrawal hashes.
    Withdraw(TransferArgs),
    /// Where a withdrawal stands: waiting-to-prove, ready-to-prove, waiting-to-finalize,
    /// ready-to-finalize or finalized.
    Status(WithdrawalArgs),
    /// Prove a withdrawal on L1 (storage proof from the L2's eth_getProof).
    Prove(WithdrawalArgs),
    /// Finalize a proven withdrawal on L1 after the finalization period.
    Finalize(WithdrawalArgs),
}

/// Where the chain is, who signs, how to print.
#[derive(Debug, Clone, Args)]
pub struct BridgeChainArgs {
    /// A `sprout up` datadir: its `rollup.json` names the contracts.
    #[arg(long, env = "SPROUT_DATADIR", default_value = ".sprout/devnet")]
    pub datadir: PathBuf,
    /// A rollup config (`rollup.json`) naming the Portal and the L2OutputOracle.
    #[arg(long, env = "SPROUT_ROLLUP")]
    pub rollup: Option<PathBuf>,
    /// The Portal's L1 address (instead of a rollup config).
    #[arg(long, env = "SPROUT_PORTAL")]
    pub portal: Option<Address>,
    /// The L2OutputOracle's L1 address (default: the Portal's `l2Oracle()`).
    #[arg(long = "l2-output-oracle", env = "SPROUT_L2_OUTPUT_ORACLE")]
    pub l2_output_oracle: Option<Address>,
    /// L1 JSON-RPC endpoint (HTTP).
    #[arg(long = "l1.rpc-url", env = "SPROUT_L1_RPC_URL", default_value = DEVNET_L1_RPC_URL)]
    pub l1_rpc_url: String,
    /// L2 JSON-RPC endpoint (HTTP).
    #[arg(long = "l2.rpc-url", env = "SPROUT_L2_RPC_URL", default_value = DEVNET_L2_RPC_URL)]
    pub l2_rpc_url: String,
    /// The signing key (hex). Prefer `--private-key-file` or the environment. On a devnet
    /// datadir, dev account 0 when no key is given.
    #[arg(
        long = "private-key",
        env = "SPROUT_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// A file holding the signing key (hex).
    #[arg(
        long = "private-key-file",
        env = "SPROUT_PRIVATE_KEY_FILE",
        conflicts_with = "private_key"
    )]
    pub private_key_file: Option<PathBuf>,
    /// Longest wait, in seconds, for a receipt or for a deposit to reach L2.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `deposit` and `withdraw` arguments.
#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// How much: `1ether`, `0.5ether`, `100gwei`, or a number of wei.
    #[arg(long, value_parser = amount)]
    pub amount: U256,
    /// Who receives it on the other layer (default: the signer).
    #[arg(long)]
    pub to: Option<Address>,
    /// Gas of the transfer on the other layer: L2 gas of a deposit, L1 gas of a withdrawal's
    /// call (default 100000).
    #[arg(long = "gas-limit")]
    pub gas_limit: Option<u64>,
    #[command(flatten)]
    pub chain: BridgeChainArgs,
}

/// `status`, `prove` and `finalize` arguments.
#[derive(Debug, Clone, Args)]
pub struct WithdrawalArgs {
    /// The L2 transaction that started the withdrawal (`sprout bridge withdraw` prints it).
    pub l2_tx_hash: B256,
    #[command(flatten)]
    pub chain: BridgeChainArgs,
}

fn amount(text: &str) -> std::result::Result<U256, String> {
    parse_amount(text).map_err(|e| e.to_string())
}

impl BridgeChainArgs {
    /// Connects; `signs` says whether the command needs a key (and may default to dev account 0).
    async fn connect(&self, signs: bool) -> Result<Bridge> {
        let (addresses, devnet) = ChainAddresses::resolve(
            &self.datadir,
            self.rollup.as_deref(),
            self.portal,
            self.l2_output_oracle,
        )
        .map_err(config)?;
        let signer = if signs {
            resolve_signer(
                self.private_key.as_deref(),
                self.private_key_file.as_deref(),
                devnet,
            )
            .map_err(config)?
        } else {
            None
        };
        if let Some((signer, KeySource::DevAccount0)) = &signer {
            eprintln!(
                "no --private-key, --private-key-file or SPROUT_PRIVATE_KEY given: signing with dev account 0 ({}) of the devnet mnemonic",
                signer.address()
            );
        }
        Bridge::connect(BridgeConfig {
            l1_rpc_url: self.l1_rpc_url.clone(),
            l2_rpc_url: self.l2_rpc_url.clone(),
            addresses,
            signer: signer.map(|(s, _)| s),
            timeout: Duration::from_secs(self.timeout),
        })
        .await
        .map_err(config)
    }
}

fn config(e: sprout_agent::AgentError) -> NodeError {
    NodeError::Config(e.to_string())
}

fn print<T: Serialize + std::fmt::Display>(json: bool, report: &T) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

/// Runs one `sprout bridge` command.
pub async fn run_bridge(args: BridgeArgs) -> Result<()> {
    match args.command {
        BridgeCommand::Deposit(a) => {
            let bridge = a.chain.connect(true).await?;
            let report = bridge
                .deposit(a.to, a.amount, a.gas_limit)
                .await
                .map_err(config)?;
            print(a.chain.json, &report)
        }
        BridgeCommand::Withdraw(a) => {
            let bridge = a.chain.connect(true).await?;
            let report = bridge
                .withdraw(a.to, a.amount, a.gas_limit)
                .await
                .map_err(config)?;
            print(a.chain.json, &report)
        }
        BridgeCommand::Status(a) => {
            let bridge = a.chain.connect(false).await?;
            let report = bridge.status(a.l2_tx_hash).await.map_err(config)?;
            print(a.chain.json, &report)
        }
        BridgeCommand::Prove(a) => {
            let bridge = a.chain.connect(true).await?;
            let report = bridge.prove(a.l2_tx_hash).await.map_err(config)?;
            print(a.chain.json, &report)
        }
        BridgeCommand::Finalize(a) => {
            let bridge = a.chain.connect(true).await?;
            let report = bridge.finalize(a.l2_tx_hash).await.map_err(config)?;
            print(a.chain.json, &report)
        }
    }
}
