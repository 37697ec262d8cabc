//! Executor tests: determinism, fees, deposits, rollup fees, EIP-1559 math.
use super::*;
use crate::{
    AccountState, ChainConfig, Hardfork,
    chain::{BaseFeeConfig, GenesisConfig},
    state_root::{ChainData, TrieState},
    trie::{MemoryNodes, TrieError},
    tx::SproutTx,
};
use alloc::collections::BTreeMap;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{TxKind, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

#[derive(Default)]
struct Db {
    nodes: MemoryNodes,
    codes: BTreeMap<B256, Bytes>,
}

impl TrieNodeProvider for Db {
    fn trie_node(&self, hash: &B256) -> core::result::Result<Bytes, TrieError> {
        self.nodes.trie_node(hash)
    }
}

impl ChainData for Db {
    fn code(&self, code_hash: B256) -> Result<Option<Bytes>> {
        Ok(self.codes.get(&code_hash).cloned())
    }
    fn block_hash(&self, _: u64) -> Result<B256> {
        Ok(B256::ZERO)
    }
}

fn setup() -> (ChainConfig, Db, Header, PrivateKeySigner) {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).expect("key");
    let mut alloc = BTreeMap::new();
    alloc.insert(
        signer.address(),
        crate::GenesisAccount {
            balance: U256::from(10u128.pow(21)),
            ..Default::default()
        },
    );
    alloc.extend(crate::chain::system_contracts());
    let config = ChainConfig {
        chain_id: 901,
        hardfork: Hardfork::Prague,
        prague_time: None,
        block_time: 1,
        gas_limit: 30_000_000,
        base_fee: BaseFeeConfig {
            max_change_denominator: 8,
            elasticity_multiplier: 2,
            initial_base_fee: 1_000_000_000,
        },
        fee_recipient: address!("0x00000000000000000000000000000000000fee01"),
        genesis: GenesisConfig {
            timestamp: 100,
            extra_data: Bytes::new(),
            alloc,
        },
    };
    let genesis = config.genesis().expect("genesis");
    let mut db = Db::default();
    db.nodes.insert_nodes(genesis.trie_nodes);
    db.codes.extend(genesis.changes.codes);
    (config, db, genesis.header, signer)
}

fn transfer(signer: &PrivateKeySigner, nonce: u64, value: u64) -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: 901,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000,
        to: TxKind::Call(address!("0x000000000000000000000000000000000000dEaD")),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    SproutTx::Ethereum(TxEnvelope::from(tx.into_signed(sig)))
        .recover()
        .expect("recover")
}

fn inputs_after(config: &ChainConfig, parent: &Header) -> BlockEnvInputs {
    BlockEnvInputs {
        beneficiary: config.fee_recipient,
        timestamp: parent.timestamp + 1,
        gas_limit: config.gas_limit,
        base_fee: config.next_base_fee(parent),
        prev_randao: B256::ZERO,
        extra_data: Bytes::new(),
        parent_beacon_block_root: Some(B256::ZERO),
        withdrawals: Some(Vec::new()),
    }
}

fn build(config: &ChainConfig, db: &Db, parent: &Header, txs: Vec<RecoveredTx>) -> ExecutedBlock {
    let executor = Executor {
        chain_id: config.chain_id,
        spec: config.hardfork.spec_id(),
    };
    let inputs = inputs_after(config, parent);
    let reader = TrieState::new(parent.state_root, db);
    executor
        .execute_block(parent, inputs, txs, reader, parent.state_root, db)
        .expect("block executes")
}

#[test]
fn same_inputs_give_the_same_block_hash() {
    let (config, db, genesis, signer) = setup();
    let txs = vec![transfer(&signer, 0, 1), transfer(&signer, 1, 2)];
    let a = build(&config, &db, &genesis, txs.clone());
    let b = build(&config, &db, &genesis, txs);
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.block.header.gas_used, 42_000);
    assert_eq!(a.receipts.len(), 2);
    assert!(a.receipts.iter().all(|r| r.success));
    let c = build(&config, &db, &genesis, vec![transfer(&signer, 0, 1)]);
    assert_ne!(a.hash, c.hash);
}

