// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SystemConfig
/// @notice The chain's L1-side configuration. Nodes derive the batcher, fee scalars, gas limit
///         and unsafe block signer from the ConfigUpdate events (OP Stack's encoding), and a new
///         node can find everything it needs to join from this one address: the portal and
///         oracle, the L2 chain id, genesis hash, block time and the chain-config file
///         (hash + URI). Plain deployment, no proxy; constructor-initialized.
contract SystemConfig {
    /// @notice OP's ConfigUpdate types, in OP's order (the numeric value is in the event).
    enum UpdateType {
        BATCHER,
        GAS_CONFIG, // fee scalars
        GAS_LIMIT,
        UNSAFE_BLOCK_SIGNER
    }

    /// @notice Constructor parameters.
    struct Config {
        uint32 basefeeScalar;
        uint32 blobbasefeeScalar;
        bytes32 batcherHash;
        uint64 gasLimit;
        address unsafeBlockSigner;
        address batchInbox;
        address l2OutputOracle;
        address optimismPortal;
        uint256 l2ChainId;
        bytes32 genesisL2Hash;
        uint256 l2BlockTime;
        bytes32 chainConfigHash;
        string chainConfigUri;
    }

    /// @notice Version of the ConfigUpdate event's data encoding.
    uint256 public constant VERSION = 0;
    /// @notice Lowest L2 gas limit: deposits of one L1 block (Portal.MAX_RESOURCE_LIMIT) plus
    ///         1M for the L1-info system transaction must always fit in an L2 block.
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;
    uint64 public constant MAXIMUM_GAS_LIMIT = 200_000_000;

    address public immutable batchInbox;
    address public immutable l2OutputOracle;
    address public immutable optimismPortal;
    uint256 public immutable l2ChainId;
    bytes32 public immutable genesisL2Hash;
    uint256 public immutable l2BlockTime;
    /// @notice L1 block at which this config was deployed; derivation starts scanning here.
    uint256 public immutable startBlock;

    address public owner;
    bytes32 public batcherHash;
    uint64 public gasLimit;
    uint32 public basefeeScalar;
    uint32 public blobbasefeeScalar;
    /// @notice Legacy (pre-Ecotone) fee overhead; always 0 here, reported for OP compatibility.
    uint256 public overhead;
    /// @notice Ecotone-encoded scalar: 0x01 ++ zeros ++ blobbasefeeScalar(4) ++ basefeeScalar(4).
    uint256 public scalar;
    address public unsafeBlockSigner;
    bytes32 public chainConfigHash;
    string public chainConfigUri;

    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);
    event ChainConfigUpdate(bytes32 indexed chainConfigHash, string chainConfigUri);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error Unauthorized();
    error ZeroAddress();
    error GasLimitOutOfRange();

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized();
        _;
    }

    constructor(address _owner, Config memory _cfg) {
        if (_owner == address(0)) revert ZeroAddress();
        batchInbox = _cfg.batchInbox;
        l2OutputOracle = _cfg.l2OutputOracle;
        optimismPortal = _cfg.optimismPortal;
        l2ChainId = _cfg.l2ChainId;
        genesisL2Hash = _cfg.genesisL2Hash;
        l2BlockTime = _cfg.l2BlockTime;
        startBlock = block.number;

        owner = _owner;
        emit OwnershipTransferred(address(0), _owner);
        _setBatcherHash(_cfg.batcherHash);
        _setGasConfigEcotone(_cfg.basefeeScalar, _cfg.blobbasefeeScalar);
        _setGasLimit(_cfg.gasLimit);
        _setUnsafeBlockSigner(_cfg.unsafeBlockSigner);
        _setChainConfig(_cfg.chainConfigHash, _cfg.chainConfigUri);
    }

    function version() external pure returns (string memory) {
        return "1.12.0";
    }

    function minimumGasLimit() external pure returns (uint64) {
        return MINIMUM_GAS_LIMIT;
    }

    function maximumGasLimit() external pure returns (uint64) {
        return MAXIMUM_GAS_LIMIT;
    }

    function transferOwnership(address _newOwner) external onlyOwner {
        if (_newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    function setBatcherHash(bytes32 _batcherHash) external onlyOwner {
        _setBatcherHash(_batcherHash);
    }

    function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external onlyOwner {
        _setGasConfigEcotone(_basefeeScalar, _blobbasefeeScalar);
    }

    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        _setGasLimit(_gasLimit);
    }

    function setUnsafeBlockSigner(address _unsafeBlockSigner) external onlyOwner {
        _setUnsafeBlockSigner(_unsafeBlockSigner);
    }

    function setChainConfig(bytes32 _chainConfigHash, string calldata _chainConfigUri) external onlyOwner {
        _setChainConfig(_chainConfigHash, _chainConfigUri);
    }

    function _setBatcherHash(bytes32 _batcherHash) internal {
        batcherHash = _batcherHash;
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(_batcherHash));
    }

    function _setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) internal {
        basefeeScalar = _basefeeScalar;
        blobbasefeeScalar = _blobbasefeeScalar;
        uint256 packed = (uint256(0x01) << 248) | (uint256(_blobbasefeeScalar) << 32) | uint256(_basefeeScalar);
        scalar = packed;
        emit ConfigUpdate(VERSION, UpdateType.GAS_CONFIG, abi.encode(overhead, packed));
    }

    function _setGasLimit(uint64 _gasLimit) internal {
        if (_gasLimit < MINIMUM_GAS_LIMIT || _gasLimit > MAXIMUM_GAS_LIMIT) revert GasLimitOutOfRange();
        gasLimit = _gasLimit;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(_gasLimit));
    }

    function _setUnsafeBlockSigner(address _unsafeBlockSigner) internal {
        unsafeBlockSigner = _unsafeBlockSigner;
        emit ConfigUpdate(VERSION, UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(_unsafeBlockSigner));
    }

    function _setChainConfig(bytes32 _chainConfigHash, string memory _chainConfigUri) internal {
        chainConfigHash = _chainConfigHash;
        chainConfigUri = _chainConfigUri;
        emit ChainConfigUpdate(_chainConfigHash, _chainConfigUri);
    }
}
