//! `sprout blocktest`: runs Ethereum BlockchainTests through Sprout's executor and trie.
//!
//! Valid blocks must import with the expected post-state and last block hash; blocks marked
//! `expectException` must be rejected. Tests for forks before Cancun are skipped with the reason
//! printed: a rollup launched today never runs pre-merge (difficulty, uncle) rules.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_rlp::Decodable;
use alloy_trie::EMPTY_ROOT_HASH;
use clap::Args;
use revm::primitives::hardfork::SpecId;
use serde::Deserialize;
use sprout_protocol::{
    AccountState, Block, BlockEnvInputs, Executor, GenesisAccount, RecoveredTx, StateChanges,
    StateReader,
    state::AccountChange,
    state_root::{ChainData, TrieState, apply_changes},
    trie::{MemoryNodes, TrieError, TrieNodeProvider},
};

use crate::{NodeError, Result};

/// `sprout blocktest` arguments.
#[derive(Debug, Clone, Args)]
pub struct BlocktestArgs {
    /// Test files or folders (searched recursively for `*.json`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print every test's result, not only failures and skips.
    #[arg(long, short)]
    pub verbose: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestCase {
    network: String,
    #[serde(rename = "genesisRLP")]
    genesis_rlp: Bytes,
    pre: BTreeMap<Address, TestAccount>,
    blocks: Vec<TestBlock>,
    post_state: Option<BTreeMap<Address, TestAccount>>,
    post_state_hash: Option<B256>,
    lastblockhash: B256,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestAccount {
    balance: U256,
    nonce: U256,
    code: Bytes,
    storage: BTreeMap<U256, U256>,
}

impl TestAccount {
    fn genesis(&self) -> GenesisAccount {
        GenesisAccount {
            balance: self.balance,
            nonce: Some(self.nonce.saturating_to()),
            code: Some(self.code.clone()),
            storage: self
                .storage
                .iter()
                .map(|(k, v)| (B256::from(*k), B256::from(*v)))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestBlock {
    rlp: String,
    expect_exception: Option<String>,
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed.
    Passed,
    /// It failed, with why.
    Failed(String),
    /// It was not run, with why.
    Skipped(String),
}

/// Shared trie nodes and code of every block of one test.
#[derive(Debug, Default)]
struct TestDb {
    nodes: MemoryNodes,
    codes: HashMap<B256, Bytes>,
    headers: HashMap<B256, Header>,
}

impl TrieNodeProvider for TestDb {
    fn trie_node(&self, hash: &B256) -> std::result::Result<Bytes, TrieError> {
        self.nodes.trie_node(hash)
    }
}

impl ChainData for TestDb {
    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        Ok(self.codes.get(&code_hash).cloned())
    }
    fn block_hash(&self, _number: u64) -> sprout_protocol::Result<B256> {
        Ok(B256::ZERO)
    }
}

/// State of a parent block, with BLOCKHASH answered along that block's own ancestry.
struct ParentState<'a> {
    db: &'a TestDb,
    trie: TrieState<'a, TestDb>,
    parent: B256,
}

impl StateReader for ParentState<'_> {
    fn account(&self, address: Address) -> sprout_protocol::Result<Option<AccountState>> {
        self.trie.account(address)
    }
    fn storage(&self, address: Address, slot: U256) -> sprout_protocol::Result<U256> {
        self.trie.storage(address, slot)
    }
    fn code(&self, code_hash: B256) -> sprout_protocol::Result<Option<Bytes>> {
        self.trie.code(code_hash)
    }
    fn block_hash(&self, number: u64) -> sprout_protocol::Result<B256> {
        let mut hash = self.parent;
        while let Some(header) = self.db.headers.get(&hash) {
            if header.number == number {
                return Ok(hash);
            }
            if header.number < number {
                break;
            }
            hash = header.parent_hash;
        }
        Ok(B256::ZERO)
    }
}

fn spec_for(network: &str) -> Option<SpecId> {
    match network {
        "Cancun" => Some(SpecId::CANCUN),
        "Prague" => Some(SpecId::PRAGUE),
        _ => None,
    }
}

fn alloc_changes(alloc: &BTreeMap<Address, TestAccount>) -> StateChanges {
    let config_alloc: BTreeMap<Address, GenesisAccount> =
        alloc.iter().map(|(a, t)| (*a, t.genesis())).collect();
    let mut changes = StateChanges::default();
    for (address, account) in &config_alloc {
        let code = account.code.clone().unwrap_or_default();
        let code_hash = if code.is_empty() {
            alloy_primitives::KECCAK256_EMPTY
        } else {
            alloy_primitives::keccak256(&code)
        };
        if !code.is_empty() {
            changes.codes.insert(code_hash, code);
        }
        changes.accounts.insert(
            *address,
            AccountChange {
                account: Some(AccountState {
                    nonce: account.nonce.unwrap_or_default(),
                    balance: account.balance,
                    code_hash,
                }),
                storage_cleared: true,
                storage: account
                    .storage
                    .iter()
                    .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                    .collect(),
            },
        );
    }
    changes
}

/// Checks the header rules that execution does not.
fn validate_header(
    executor: &Executor,
    header: &Header,
    parent: &Header,
) -> std::result::Result<(), String> {
    if header.number != parent.number + 1 {
        return Err("wrong block number".into());
    }
    if header.timestamp <= parent.timestamp {
        return Err("timestamp not after parent".into());
    }
    if header.extra_data.len() > 32 {
        return Err("extra data too long".into());
    }
    if header.difficulty != U256::ZERO || header.nonce != alloy_primitives::B64::ZERO {
        return Err("non-zero difficulty or nonce after the merge".into());
    }
    if header.ommers_hash != EMPTY_OMMER_ROOT_HASH {
        return Err("ommers after the merge".into());
    }
    if header.gas_used > header.gas_limit {
        return Err("gas used above gas limit".into());
    }
    let limit_delta = parent.gas_limit / 1024;
    if header.gas_limit >= parent.gas_limit + limit_delta
        || header.gas_limit <= parent.gas_limit.saturating_sub(limit_delta)
        || header.gas_limit < 5000
        || header.gas_limit > i64::MAX as u64
    {
        return Err("invalid gas limit".into());
    }
    let expected_base_fee =
        parent.next_block_base_fee(alloy_eips::eip1559::BaseFeeParams::ethereum());
    if header.base_fee_per_gas != expected_base_fee {
        return Err("invalid base fee".into());
    }
    if executor.spec.is_enabled_in(SpecId::CANCUN)
        && (header.blob_gas_used.is_none()
            || header.excess_blob_gas.is_none()
            || header.parent_beacon_block_root.is_none())
    {
        return Err("missing Cancun header fields".into());
    }
    if header.withdrawals_root.is_none() {
        return Err("missing withdrawals root".into());
    }
    Ok(())
}

fn import_block(
    executor: &Executor,
    db: &mut TestDb,
    rlp: &[u8],
) -> std::result::Result<B256, String> {
    let mut buf = rlp;
    let block = Block::decode(&mut buf).map_err(|e| format!("rlp: {e}"))?;
    if !buf.is_empty() {
        return Err("trailing bytes after block".into());
    }
    if !block.body.ommers.is_empty() {
        return Err("uncles after the merge".into());
    }
    let parent = db
        .headers
        .get(&block.header.parent_hash)
        .cloned()
        .ok_or("unknown parent")?;
    validate_header(executor, &block.header, &parent)?;
    let withdrawals = block
        .body
        .withdrawals
        .clone()
        .ok_or("missing withdrawals")?;
    let txs = block
        .body
        .transactions
        .iter()
        .cloned()
        .map(|tx| tx.recover().map_err(|e| e.to_string()))
        .collect::<std::result::Result<Vec<RecoveredTx>, String>>()?;
    let inputs = BlockEnvInputs {
        beneficiary: block.header.beneficiary,
        timestamp: block.header.timestamp,
        gas_limit: block.header.gas_limit,
        base_fee: block.header.base_fee_per_gas.unwrap_or_default(),
        prev_randao: block.header.mix_hash,
        extra_data: block.header.extra_data.clone(),
        parent_beacon_block_root: block.header.parent_beacon_block_root,
        withdrawals: Some(withdrawals),
    };
    let parent_hash = block.header.parent_hash;
    let executed = {
        let reader = ParentState {
            db,
            trie: TrieState::new(parent.state_root, db),
            parent: parent_hash,
        };
        executor
            .execute_block(&parent, inputs, txs, reader, parent.state_root, db)
            .map_err(|e| e.to_string())?
    };
    let ours = &executed.block.header;
    let theirs = &block.header;
    let checks = [
        ("state root", ours.state_root == theirs.state_root),
        (
            "transactions root",
            ours.transactions_root == theirs.transactions_root,
        ),
        ("receipts root", ours.receipts_root == theirs.receipts_root),
        ("logs bloom", ours.logs_bloom == theirs.logs_bloom),
        ("gas used", ours.gas_used == theirs.gas_used),
        ("blob gas used", ours.blob_gas_used == theirs.blob_gas_used),
        (
            "excess blob gas",
            ours.excess_blob_gas == theirs.excess_blob_gas,
        ),
        (
            "withdrawals root",
            ours.withdrawals_root == theirs.withdrawals_root,
        ),
        (
            "requests hash",
            theirs.requests_hash.is_none() || ours.requests_hash == theirs.requests_hash,
        ),
    ];
    if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(format!("{what} mismatch"));
    }
    if executed.hash != block.header.hash_slow() && theirs.requests_hash.is_none() {
        return Err("block hash mismatch".into());
    }
    let hash = block.header.hash_slow();
    db.nodes.insert_nodes(executed.trie_nodes);
    db.codes.extend(executed.changes.codes);
    db.headers.insert(hash, block.header);
    Ok(hash)
}

fn run_case(case: &TestCase) -> Outcome {
    let Some(spec) = spec_for(&case.network) else {
        return Outcome::Skipped(format!(
            "fork {} predates Cancun; a rollup runs only current rules",
            case.network
        ));
    };
    let executor = Executor { chain_id: 1, spec };
    let mut db = TestDb::default();
    let genesis = match Block::decode(&mut case.genesis_rlp.as_ref()) {
        Ok(block) => block,
        Err(err) => return Outcome::Failed(format!("genesis rlp: {err}")),
    };
    let pre = alloc_changes(&case.pre);
    let update = match apply_changes(EMPTY_ROOT_HASH, &pre, &db.nodes) {
        Ok(update) => update,
        Err(err) => return Outcome::Failed(format!("pre-state: {err}")),
    };
    if update.state_root != genesis.header.state_root {
        return Outcome::Failed(format!(
            "pre-state root {} != genesis {}",
            update.state_root, genesis.header.state_root
        ));
    }
    db.nodes.insert_nodes(update.nodes);
    db.codes.extend(pre.codes);
    let genesis_hash = genesis.header.hash_slow();
    db.headers.insert(genesis_hash, genesis.header);
    let mut head = genesis_hash;
    for (i, block) in case.blocks.iter().enumerate() {
        let rlp = match hex::decode(block.rlp.trim_start_matches("0x")) {
            Ok(rlp) => rlp,
            Err(_) if block.expect_exception.is_some() => continue,
            Err(err) => return Outcome::Failed(format!("block {i}: bad hex: {err}")),
        };
        match (
            import_block(&executor, &mut db, &rlp),
            &block.expect_exception,
        ) {
            (Ok(hash), None) => head = hash,
            (Ok(_), Some(expected)) => {
                return Outcome::Failed(format!(
                    "block {i} imported but should fail with {expected}"
                ));
            }
            (Err(_), Some(_)) => {}
            (Err(err), None) => return Outcome::Failed(format!("block {i} rejected: {err}")),
        }
    }
    if head != case.lastblockhash {
        return Outcome::Failed(format!(
            "last block {head} != expected {}",
            case.lastblockhash
        ));
    }
    let Some(head_header) = db.headers.get(&head) else {
        return Outcome::Failed("head header missing".into());
    };
    let expected_root = match (&case.post_state, case.post_state_hash) {
        (_, Some(hash)) => hash,
        (Some(post), None) => match apply_changes(
            EMPTY_ROOT_HASH,
            &alloc_changes(post),
            &MemoryNodes::default(),
        ) {
            Ok(update) => update.state_root,
            Err(err) => return Outcome::Failed(format!("post-state: {err}")),
        },
        (None, None) => {
            return Outcome::Failed("test has neither postState nor postStateHash".into());
        }
    };
    if head_header.state_root != expected_root {
        return Outcome::Failed(format!(
            "post-state root {} != expected {expected_root}",
            head_header.state_root
        ));
    }
    Outcome::Passed
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            collect_files(&entry.path(), out)?;
        }
    } else if path.extension().is_some_and(|e| e == "json") {
        out.push(path.to_path_buf());
    } else if !path.exists() {
        return Err(NodeError::Config(format!(
            "{} does not exist",
            path.display()
        )));
    }
    Ok(())
}

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Tests passed.
    pub passed: usize,
    /// Tests failed.
    pub failed: usize,
    /// Tests skipped.
    pub skipped: usize,
}

