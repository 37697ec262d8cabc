//! The benchmark's workloads: deterministic sender keys, their genesis, and presigned blocks of
//! ETH and ERC-20 (TestToken) transfers.

use std::collections::BTreeMap;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context as _, Result, anyhow};
use sprout_protocol::{
    ChainConfig, GenesisAccount, Hardfork, RecoveredTx, SproutTx,
    chain::{BaseFeeConfig, GenesisConfig},
};

/// Chain id of the benchmark chain (anvil runs with the same id, so the same bytes are valid).
pub const CHAIN_ID: u64 = 901;
/// Block gas limit of the benchmark chain.
pub const GAS_LIMIT: u64 = 1_000_000_000;
/// Fee cap of every benchmark transaction (10 gwei; the base fee starts at 1 gwei).
pub const MAX_FEE: u128 = 10_000_000_000;
/// Tip of every benchmark transaction.
pub const TIP: u128 = 1_000_000;
/// Gas limit of an ERC-20 transfer transaction.
pub const TOKEN_TRANSFER_GAS: u64 = 100_000;

/// One presigned transaction: its EIP-2718 bytes and the executor's view of it.
#[derive(Clone, Debug)]
pub struct SignedTx {
    /// `eth_sendRawTransaction` bytes.
    pub raw: Bytes,
    /// Decoded, with the sender filled in from the key that signed it.
    pub recovered: RecoveredTx,
}

/// The senders of a benchmark: keys derived from `keccak256("sprout-bench" ++ i)`.
#[derive(Debug)]
pub struct Senders {
    /// Keys, one per sender.
    pub keys: Vec<PrivateKeySigner>,
    /// Next nonce of each sender.
    pub nonces: Vec<u64>,
}

impl Senders {
    /// `count` deterministic senders, all at nonce 0.
    pub fn generate(count: usize) -> Result<Self> {
        Self::from_seed(b"sprout-bench", count)
    }

    /// The ERC-20 deployer: one key of its own.
    pub fn deployer() -> Result<Self> {
        Self::from_seed(b"sprout-bench-deployer", 1)
    }

    fn from_seed(prefix: &[u8], count: usize) -> Result<Self> {
        let keys = (0..count)
            .map(|i| {
                let mut seed = prefix.to_vec();
                seed.extend_from_slice(&(i as u64).to_be_bytes());
                PrivateKeySigner::from_bytes(&keccak256(&seed))
                    .map_err(|e| anyhow!("sender key {i}: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            nonces: vec![0; keys.len()],
            keys,
        })
    }

    /// Addresses of all senders.
    pub fn addresses(&self) -> Vec<Address> {
        self.keys.iter().map(PrivateKeySigner::address).collect()
    }

    /// Takes the next nonce of sender `i`.
    fn next_nonce(&mut self, i: usize) -> u64 {
        let nonce = self.nonces[i];
        self.nonces[i] += 1;
        nonce
    }
}

/// The benchmark chain: every sender funded with 1,000,000 ETH, Prague, 1 s blocks, 1 Ggas.
pub fn chain_config(funded: &[Address]) -> ChainConfig {
    let balance = U256::from(10u64).pow(U256::from(24u64));
    let mut alloc: BTreeMap<Address, GenesisAccount> = funded
        .iter()
        .map(|a| {
            (
                *a,
                GenesisAccount {
                    balance,
                    ..Default::default()
                },
            )
        })
        .collect();
    alloc.extend(sprout_protocol::chain::system_contracts());
    ChainConfig {
        chain_id: CHAIN_ID,
        hardfork: Hardfork::Prague,
        prague_time: None,
        block_time: 1,
        gas_limit: GAS_LIMIT,
        base_fee: BaseFeeConfig {
            max_change_denominator: 250,
            elasticity_multiplier: 6,
            initial_base_fee: 1_000_000_000,
        },
        fee_recipient: Address::ZERO,
        genesis: GenesisConfig {
            timestamp: 0,
            extra_data: Bytes::new(),
            alloc,
        },
    }
}

/// Signs an EIP-1559 transaction for [`CHAIN_ID`].
pub fn sign(
    key: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: U256,
    gas_limit: u64,
    input: Bytes,
) -> Result<SignedTx> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: MAX_FEE,
        max_priority_fee_per_gas: TIP,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let signature = key
        .sign_hash_sync(&tx.signature_hash())
        .context("signing")?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    let raw = Bytes::from(envelope.encoded_2718());
    let hash = *envelope.tx_hash();
    Ok(SignedTx {
        raw,
        recovered: RecoveredTx {
            tx: SproutTx::Ethereum(envelope),
            sender: key.address(),
            hash,
        },
    })
}

/// A recipient that never held anything: each transfer creates a new account or token balance.
pub fn fresh_recipient(index: u64) -> Address {
    let mut seed = b"sprout-bench-recipient".to_vec();
    seed.extend_from_slice(&index.to_be_bytes());
    Address::from_word(keccak256(&seed))
}

/// What to sign: a sender index and what the transaction does.
#[derive(Clone, Copy, Debug)]
pub enum Transfer {
    /// 1 wei to a fresh address.
    Eth { to: Address },
    /// 1 token unit of `token` to a fresh address.
    Token { token: Address, to: Address },
}

/// Signs `plan` (sender index, transfer) in order, assigning nonces, on all cores.
pub fn sign_plan(senders: &mut Senders, plan: &[(usize, Transfer)]) -> Result<Vec<SignedTx>> {
    let jobs: Vec<(usize, u64, Transfer)> = plan
        .iter()
        .map(|(i, t)| (*i, senders.next_nonce(*i), *t))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = jobs.len().div_ceil(threads).max(1);
    let keys = &senders.keys;
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(i, nonce, transfer)| {
                            let key = &keys[*i];
                            match *transfer {
                                Transfer::Eth { to } => sign(
                                    key,
                                    *nonce,
                                    TxKind::Call(to),
                                    U256::from(1),
                                    21_000,
                                    Bytes::new(),
                                ),
                                Transfer::Token { token, to } => sign(
                                    key,
                                    *nonce,
                                    TxKind::Call(token),
                                    U256::ZERO,
                                    TOKEN_TRANSFER_GAS,
                                    erc20_transfer(to, U256::from(1)),
                                ),
                            }
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(jobs.len());
        for handle in handles {
            out.extend(
                handle
                    .join()
                    .map_err(|_| anyhow!("signing thread panicked"))??,
            );
        }
        Ok(out)
    })
}

