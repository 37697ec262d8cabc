//! `sol!` bindings generated from the committed artifacts (`contracts/artifacts/*.json`).
//!
//! Each contract lives in its own module because the generated library types (`Types`, …)
//! would otherwise collide; the contract types are re-exported from the crate root.
#![allow(missing_docs, clippy::too_many_arguments)]

macro_rules! contract_bindings {
    ($($module:ident :: $name:ident => $path:literal),* $(,)?) => {$(
        #[doc = concat!("Bindings of `", stringify!($name), "`, from `contracts/artifacts/", stringify!($name), ".json`.")]
        pub mod $module {
            alloy::sol!(
                #[sol(rpc)]
                #[derive(Debug, PartialEq, Eq)]
                $name,
                $path
            );
        }
        pub use $module::$name;
    )*};
}

contract_bindings! {
    portal::Portal => "../artifacts/Portal.json",
    fault_proof_portal::FaultProofPortal => "../artifacts/FaultProofPortal.json",
    dispute_game_factory::DisputeGameFactory => "../artifacts/DisputeGameFactory.json",
    anchor_state_registry::AnchorStateRegistry => "../artifacts/AnchorStateRegistry.json",
    fault_dispute_game::FaultDisputeGame => "../artifacts/FaultDisputeGame.json",
    preimage_oracle::PreimageOracle => "../artifacts/PreimageOracle.json",
    riscv::RISCV => "../artifacts/RISCV.json",
    l2_output_oracle::L2OutputOracle => "../artifacts/L2OutputOracle.json",
    system_config::SystemConfig => "../artifacts/SystemConfig.json",
    l1_block::L1Block => "../artifacts/L1Block.json",
    gas_price_oracle::GasPriceOracle => "../artifacts/GasPriceOracle.json",
    l2_to_l1_message_passer::L2ToL1MessagePasser => "../artifacts/L2ToL1MessagePasser.json",
    sequencer_fee_vault::SequencerFeeVault => "../artifacts/SequencerFeeVault.json",
    base_fee_vault::BaseFeeVault => "../artifacts/BaseFeeVault.json",
    l1_fee_vault::L1FeeVault => "../artifacts/L1FeeVault.json",
    test_token::TestToken => "../artifacts/TestToken.json",
}