/// Runs every test in `paths`, calling `report` for each.
pub fn run_paths(paths: &[PathBuf], mut report: impl FnMut(&str, &Outcome)) -> Result<Summary> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    let mut summary = Summary::default();
    for file in files {
        let raw = std::fs::read(&file)?;
        let cases: BTreeMap<String, serde_json::Value> = match serde_json::from_slice(&raw) {
            Ok(cases) => cases,
            Err(err) => {
                summary.failed += 1;
                report(
                    &file.display().to_string(),
                    &Outcome::Failed(format!("not a BlockchainTests file: {err}")),
                );
                continue;
            }
        };
        for (name, value) in cases {
            let outcome = match serde_json::from_value::<TestCase>(value) {
                Ok(case) => run_case(&case),
                Err(err) => Outcome::Failed(format!("malformed test: {err}")),
            };
            match &outcome {
                Outcome::Passed => summary.passed += 1,
                Outcome::Failed(_) => summary.failed += 1,
                Outcome::Skipped(_) => summary.skipped += 1,
            }
            report(&format!("{}::{name}", file.display()), &outcome);
        }
    }
    Ok(summary)
}

/// `sprout blocktest`: returns whether every test passed or was skipped.
pub fn run(args: BlocktestArgs) -> Result<bool> {
    let verbose = args.verbose;
    let json = args.json;
    let summary = run_paths(&args.paths, |name, outcome| match outcome {
        Outcome::Passed if verbose => println!("PASS {name}"),
        Outcome::Passed => {}
        Outcome::Failed(why) => println!("FAIL {name}: {why}"),
        Outcome::Skipped(why) => println!("SKIP {name}: {why}"),
    })?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "passed": summary.passed, "failed": summary.failed, "skipped": summary.skipped })
        );
    }
    println!(
        "blocktest: {} passed, {} failed, {} skipped",
        summary.passed, summary.failed, summary.skipped
    );
    Ok(summary.failed == 0)
}

#[cfg(test)]
#[path = "blocktest_tests.rs"]
mod tests;