/// `block_count` blocks of `per_block` ETH transfers, senders taking turns, each to a fresh
/// address (numbered from `recipient_base`).
pub fn eth_blocks(
    senders: &mut Senders,
    block_count: usize,
    per_block: usize,
    recipient_base: u64,
) -> Result<Vec<Vec<SignedTx>>> {
    let n = senders.keys.len();
    let mut blocks = Vec::with_capacity(block_count);
    for b in 0..block_count {
        let plan: Vec<(usize, Transfer)> = (0..per_block)
            .map(|i| {
                let k = (b * per_block + i) as u64;
                (
                    (b * per_block + i) % n,
                    Transfer::Eth {
                        to: fresh_recipient(recipient_base + k),
                    },
                )
            })
            .collect();
        blocks.push(sign_plan(senders, &plan)?);
    }
    Ok(blocks)
}

/// `block_count` blocks of `per_block` token transfers (sender `i` of `senders` must hold tokens).
pub fn token_blocks(
    senders: &mut Senders,
    token: Address,
    block_count: usize,
    per_block: usize,
) -> Result<Vec<Vec<SignedTx>>> {
    let n = senders.keys.len();
    let mut blocks = Vec::with_capacity(block_count);
    for b in 0..block_count {
        let plan: Vec<(usize, Transfer)> = (0..per_block)
            .map(|i| {
                let k = (b * per_block + i) as u64;
                (
                    (b * per_block + i) % n,
                    Transfer::Token {
                        token,
                        to: fresh_recipient((1 << 40) | k),
                    },
                )
            })
            .collect();
        blocks.push(sign_plan(senders, &plan)?);
    }
    Ok(blocks)
}

/// TestToken's creation code (`contracts/artifacts/TestToken.json`), compiled in.
fn token_creation_code() -> Result<Vec<u8>> {
    let artifact: serde_json::Value =
        serde_json::from_str(include_str!("../../contracts/artifacts/TestToken.json"))?;
    let hex = artifact["bytecode"]
        .as_str()
        .or_else(|| artifact["bytecode"]["object"].as_str())
        .ok_or_else(|| anyhow!("TestToken.json has no bytecode"))?;
    Ok(alloy_primitives::hex::decode(hex)?)
}

/// ABI-encodes a string as the tail of a dynamic argument: length word + padded bytes.
fn abi_string(s: &str) -> Vec<u8> {
    let mut out = U256::from(s.len()).to_be_bytes::<32>().to_vec();
    out.extend_from_slice(s.as_bytes());
    out.resize(32 + s.len().div_ceil(32) * 32, 0);
    out
}

/// Deploy transaction input: creation code ++ abi.encode(name, symbol, supply).
pub fn token_deploy_input(supply: U256) -> Result<Bytes> {
    let mut data = token_creation_code()?;
    let name = abi_string("Bench Token");
    let symbol = abi_string("BENCH");
    data.extend_from_slice(&U256::from(96).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(96 + name.len()).to_be_bytes::<32>());
    data.extend_from_slice(&supply.to_be_bytes::<32>());
    data.extend_from_slice(&name);
    data.extend_from_slice(&symbol);
    Ok(data.into())
}

/// `transfer(address,uint256)` calldata.
pub fn erc20_transfer(to: Address, amount: U256) -> Bytes {
    let mut data = keccak256("transfer(address,uint256)")[..4].to_vec();
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}

/// The ERC-20 setup: the deployer (sender 0 of `deployer`) deploys TestToken and funds every
/// token sender. Returns the setup block and the token address.
pub fn token_setup(
    deployer: &mut Senders,
    holders: &[Address],
) -> Result<(Vec<SignedTx>, Address)> {
    let key = deployer.keys[0].clone();
    let nonce = deployer.next_nonce(0);
    let token = key.address().create(nonce);
    let supply = U256::from(10u64).pow(U256::from(30u64));
    let mut block = vec![sign(
        &key,
        nonce,
        TxKind::Create,
        U256::ZERO,
        5_000_000,
        token_deploy_input(supply)?,
    )?];
    let each = U256::from(10u64).pow(U256::from(24u64));
    for holder in holders {
        let nonce = deployer.next_nonce(0);
        block.push(sign(
            &key,
            nonce,
            TxKind::Call(token),
            U256::ZERO,
            TOKEN_TRANSFER_GAS,
            erc20_transfer(*holder, each),
        )?);
    }
    Ok((block, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_string_pads_to_words() {
        assert_eq!(abi_string("BENCH").len(), 64);
        assert_eq!(abi_string("").len(), 32);
    }
}