#[test]
fn transfer_moves_value_and_pays_the_tip_to_the_fee_recipient() {
    let (config, mut db, genesis, signer) = setup();
    let block = build(&config, &db, &genesis, vec![transfer(&signer, 0, 12_345)]);
    db.nodes.insert_nodes(block.trie_nodes.clone());
    let state = TrieState::new(block.block.header.state_root, &db);
    let dead = address!("0x000000000000000000000000000000000000dEaD");
    assert_eq!(
        state.account(dead).expect("read").map(|a| a.balance),
        Some(U256::from(12_345))
    );
    let tip = U256::from(21_000u64 * 1_000);
    assert_eq!(
        state
            .account(config.fee_recipient)
            .expect("read")
            .map(|a| a.balance),
        Some(tip)
    );
    let sender: AccountState = state
        .account(signer.address())
        .expect("read")
        .expect("exists");
    assert_eq!(sender.nonce, 1);
    let base_fee = U256::from(block.block.header.base_fee_per_gas.expect("base fee"));
    let spent = U256::from(12_345) + U256::from(21_000) * base_fee + tip;
    assert_eq!(sender.balance, U256::from(10u128.pow(21)) - spent);
}

#[test]
fn invalid_transactions_fail_a_block_but_are_skipped_by_the_builder() {
    let (config, db, genesis, signer) = setup();
    let executor = Executor {
        chain_id: config.chain_id,
        spec: config.hardfork.spec_id(),
    };
    let inputs = inputs_after(&config, &genesis);
    let reader = TrieState::new(genesis.state_root, &db);
    let mut builder = executor
        .builder(&genesis, inputs.clone(), reader)
        .expect("builder");
    // Nonce 5 is not the account's next nonce.
    assert!(matches!(
        builder.apply(transfer(&signer, 5, 1)),
        Err(ApplyError::Invalid(_))
    ));
    assert!(builder.apply(transfer(&signer, 0, 1)).is_ok());
    assert_eq!(builder.len(), 1);
    let reader = TrieState::new(genesis.state_root, &db);
    let err = executor.execute_block(
        &genesis,
        inputs,
        vec![transfer(&signer, 5, 1)],
        reader,
        genesis.state_root,
        &db,
    );
    assert!(err.is_err());
}

fn deposit(from: Address, to: Address, mint: u128, value: u64, nonce_salt: u8) -> RecoveredTx {
    SproutTx::Deposit(crate::TxDeposit {
        source_hash: B256::repeat_byte(nonce_salt),
        from,
        to: TxKind::Call(to),
        mint,
        value: U256::from(value),
        gas_limit: 100_000,
        is_system_transaction: false,
        input: Bytes::new(),
    })
    .recover()
    .expect("deposits carry their sender")
}

#[test]
fn deposits_mint_first_pay_no_fee_and_bump_the_nonce_even_when_they_fail() {
    let (mut config, _, _, signer) = setup();
    let reverter = address!("0x00000000000000000000000000000000000bad00");
    config.genesis.alloc.insert(
        reverter,
        crate::GenesisAccount {
            code: Some(Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xfd])),
            ..Default::default()
        },
    );
    let genesis = config.genesis().expect("genesis");
    let mut db = Db::default();
    db.nodes.insert_nodes(genesis.trie_nodes);
    db.codes.extend(genesis.changes.codes);
    let alice = address!("0x00000000000000000000000000000000000a11ce");
    let dead = address!("0x000000000000000000000000000000000000dEaD");
    let txs = vec![
        deposit(alice, dead, 5, 2, 1),     // succeeds
        deposit(alice, dead, 1, 1_000, 2), // value above balance: fails, mint stays
        deposit(alice, reverter, 7, 0, 3), // reverts: mint stays
        transfer(&signer, 0, 1),
    ];
    let block = build(&config, &db, &genesis.header, txs);
    let r = &block.receipts;
    assert!(r[0].success && !r[1].success && !r[2].success && r[3].success);
    assert_eq!(
        r.iter().map(|r| r.deposit_nonce).collect::<Vec<_>>(),
        vec![Some(0), Some(1), Some(2), None]
    );
    assert_eq!(
        block.gas_used[1], 100_000,
        "a failed deposit uses its whole gas limit"
    );
    assert_eq!(block.gas_used[2], 100_000);
    db.nodes.insert_nodes(block.trie_nodes.clone());
    let state = TrieState::new(block.block.header.state_root, &db);
    let alice_after = state.account(alice).expect("read").expect("exists");
    assert_eq!(alice_after.balance, U256::from(5 - 2 + 1 + 7));
    assert_eq!(alice_after.nonce, 3);
    assert_eq!(
        state.account(dead).expect("read").map(|a| a.balance),
        Some(U256::from(3u64))
    );
    // Deposits pay no fee: the fee recipient only has the transfer's tip.
    assert_eq!(
        state
            .account(config.fee_recipient)
            .expect("read")
            .map(|a| a.balance),
        Some(U256::from(21_000u64 * 1_000))
    );
}

