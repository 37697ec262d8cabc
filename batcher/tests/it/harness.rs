//! What the tests share: the batcher key, a rollup config, an L2 double, reading the inbox.

use std::sync::{Arc, Mutex};

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    network::TransactionResponse as _,
    providers::{DynProvider, Provider, ProviderBuilder},
    transports::http::reqwest::Url,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use sprout_batcher::{
    BatcherConfig, L2Block, L2Source, Result, SyncStatus,
    l2::{L1Ref, L2Ref},
};
use sprout_protocol::rollup::{GenesisSystemConfig, RollupConfig, RollupGenesis};
use sprout_txmgr::TxManagerConfig;

/// anvil's first dev account.
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// The batch inbox the tests post to.
pub const INBOX: Address = Address::repeat_byte(0xff);

pub fn signer() -> PrivateKeySigner {
    DEV_KEY.parse().expect("dev key")
}

pub fn provider(url: &Url) -> DynProvider {
    ProviderBuilder::new().connect_http(url.clone()).erased()
}

pub fn rollup(batcher: Address) -> RollupConfig {
    RollupConfig {
        genesis: RollupGenesis {
            system_config: GenesisSystemConfig {
                batcher_addr: batcher,
                ..Default::default()
            },
            ..Default::default()
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: 31337,
        l2_chain_id: 901,
        batch_inbox_address: INBOX,
        deposit_contract_address: Address::repeat_byte(1),
        l1_system_config_address: Address::repeat_byte(2),
        l2_output_oracle_address: Address::repeat_byte(3),
        regolith_time: None,
        canyon_time: None,
        ecotone_time: None,
    }
}

pub fn batcher_config(url: &Url) -> BatcherConfig {
    let signer = signer();
    let rollup = rollup(signer.address());
    BatcherConfig::new(url.to_string(), "http://127.0.0.1:1", rollup, signer)
}

pub fn txmgr_config(confirmations: u64) -> TxManagerConfig {
    TxManagerConfig {
        role: "batcher",
        chain_id: 31337,
        confirmations,
        resubmit_timeout: std::time::Duration::from_millis(500),
        min_balance: U256::from(50_000_000_000_000_000u128),
        min_tip: 1_000_000_000,
        max_pending: 8,
        blobs: false,
    }
}

/// Calls an anvil/debug method that answers nothing useful.
pub async fn anvil(
    provider: &DynProvider,
    method: &'static str,
    params: impl serde::Serialize + Clone + Send + Sync + Unpin + std::fmt::Debug + 'static,
) {
    provider
        .raw_request::<_, serde_json::Value>(method.into(), params)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
}

/// The calldata of every transaction from `from` to [`INBOX`], in L1 order, with its block.
pub async fn inbox_txs(provider: &DynProvider, from: Address) -> Vec<(u64, Bytes)> {
    let head = provider.get_block_number().await.expect("head");
    let mut out = Vec::new();
    for number in 0..=head {
        // An `anvil_reorg` racing this scan can take the tip away for a moment: stop there, the
        // next scan reads the new blocks.
        let Some(block) = provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .full()
            .await
            .expect("block")
        else {
            break;
        };
        for tx in block.transactions.txns() {
            if tx.to() == Some(INBOX) && tx.from() == from {
                out.push((number, tx.input().clone()));
            }
        }
    }
    out
}

/// A sequencer whose chain and heads the test sets.
#[derive(Debug, Default)]
pub struct FakeSequencer {
    pub blocks: Mutex<Vec<L2Block>>,
    pub safe: Mutex<u64>,
    /// The L1 block its derivation has read up to; `None`: always caught up. A test whose
    /// safe head never moves freezes it, or the batcher would rightly take the unmoving safe
    /// head for lost batches (`SafeHeadStalled`).
    pub derived_l1: Mutex<Option<u64>>,
}

impl FakeSequencer {
    /// Genesis and `n` blocks, each with a few transactions.
    pub fn with_blocks(n: u64) -> Arc<Self> {
        let fake = Arc::new(Self::default());
        {
            let mut blocks = fake.blocks.lock().expect("lock");
            let mut parent = B256::ZERO;
            for number in 0..=n {
                let hash = keccak256([&number.to_be_bytes()[..], parent.as_slice()].concat());
                let txs = (0..number % 4)
                    .map(|i| {
                        let mut tx = vec![0x02];
                        tx.extend_from_slice(keccak256([number as u8, i as u8]).as_slice());
                        tx.extend_from_slice(&[i as u8; 40]);
                        Bytes::from(tx)
                    })
                    .collect();
                blocks.push(L2Block {
                    number,
                    hash,
                    parent_hash: parent,
                    timestamp: 1_000 + 2 * number,
                    epoch_num: number / 3,
                    epoch_hash: keccak256((number / 3).to_be_bytes()),
                    transactions: txs,
                });
                parent = hash;
            }
        }
        fake
    }
}

fn l2_ref(block: &L2Block) -> L2Ref {
    L2Ref {
        hash: block.hash,
        number: block.number,
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
        ..Default::default()
    }
}

impl L2Source for FakeSequencer {
    async fn sync_status(&self) -> Result<SyncStatus> {
        let blocks = self.blocks.lock().expect("lock");
        let safe = *self.safe.lock().expect("lock");
        let head = blocks.last().map(l2_ref).unwrap_or_default();
        let safe = blocks.get(safe as usize).map(l2_ref).unwrap_or_default();
        Ok(SyncStatus {
            current_l1: Some(L1Ref {
                number: self.derived_l1.lock().expect("lock").unwrap_or(u64::MAX),
                ..Default::default()
            }),
            head_l1: None,
            unsafe_l2: head,
            safe_l2: safe,
            finalized_l2: safe,
        })
    }

    async fn block(&self, number: u64) -> Result<Option<L2Block>> {
        Ok(self
            .blocks
            .lock()
            .expect("lock")
            .get(number as usize)
            .cloned())
    }
}

/// Lets tests keep a handle on the double they give the batcher.
pub struct Shared(pub Arc<FakeSequencer>);

impl L2Source for Shared {
    async fn sync_status(&self) -> Result<SyncStatus> {
        self.0.sync_status().await
    }

    async fn block(&self, number: u64) -> Result<Option<L2Block>> {
        self.0.block(number).await
    }
}
