//! State access for execution: the [`StateReader`] a host provides, the per-block overlay that
//! revm runs on, and the [`StateChanges`] a block leaves behind.

use alloc::{collections::BTreeMap, string::ToString, vec::Vec};
use alloy_primitives::{
    Address, B256, Bytes, KECCAK256_EMPTY, U256,
    map::{AddressMap, B256Map, HashMap},
};
use revm::{
    Database,
    bytecode::Bytecode,
    database_interface::DBErrorMarker,
    primitives::hardfork::SpecId,
    state::{Account, AccountInfo},
};

use crate::{ProtocolError, Result};

impl DBErrorMarker for ProtocolError {}

/// An account as the flat state and the trie keep it (the storage root lives in the trie).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct AccountState {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Hash of the account's code (`KECCAK256_EMPTY` for none).
    pub code_hash: B256,
}

/// Read access to the state a block executes on. Implemented by the node over RocksDB (latest
/// flat state or a historical trie), and by the fault-proof program over its preimage oracle.
pub trait StateReader {
    /// The account at `address`, or `None` if it does not exist.
    fn account(&self, address: Address) -> Result<Option<AccountState>>;
    /// A storage slot (zero if unset).
    fn storage(&self, address: Address, slot: U256) -> Result<U256>;
    /// Code by its hash.
    fn code(&self, code_hash: B256) -> Result<Option<Bytes>>;
    /// The hash of block `number` (only the 256 most recent are asked for).
    fn block_hash(&self, number: u64) -> Result<B256>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn account(&self, address: Address) -> Result<Option<AccountState>> {
        (**self).account(address)
    }
    fn storage(&self, address: Address, slot: U256) -> Result<U256> {
        (**self).storage(address, slot)
    }
    fn code(&self, code_hash: B256) -> Result<Option<Bytes>> {
        (**self).code(code_hash)
    }
    fn block_hash(&self, number: u64) -> Result<B256> {
        (**self).block_hash(number)
    }
}

/// How one account changed over a block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The account after the block, or `None` if it was destroyed or cleared as empty.
    pub account: Option<AccountState>,
    /// Whether the old storage was wiped (the account was destroyed or created anew).
    pub storage_cleared: bool,
    /// Slots written during the block, with their final values (zero = deleted).
    pub storage: BTreeMap<U256, U256>,
}

/// Everything a block changed: what storage writes and the state root are computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Changed accounts, ordered by address.
    pub accounts: BTreeMap<Address, AccountChange>,
    /// Code deployed during the block.
    pub codes: BTreeMap<B256, Bytes>,
}

#[derive(Clone, Debug, Default)]
struct CachedAccount {
    info: Option<AccountState>,
    storage: HashMap<U256, U256>,
    /// Storage of the underlying reader is not visible (destroyed / recreated).
    storage_cleared: bool,
}

/// The overlay revm executes a block on: reads fall through to a [`StateReader`], commits land
/// here and are recorded as [`StateChanges`].
#[derive(Debug)]
pub struct BlockState<R> {
    reader: R,
    spec: SpecId,
    accounts: AddressMap<CachedAccount>,
    codes: B256Map<Bytecode>,
    changes: StateChanges,
}

impl<R: StateReader> BlockState<R> {
    /// An empty overlay over `reader`, committing with the rules of `spec`.
    pub fn new(reader: R, spec: SpecId) -> Self {
        Self {
            reader,
            spec,
            accounts: AddressMap::default(),
            codes: B256Map::default(),
            changes: StateChanges::default(),
        }
    }

    /// The underlying reader.
    pub fn reader(&self) -> &R {
        &self.reader
    }

    /// The changes committed so far.
    pub fn changes(&self) -> &StateChanges {
        &self.changes
    }

    /// Consumes the overlay, returning the changes.
    pub fn into_changes(self) -> StateChanges {
        self.changes
    }

    fn load(&mut self, address: Address) -> Result<&mut CachedAccount> {
        if !self.accounts.contains_key(&address) {
            let info = self.reader.account(address)?;
            self.accounts.insert(
                address,
                CachedAccount {
                    info,
                    ..Default::default()
                },
            );
        }
        self.accounts
            .get_mut(&address)
            .ok_or_else(|| ProtocolError::State("account cache lost an entry".to_string()))
    }