#[test]
fn rollup_blocks_charge_the_l1_fee_and_pay_base_fees_to_vaults() {
    let (config, mut db, genesis, signer) = setup();
    let executor = Executor {
        chain_id: config.chain_id,
        spec: config.hardfork.spec_id(),
    };
    let base_fee = config.next_base_fee(&genesis);
    let inputs = inputs_after(&config, &genesis);
    let l1_info = crate::l1_info::L1BlockInfo {
        base_fee: U256::from(30_000_000_000u64),
        blob_base_fee: U256::from(5u64),
        base_fee_scalar: 1368,
        blob_base_fee_scalar: 810_949,
        ..Default::default()
    };
    let fees = RollupFees {
        l1_info,
        base_fee_vault: address!("0x4200000000000000000000000000000000000019"),
        l1_fee_vault: address!("0x420000000000000000000000000000000000001a"),
    };
    let tx = transfer(&signer, 0, 1);
    let expected_l1_fee = l1_info.l1_fee(crate::l1_info::L1BlockInfo::l1_gas_used(
        &tx.tx.unsigned_encoding(),
    ));
    assert!(expected_l1_fee > U256::ZERO);
    let reader = TrieState::new(genesis.state_root, &db);
    let mut builder = executor.builder(&genesis, inputs, reader).expect("builder");
    builder.set_rollup_fees(fees);
    builder.apply(tx).expect("applies");
    let block = builder.finish(genesis.state_root, &db).expect("block");
    let charged = block.receipts[0].l1_fee.expect("l1 fee recorded");
    assert_eq!(charged.fee, expected_l1_fee);
    db.nodes.insert_nodes(block.trie_nodes.clone());
    let state = TrieState::new(block.block.header.state_root, &db);
    let balance = |a| {
        state
            .account(a)
            .expect("read")
            .map(|a| a.balance)
            .unwrap_or_default()
    };
    assert_eq!(balance(fees.l1_fee_vault), expected_l1_fee);
    assert_eq!(
        balance(fees.base_fee_vault),
        U256::from(21_000u64) * U256::from(base_fee)
    );
    let tip = U256::from(21_000u64 * 1_000);
    assert_eq!(balance(config.fee_recipient), tip);
    let spent =
        U256::from(1) + U256::from(21_000u64) * U256::from(base_fee) + tip + expected_l1_fee;
    assert_eq!(
        balance(signer.address()),
        U256::from(10u128.pow(21)) - spent
    );
}

#[test]
fn base_fee_follows_eip1559() {
    let (config, _, genesis, _) = setup();
    // Empty parent: the base fee falls by 1/8.
    assert_eq!(config.next_base_fee(&genesis), 875_000_000);
    let mut full = genesis.clone();
    full.gas_used = full.gas_limit;
    assert_eq!(config.next_base_fee(&full), 1_125_000_000);
    let mut at_target = genesis;
    at_target.gas_used = at_target.gas_limit / 2;
    assert_eq!(config.next_base_fee(&at_target), 1_000_000_000);
}
