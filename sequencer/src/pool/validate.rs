//! Checks that need only the transaction and the pool's configuration, in geth's order.

use super::{PoolConfig, PoolError, PoolTransaction, traits};

/// Runs the stateless checks in the order geth applies them: the RPC layer's replay-protection
/// check, then `txpool.ValidateTransaction` (type, size, gas limit, fee sanity, chain id, nonce
/// bound, intrinsic gas, minimum tip).
pub(crate) fn validate_stateless<T: PoolTransaction>(
    tx: &T,
    cfg: &PoolConfig,
    block_gas_limit: u64,
) -> Result<(), PoolError> {
    let ty = tx.tx_type();
    if ty == traits::LEGACY_TX_TYPE && tx.chain_id().is_none() && !cfg.accept_unprotected {
        return Err(PoolError::Unprotected);
    }
    if !matches!(
        ty,
        traits::LEGACY_TX_TYPE
            | traits::EIP2930_TX_TYPE
            | traits::EIP1559_TX_TYPE
            | traits::EIP7702_TX_TYPE
    ) {
        return Err(PoolError::TxTypeNotSupported(ty));
    }
    let size = tx.encoded_len();
    if size > cfg.max_tx_size {
        return Err(PoolError::OversizedData {
            size,
            limit: cfg.max_tx_size,
        });
    }
    if tx.gas_limit() > block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit);
    }
    if tx.max_priority_fee_per_gas() > tx.max_fee_per_gas() {
        return Err(PoolError::TipAboveFeeCap);
    }
    match tx.chain_id() {
        Some(have) if have != cfg.chain_id => {
            return Err(PoolError::InvalidChainId {
                have,
                want: cfg.chain_id,
            });
        }
        // Typed transactions always commit to a chain id; one without is malformed.
        None if ty != traits::LEGACY_TX_TYPE => {
            return Err(PoolError::InvalidChainId {
                have: 0,
                want: cfg.chain_id,
            });
        }
        _ => {}
    }
    if tx.nonce() == u64::MAX {
        return Err(PoolError::NonceMax);
    }
    if tx.gas_limit() < tx.intrinsic_gas() {
        return Err(PoolError::IntrinsicGasTooLow {
            gas: tx.gas_limit(),
            needed: tx.intrinsic_gas(),
        });
    }
    if tx.max_priority_fee_per_gas() < cfg.min_tip {
        return Err(PoolError::TipBelowMinimum {
            tip: tx.max_priority_fee_per_gas(),
            min: cfg.min_tip,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use crate::pool::{
        AddOutcome, PoolConfig, TxPool,
        test_utils::{BLOCK_GAS_LIMIT, CHAIN_ID, GWEI, MockState, MockTx, addr, config},
    };

    fn reject(cfg: PoolConfig, tx: MockTx) -> String {
        match TxPool::new(cfg).add(tx, &MockState::default(), 1) {
            Ok(outcome) => panic!("accepted: {outcome:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn tx() -> MockTx {
        MockTx::eip1559(addr(1), 0, 2 * GWEI, GWEI)
    }

    #[test]
    fn unprotected_legacy_is_refused_unless_allowed() {
        let unprotected = MockTx {
            chain_id: None,
            ..MockTx::legacy(addr(1), 0, GWEI)
        };
        assert_eq!(
            reject(config(), unprotected.clone()),
            "only replay-protected (EIP-155) transactions allowed over RPC"
        );
        let cfg = PoolConfig {
            accept_unprotected: true,
            ..config()
        };
        let pool = TxPool::new(cfg);
        assert_eq!(
            pool.add(unprotected, &MockState::default(), 1),
            Ok(AddOutcome::Pending)
        );
    }

    #[test]
    fn blob_and_deposit_types_are_not_supported() {
        assert_eq!(
            reject(config(), MockTx { tx_type: 3, ..tx() }),
            "transaction type not supported: tx type 3 not supported by this pool"
        );
        assert_eq!(
            reject(
                config(),
                MockTx {
                    tx_type: 0x7e,
                    ..tx()
                }
            ),
            "transaction type not supported: tx type 126 not supported by this pool"
        );
    }

    #[test]
    fn every_other_type_is_supported() {
        let pool = TxPool::new(config());
        for (nonce, tx_type) in [0u8, 1, 2, 4].into_iter().enumerate() {
            let tx = MockTx {
                tx_type,
                nonce: nonce as u64,
                ..tx()
            };
            assert_eq!(
                pool.add(tx, &MockState::default(), 1),
                Ok(AddOutcome::Pending)
            );
        }
    }

    #[test]
    fn oversized_transaction_is_refused() {
        assert_eq!(
            reject(
                config(),
                MockTx {
                    size: 128 * 1024 + 1,
                    ..tx()
                }
            ),
            "oversized data: transaction size 131073, limit 131072"
        );
    }

    #[test]
    fn gas_above_block_limit_is_refused() {
        assert_eq!(
            reject(
                config(),
                MockTx {
                    gas_limit: BLOCK_GAS_LIMIT + 1,
                    ..tx()
                }
            ),
            "exceeds block gas limit"
        );
    }

    #[test]
    fn tip_above_fee_cap_is_refused() {
        assert_eq!(
            reject(config(), MockTx::eip1559(addr(1), 0, GWEI, GWEI + 1)),
            "max priority fee per gas higher than max fee per gas"
        );
    }

    #[test]
    fn foreign_chain_id_is_an_invalid_sender() {
        assert_eq!(
            reject(
                config(),
                MockTx {
                    chain_id: Some(1),
                    ..tx()
                }
            ),
            format!("invalid sender: invalid chain id for signer: have 1 want {CHAIN_ID}")
        );
    }

    #[test]
    fn max_nonce_is_refused() {
        assert_eq!(
            reject(
                config(),
                MockTx {
                    nonce: u64::MAX,
                    ..tx()
                }
            ),
            "nonce has max value"
        );
    }

    #[test]
    fn gas_below_intrinsic_is_refused() {
        assert_eq!(
            reject(
                config(),
                MockTx {
                    gas_limit: 21_000,
                    intrinsic: 21_100,
                    ..tx()
                }
            ),
            "intrinsic gas too low: gas 21000, minimum needed 21100"
        );
    }

    #[test]
    fn tip_below_minimum_is_underpriced() {
        assert_eq!(
            reject(config(), MockTx::eip1559(addr(1), 0, GWEI, 0)),
            "transaction underpriced: gas tip cap 0, minimum needed 1"
        );
        let pool = TxPool::new(PoolConfig {
            min_tip: 0,
            ..config()
        });
        let free = MockTx::eip1559(addr(1), 0, GWEI, 0);
        assert_eq!(
            pool.add(free, &MockState::default(), 1),
            Ok(AddOutcome::Pending)
        );
    }

    #[test]
    fn checks_run_in_geth_order() {
        // Both oversized and over the gas limit: size is checked first.
        let big = MockTx {
            size: 1 << 20,
            gas_limit: u64::MAX,
            value: U256::MAX,
            ..tx()
        };
        assert!(reject(config(), big).starts_with("oversized data"));
        // Wrong chain and too little gas: the signer check comes before intrinsic gas.
        let foreign = MockTx {
            chain_id: Some(5),
            intrinsic: 50_000,
            ..tx()
        };
        assert!(reject(config(), foreign).starts_with("invalid sender"));
    }
}