    /// Adds `amount` wei to `address` outside of a transaction (withdrawals, deposit mints).
    pub fn increment_balance(&mut self, address: Address, amount: U256) -> Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let cached = self.load(address)?;
        let mut info = cached.info.unwrap_or(AccountState {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK256_EMPTY,
        });
        info.balance = info.balance.saturating_add(amount);
        cached.info = Some(info);
        let change = self.changes.accounts.entry(address).or_default();
        change.account = Some(info);
        Ok(())
    }

    /// The balance `address` has in the overlay (0 if it does not exist).
    pub fn balance(&mut self, address: Address) -> Result<U256> {
        Ok(self
            .load(address)?
            .info
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    /// Subtracts `amount` wei from `address` outside of a transaction (the L1 data fee). The
    /// caller has checked the balance covers it.
    pub fn decrement_balance(&mut self, address: Address, amount: U256) -> Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let cached = self.load(address)?;
        let Some(mut info) = cached.info else {
            return Err(ProtocolError::State(alloc::format!(
                "{address} cannot pay {amount} wei: no account"
            )));
        };
        info.balance = info.balance.checked_sub(amount).ok_or_else(|| {
            ProtocolError::State(alloc::format!("{address} cannot pay {amount} wei"))
        })?;
        cached.info = Some(info);
        self.changes.accounts.entry(address).or_default().account = Some(info);
        Ok(())
    }

    /// The nonce `address` has in the overlay (0 if it does not exist).
    pub fn nonce(&mut self, address: Address) -> Result<u64> {
        Ok(self
            .load(address)?
            .info
            .map(|a| a.nonce)
            .unwrap_or_default())
    }

    /// Increments the nonce of `address` outside of the EVM (a deposit that failed validation).
    pub fn bump_nonce(&mut self, address: Address) -> Result<()> {
        let cached = self.load(address)?;
        let mut info = cached.info.unwrap_or(AccountState {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK256_EMPTY,
        });
        info.nonce = info.nonce.saturating_add(1);
        cached.info = Some(info);
        self.changes.accounts.entry(address).or_default().account = Some(info);
        Ok(())
    }

    fn commit_account(&mut self, address: Address, account: Account) -> Result<()> {
        if !account.is_touched() {
            return Ok(());
        }
        let spurious = self.spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
        let destroyed = account.is_selfdestructed() || (spurious && account.is_empty());
        if destroyed {
            let cached = self.load(address)?;
            cached.info = None;
            cached.storage.clear();
            cached.storage_cleared = true;
            let change = self.changes.accounts.entry(address).or_default();
            change.account = None;
            change.storage_cleared = true;
            change.storage.clear();
            return Ok(());
        }
        let created = account.is_created();
        if let Some(code) = &account.info.code
            && account.info.code_hash != KECCAK256_EMPTY
            && !code.is_empty()
        {
            self.changes
                .codes
                .entry(account.info.code_hash)
                .or_insert_with(|| code.original_bytes());
            self.codes.insert(account.info.code_hash, code.clone());
        }
        let info = AccountState {
            nonce: account.info.nonce,
            balance: account.info.balance,
            code_hash: account.info.code_hash,
        };
        let written: Vec<(U256, U256)> = account
            .storage
            .into_iter()
            .filter(|(_, value)| value.is_changed() || created)
            .map(|(slot, value)| (slot, value.present_value()))
            .collect();
        let cached = self.load(address)?;
        cached.info = Some(info);
        if created {
            cached.storage.clear();
            cached.storage_cleared = true;
        }
        cached.storage.extend(written.iter().copied());
        let change = self.changes.accounts.entry(address).or_default();
        change.account = Some(info);
        if created {
            change.storage_cleared = true;
            change.storage.clear();
        }
        change.storage.extend(written);
        Ok(())
    }

    /// Commits revm's state diff of one transaction or system call.
    pub fn commit_state(
        &mut self,
        state: impl IntoIterator<Item = (Address, Account)>,
    ) -> Result<()> {
        for (address, account) in state {
            self.commit_account(address, account)?;
        }
        Ok(())
    }
}

impl<R: StateReader> Database for BlockState<R> {
    type Error = ProtocolError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>> {
        let info = self.load(address)?.info;
        Ok(info.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode> {
        if code_hash == KECCAK256_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        let raw = self
            .reader
            .code(code_hash)?
            .ok_or_else(|| ProtocolError::State(alloc::format!("missing code {code_hash}")))?;
        let code = Bytecode::new_raw_checked(raw)
            .map_err(|err| ProtocolError::State(alloc::format!("bad code {code_hash}: {err:?}")))?;
        self.codes.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256> {
        let cached = self.load(address)?;
        if let Some(value) = cached.storage.get(&index) {
            return Ok(*value);
        }
        if cached.storage_cleared || cached.info.is_none() {
            return Ok(U256::ZERO);
        }
        let value = self.reader.storage(address, index)?;
        if let Some(cached) = self.accounts.get_mut(&address) {
            cached.storage.insert(index, value);
        }
        Ok(value)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256> {
        self.reader.block_hash(number)
    }
}
