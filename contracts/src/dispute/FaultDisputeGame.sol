// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GameStatus, BondDistributionMode, Proposal, IDisputeGame, IBigStepper} from "./DisputeTypes.sol";
import {LibPosition} from "./LibPosition.sol";
import {AnchorStateRegistry} from "./AnchorStateRegistry.sol";
import {Types} from "../lib/Types.sol";
import {Hashing} from "../lib/Hashing.sol";
import {RLPReader} from "../lib/RLPReader.sol";

/// @title FaultDisputeGame
/// @notice A claim that an output root is right, which anyone may dispute with a bond. The claim
///         tree bisects first over output roots, one per L2 block from the anchor (down to
///         `SPLIT_DEPTH`), then over the fault-proof program's execution trace for the one
///         disputed block (down to `MAX_GAME_DEPTH`), where a claim is a VM state hash after a
///         number of steps. A claim at the bottom is countered by `step`: the VM executes one
///         instruction on L1. Each side has a chess clock of `MAX_CLOCK_DURATION`; a subgame
///         whose counter's clock ran out resolves, leaves first, and the root's result is the
///         game's.
///
///         OP's `FaultDisputeGame` external ABI and rules (moves name the claim they dispute,
///         the clock extension doubles before the execution root, positions are generalized
///         indices, bonds are credits paid after the game is closed), with these differences:
///         - a game is an EIP-1167 clone whose factory passes the creator, root claim, L1 head
///           and extra data to `initialize` (OP appends them to the clone's calldata);
///         - bonds are held by the game (OP: DelayedWETH); they are paid once the anchor state
///           registry deems the game finalized, which is the guardian's window (OP adds a
///           second WETH delay);
///         - the bond at depth d is `BASE_BOND * BOND_GROWTH^d` (BOND_GROWTH in 1e18 units, set
///           at deployment) instead of OP's fixed 400k..200M gas at 200 gwei;
///         - local key 6 is the keccak256 of the program's `ProgramConfig` (rollup and chain
///           config), an immutable, so the game and not the challenger binds the rules;
///         - the disputed block number (local key 4) is capped at the root claim's block: the
///           honest output trace repeats the root's output past it;
///         - a root claim more than 2^SPLIT_DEPTH blocks past the anchor is refused at creation,
///           since the output trace could not reach it.
contract FaultDisputeGame is IDisputeGame {
    using LibPosition for uint128;

    /// @notice A claim in the game's DAG; OP's `ClaimData` (same field order).
    struct ClaimData {
        uint32 parentIndex;
        address counteredBy;
        address claimant;
        uint128 bond;
        bytes32 claim;
        uint128 position;
        uint128 clock; // duration << 64 | timestamp
    }

    /// @notice Progress of a subgame's resolution over several calls; OP's `ResolutionCheckpoint`.
    struct ResolutionCheckpoint {
        bool initialCheckpointComplete;
        uint32 subgameIndex;
        uint128 leftmostPosition;
        address counteredBy;
    }

    /// @notice Deployment parameters (immutable).
    struct GameConstructorParams {
        uint32 gameType;
        bytes32 absolutePrestate;
        uint256 maxGameDepth;
        uint256 splitDepth;
        uint64 clockExtension;
        uint64 maxClockDuration;
        IBigStepper vm;
        AnchorStateRegistry anchorStateRegistry;
        uint256 l2ChainId;
        bytes32 programConfigHash;
        uint256 baseBond;
        uint256 bondGrowthWad;
    }

    // Local preimage keys (OP's `LocalPreimageKey`, plus 6).
    uint256 internal constant L1_HEAD_HASH = 1;
    uint256 internal constant STARTING_OUTPUT_ROOT = 2;
    uint256 internal constant DISPUTED_OUTPUT_ROOT = 3;
    uint256 internal constant DISPUTED_L2_BLOCK_NUMBER = 4;
    uint256 internal constant CHAIN_ID = 5;
    uint256 internal constant PROGRAM_CONFIG = 6;

    // VM statuses carried in a state hash's first byte.
    uint8 internal constant VM_VALID = 0;
    uint8 internal constant VM_INVALID = 1;
    uint8 internal constant VM_PANIC = 2;

    uint128 internal constant ROOT_POSITION = 1;
    uint256 internal constant WAD = 1e18;
    /// @notice Deepest tree a uint128 position holds with the step's extra level.
    uint256 internal constant MAX_SUPPORTED_DEPTH = 125;

    uint32 internal immutable GAME_TYPE;
    bytes32 internal immutable ABSOLUTE_PRESTATE;
    uint256 internal immutable MAX_GAME_DEPTH;
    uint256 internal immutable SPLIT_DEPTH;
    uint64 internal immutable CLOCK_EXTENSION;
    uint64 internal immutable MAX_CLOCK_DURATION;
    IBigStepper internal immutable VM;
    AnchorStateRegistry internal immutable ANCHOR_STATE_REGISTRY;
    address internal immutable FACTORY;
    uint256 internal immutable L2_CHAIN_ID;
    bytes32 internal immutable PROGRAM_CONFIG_HASH;
    uint256 internal immutable BASE_BOND;
    uint256 internal immutable BOND_GROWTH_WAD;

    /// @notice Semantic version.
    string public constant version = "1.0.0";

    /// @notice Who created the game (through the factory).
    address public gameCreator;
    /// @notice The output root claimed for block `l2SequenceNumber()`.
    bytes32 public rootClaim;
    /// @notice The L1 block hash the game's derivation reads up to (the factory's parent block).
    bytes32 public l1Head;
    uint256 internal claimedBlock;

    /// @notice When the game was created and resolved (0 while in progress).
    uint64 public createdAt;
    uint64 public resolvedAt;
    /// @inheritdoc IDisputeGame
    GameStatus public status;
    bool internal initialized;
    /// @notice Whether the game's type was the registry's respected type at creation.
    bool public wasRespectedGameTypeWhenCreated;
    /// @notice How the bonds are paid; decided by `closeGame`.
    BondDistributionMode public bondDistributionMode;

    /// @notice The anchor the output bisection starts from.
    Proposal public startingOutputRoot;

    /// @notice Every claim, in the order made; index 0 is the root claim.
    ClaimData[] public claimData;
    /// @notice Credits in NORMAL mode: bonds of the subgames each address won.
    mapping(address => uint256) public normalModeCredit;
    /// @notice Credits in REFUND mode: the bonds each address posted.
    mapping(address => uint256) public refundModeCredit;
    /// @notice Resolved subgames, by root claim index.
    mapping(uint256 => bool) public resolvedSubgames;
    /// @notice Resolution progress, by subgame root claim index.
    mapping(uint256 => ResolutionCheckpoint) public resolutionCheckpoints;
    /// @notice Whoever showed that the root claim is not for `l2SequenceNumber()`.
    address public l2BlockNumberChallenger;
    /// @notice Whether the root claim was shown to be for another block.
    bool public l2BlockNumberChallenged;

    mapping(bytes32 => bool) internal claims;
    mapping(uint256 => uint256[]) internal subgames;

    /// @notice A move was made against the claim at `parentIndex`.
    event Move(uint256 indexed parentIndex, bytes32 indexed claim, address indexed claimant);
    /// @notice The game was resolved.
    event Resolved(GameStatus indexed status);
    /// @notice The game was closed and its bond distribution mode decided.
    event GameClosed(BondDistributionMode bondDistributionMode);

    error InvalidSplitDepth();
    error InvalidMaxGameDepth();
    error InvalidClockExtension();
    error InvalidBond();
    error AlreadyInitialized();
    error NotFactory();
    error BadExtraData();
    error AnchorRootNotFound();
    error UnexpectedRootClaim(bytes32 rootClaim);
    error ClaimBeyondSplitDepth(uint256 blocksPastAnchor);
    error GameNotInProgress();
    error InvalidParent();
    error InvalidDisputedClaimIndex();
    error CannotDefendRootClaim();
    error GameDepthExceeded();
    error IncorrectBondAmount();
    error ClockTimeExceeded();
    error ClockNotExpired();
    error ClaimAlreadyExists();
    error ClaimAlreadyResolved();
    error OutOfOrderResolution();
    error InvalidPrestate();
    error ValidStep();
    error DuplicateStep();
    error ClaimAboveSplit();
    error InvalidLocalIdent();
    error TraceAncestorNotFound();
    error L2BlockNumberChallenged();
    error InvalidOutputRootProof();
    error InvalidHeaderRLP();
    error BlockNumberMatches();
    error GameNotResolved();
    error GameNotFinalized();
    error NoCreditToClaim();
    error BondTransferFailed();

    constructor(GameConstructorParams memory p) {
        if (p.maxGameDepth > MAX_SUPPORTED_DEPTH) revert InvalidMaxGameDepth();
        if (p.splitDepth < 2 || p.splitDepth + 1 >= p.maxGameDepth) revert InvalidSplitDepth();
        if (uint256(p.clockExtension) * 2 > p.maxClockDuration) revert InvalidClockExtension();
        if (p.baseBond == 0 || p.bondGrowthWad < WAD) revert InvalidBond();
        GAME_TYPE = p.gameType;
        ABSOLUTE_PRESTATE = p.absolutePrestate;
        MAX_GAME_DEPTH = p.maxGameDepth;
        SPLIT_DEPTH = p.splitDepth;
        CLOCK_EXTENSION = p.clockExtension;
        MAX_CLOCK_DURATION = p.maxClockDuration;
        VM = p.vm;
        ANCHOR_STATE_REGISTRY = p.anchorStateRegistry;
        FACTORY = address(p.anchorStateRegistry.disputeGameFactory());
        L2_CHAIN_ID = p.l2ChainId;
        PROGRAM_CONFIG_HASH = p.programConfigHash;
        BASE_BOND = p.baseBond;
        BOND_GROWTH_WAD = p.bondGrowthWad;
    }

    // ------------------------------------------------------------------ creation

    /// @notice Sets the game up; called once, by the factory, with the creator's bond.
    ///         `extraData` is the claimed L2 block number (32 bytes).
    function initialize(address creator, bytes32 root, bytes32 head, bytes calldata extra) external payable {
        if (initialized) revert AlreadyInitialized();
        if (msg.sender != FACTORY) revert NotFactory();
        if (extra.length != 32) revert BadExtraData();
        (bytes32 anchorRoot, uint256 anchorBlock) = ANCHOR_STATE_REGISTRY.getAnchorRoot();
        if (anchorRoot == bytes32(0)) revert AnchorRootNotFound();
        uint256 claimed = uint256(bytes32(extra));
        if (claimed <= anchorBlock || claimed > type(uint64).max) revert UnexpectedRootClaim(root);
        if (claimed - anchorBlock > uint256(1) << SPLIT_DEPTH) revert ClaimBeyondSplitDepth(claimed - anchorBlock);

        initialized = true;
        gameCreator = creator;
        rootClaim = root;
        l1Head = head;
        claimedBlock = claimed;
        startingOutputRoot = Proposal(anchorRoot, anchorBlock);
        createdAt = uint64(block.timestamp);
        wasRespectedGameTypeWhenCreated = ANCHOR_STATE_REGISTRY.respectedGameType() == GAME_TYPE;
        claimData.push(
            ClaimData({
                parentIndex: type(uint32).max,
                counteredBy: address(0),
                claimant: creator,
                bond: uint128(msg.value),
                claim: root,
                position: ROOT_POSITION,
                clock: uint128(block.timestamp)
            })
        );
        refundModeCredit[creator] += msg.value;
    }

    // ------------------------------------------------------------------ moves

    /// @notice Disputes the claim at `parentIndex` (whose value must be `disputed`) with `claim`
    ///         at the parent's left child: the trace differs before the parent's trace index.
    function attack(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, true);
    }

    /// @notice Agrees with the claim at `parentIndex` and disputes its parent with `claim` at
    ///         the midpoint of the half after it.
    function defend(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, false);
    }

    /// @notice An attack or defence against the claim at `challengeIndex`, with the exact bond
    ///         for the new claim's depth, while the mover's clock has time left.
    function move(bytes32 disputed, uint256 challengeIndex, bytes32 claim, bool isAttack) public payable {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (challengeIndex >= claimData.length) revert InvalidParent();
        ClaimData storage parent = claimData[challengeIndex];
        if (parent.claim != disputed) revert InvalidDisputedClaimIndex();

        uint128 parentPos = parent.position;
        uint128 nextPos = parentPos.move(isAttack);
        uint256 nextDepth = nextPos.depth();
        if ((challengeIndex == 0 || nextDepth == SPLIT_DEPTH + 2) && !isAttack) revert CannotDefendRootClaim();
        if (challengeIndex == 0 && l2BlockNumberChallenged) revert L2BlockNumberChallenged();
        if (nextDepth > MAX_GAME_DEPTH) revert GameDepthExceeded();
        if (nextDepth == SPLIT_DEPTH + 1) verifyExecBisectionRoot(claim, challengeIndex, parentPos, isAttack);
        if (getRequiredBond(nextPos) != msg.value) revert IncorrectBondAmount();

        uint64 nextDuration = getChallengerDuration(challengeIndex);
        if (nextDuration == MAX_CLOCK_DURATION) revert ClockTimeExceeded();
        // Leave the opponent at least the extension to answer; twice that before the
        // execution trace's root, which needs a VM run to compute.
        uint64 extension = nextDepth == SPLIT_DEPTH - 1 ? CLOCK_EXTENSION * 2 : CLOCK_EXTENSION;
        if (nextDuration > MAX_CLOCK_DURATION - extension) nextDuration = MAX_CLOCK_DURATION - extension;

        bytes32 claimHash = keccak256(abi.encode(claim, nextPos, challengeIndex));
        if (claims[claimHash]) revert ClaimAlreadyExists();
        claims[claimHash] = true;

        claimData.push(
            ClaimData({
                parentIndex: uint32(challengeIndex),
                counteredBy: address(0),
                claimant: msg.sender,
                bond: uint128(msg.value),
                claim: claim,
                position: nextPos,
                clock: (uint128(nextDuration) << 64) | uint128(block.timestamp)
            })
        );
        subgames[challengeIndex].push(claimData.length - 1);
        refundModeCredit[msg.sender] += msg.value;
        emit Move(challengeIndex, claim, msg.sender);
    }

    /// @notice Counters the claim at `claimIndex` (at the max depth) by executing one VM
    ///         instruction on L1 from `stateData`, the pre-state the move implies: for an attack
    ///         the state before the claim's trace index (the absolute prestate at index 0), for a
    ///         defence the claim itself. The step counters the claim if its result disagrees
    ///         with what the claim's side asserted.
    function step(uint256 claimIndex, bool isAttack, bytes calldata stateData, bytes calldata proof) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (claimIndex >= claimData.length) revert InvalidParent();
        ClaimData storage parent = claimData[claimIndex];
        uint128 parentPos = parent.position;
        uint128 stepPos = parentPos.move(isAttack);
        if (stepPos.depth() != MAX_GAME_DEPTH + 1) revert InvalidParent();

        bytes32 pre;
        ClaimData storage post;
        if (isAttack) {
            pre = stepPos.indexAtDepth() % (uint256(1) << (MAX_GAME_DEPTH - SPLIT_DEPTH)) == 0
                ? ABSOLUTE_PRESTATE
                : findTraceAncestor(parentPos - 1, parent.parentIndex, false).claim;
            post = parent;
        } else {
            pre = parent.claim;
            post = findTraceAncestor(parentPos + 1, parent.parentIndex, false);
        }
        // The first byte of a state hash is the VM status, set after hashing.
        if (keccak256(stateData) << 8 != pre << 8) revert InvalidPrestate();

        bytes32 context = findLocalContext(claimIndex);
        bool validStep = VM.step(stateData, proof, context) == post.claim;
        bool parentPostAgree = (parentPos.depth() - post.position.depth()) % 2 == 0;
        if (parentPostAgree == validStep) revert ValidStep();
        if (parent.counteredBy != address(0)) revert DuplicateStep();
        // A leaf whose bond was already paid out cannot change its subgame's result any more.
        if (resolvedSubgames[claimIndex]) revert ClaimAlreadyResolved();
        parent.counteredBy = msg.sender;
    }

    /// @notice Loads local preimage `ident` (1..6) for the execution subgame of the claim at
    ///         `execLeafIdx` into the VM's oracle, at `partOffset` of its `len_be8 ++ data`.
    function addLocalData(uint256 ident, uint256 execLeafIdx, uint256 partOffset) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (execLeafIdx >= claimData.length) revert InvalidParent();
        (bytes32 starting, uint128 startingPos, bytes32 disputed, uint128 disputedPos) =
            findStartingAndDisputedOutputs(execLeafIdx);
        bytes32 context = computeLocalContext(starting, startingPos, disputed, disputedPos);
        bytes32 word;
        uint256 size = 32;
        if (ident == L1_HEAD_HASH) {
            word = l1Head;
        } else if (ident == STARTING_OUTPUT_ROOT) {
            word = starting;
        } else if (ident == DISPUTED_OUTPUT_ROOT) {
            word = disputed;
        } else if (ident == DISPUTED_L2_BLOCK_NUMBER) {
            uint256 n = startingOutputRoot.l2SequenceNumber + disputedPos.traceIndex(SPLIT_DEPTH) + 1;
            if (n > claimedBlock) n = claimedBlock;
            word = bytes32(n << 192);
            size = 8;
        } else if (ident == CHAIN_ID) {
            word = bytes32(L2_CHAIN_ID << 192);
            size = 8;
        } else if (ident == PROGRAM_CONFIG) {
            word = PROGRAM_CONFIG_HASH;
        } else {
            revert InvalidLocalIdent();
        }
        VM.oracle().loadLocalData(ident, context, word, size, partOffset);
    }

    /// @notice Counters the root claim by showing it is the output root of a block other than
    ///         `l2SequenceNumber()`: `outputRootProof` is its preimage and `headerRLP` the
    ///         header whose hash it names. OP's `challengeRootL2Block`, which here must also
    ///         come while the root's counter clock runs and with a version-0 proof.
    function challengeRootL2Block(Types.OutputRootProof calldata outputRootProof, bytes calldata headerRLP)
        external
    {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (l2BlockNumberChallenged) revert L2BlockNumberChallenged();
        if (getChallengerDuration(0) == MAX_CLOCK_DURATION) revert ClockTimeExceeded();
        if (outputRootProof.version != bytes32(0) || Hashing.hashOutputRootProof(outputRootProof) != rootClaim) {
            revert InvalidOutputRootProof();
        }
        if (keccak256(headerRLP) != outputRootProof.latestBlockhash) revert InvalidHeaderRLP();
        RLPReader.Item[] memory fields = RLPReader.readList(RLPReader.toItem(headerRLP));
        if (fields.length < 9) revert InvalidHeaderRLP();
        bytes memory raw = RLPReader.readBytes(fields[8]);
        if (raw.length > 32) revert InvalidHeaderRLP();
        uint256 number = raw.length == 0 ? 0 : uint256(bytes32(raw)) >> (256 - 8 * raw.length);
        if (number == claimedBlock) revert BlockNumberMatches();
        l2BlockNumberChallenger = msg.sender;
        l2BlockNumberChallenged = true;
    }

    // ------------------------------------------------------------------ resolution

    /// @notice Resolves up to `numToResolve` (0 = all) of the children of the subgame rooted
    ///         at `claimIndex`, once the clock of whoever would counter it ran out and its
    ///         children are resolved. The subgame's root is countered by its left-most
    ///         uncountered child; its bond goes to that child's claimant, or back to its own.
    function resolveClaim(uint256 claimIndex, uint256 numToResolve) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (claimIndex >= claimData.length) revert InvalidParent();
        ClaimData storage root = claimData[claimIndex];
        if (getChallengerDuration(claimIndex) < MAX_CLOCK_DURATION) revert ClockNotExpired();
        if (resolvedSubgames[claimIndex]) revert ClaimAlreadyResolved();

        uint256[] storage children = subgames[claimIndex];
        uint256 len = children.length;
        if (len == 0 && claimIndex != 0) {
            // A leaf: uncontested, or countered by a step.
            address counter = root.counteredBy;
            normalModeCredit[counter == address(0) ? root.claimant : counter] += root.bond;
            resolvedSubgames[claimIndex] = true;
            return;
        }

        ResolutionCheckpoint memory cp = resolutionCheckpoints[claimIndex];
        if (!cp.initialCheckpointComplete) {
            cp.initialCheckpointComplete = true;
            cp.leftmostPosition = type(uint128).max;
        }
        if (numToResolve == 0) numToResolve = len;
        uint256 end = cp.subgameIndex + numToResolve;
        if (end > len) end = len;
        for (uint256 i = cp.subgameIndex; i < end; i++) {
            uint256 child = children[i];
            if (!resolvedSubgames[child]) revert OutOfOrderResolution();
            ClaimData storage c = claimData[child];
            // The left-most uncountered child counters the root (an invalid defence placed
            // right of a valid attack cannot take the bond).
            if (c.counteredBy == address(0) && c.position < cp.leftmostPosition) {
                cp.counteredBy = c.claimant;
                cp.leftmostPosition = c.position;
            }
        }
        cp.subgameIndex = uint32(end);
        resolutionCheckpoints[claimIndex] = cp;
        if (end == len) {
            address counter = cp.counteredBy;
            // A root shown to be for another block is countered by whoever showed it, once its
            // children are resolved (their bonds are paid as usual).
            if (claimIndex == 0 && l2BlockNumberChallenged) counter = l2BlockNumberChallenger;
            normalModeCredit[counter == address(0) ? root.claimant : counter] += root.bond;
            root.counteredBy = counter;
            resolvedSubgames[claimIndex] = true;
        }
    }

    /// @notice Resolves the game from its root subgame: DEFENDER_WINS if the root claim stands.
    function resolve() external returns (GameStatus status_) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (!resolvedSubgames[0]) revert OutOfOrderResolution();
        status_ = claimData[0].counteredBy == address(0) ? GameStatus.DEFENDER_WINS : GameStatus.CHALLENGER_WINS;
        status = status_;
        resolvedAt = uint64(block.timestamp);
        emit Resolved(status_);
    }

    /// @notice Decides how bonds are paid once the registry deems the game finalized: NORMAL
    ///         for a proper game, REFUND for one the guardian blacklisted or retired. Also offers
    ///         the game to the registry as the new anchor (which takes it only if it is a valid,
    ///         newer claim).
    function closeGame() public {
        BondDistributionMode mode = bondDistributionMode;
        if (mode != BondDistributionMode.UNDECIDED) return;
        if (!ANCHOR_STATE_REGISTRY.isGameResolved(this)) revert GameNotResolved();
        if (!ANCHOR_STATE_REGISTRY.isGameFinalized(this)) revert GameNotFinalized();
        try ANCHOR_STATE_REGISTRY.setAnchorState(this) {} catch {}
        mode = ANCHOR_STATE_REGISTRY.isGameProper(this) ? BondDistributionMode.NORMAL : BondDistributionMode.REFUND;
        bondDistributionMode = mode;
        emit GameClosed(mode);
    }

    /// @notice Pays `recipient` its credit (closing the game first if needed).
    function claimCredit(address recipient) external {
        closeGame();
        uint256 amount = bondDistributionMode == BondDistributionMode.REFUND
            ? refundModeCredit[recipient]
            : normalModeCredit[recipient];
        if (amount == 0) revert NoCreditToClaim();
        refundModeCredit[recipient] = 0;
        normalModeCredit[recipient] = 0;
        (bool ok,) = recipient.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
    }

    /// @notice What `recipient` can claim under the current (or, while undecided, NORMAL) mode.
    function credit(address recipient) external view returns (uint256) {
        return bondDistributionMode == BondDistributionMode.REFUND
            ? refundModeCredit[recipient]
            : normalModeCredit[recipient];
    }

    // ------------------------------------------------------------------ views

    /// @notice The time used on the clock of whoever would counter the claim at `claimIndex`,
    ///         capped at `MAX_CLOCK_DURATION`.
    function getChallengerDuration(uint256 claimIndex) public view returns (uint64) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        ClaimData storage c = claimData[claimIndex];
        uint256 used;
        if (c.parentIndex != type(uint32).max) used = uint64(claimData[c.parentIndex].clock >> 64);
        used += block.timestamp - uint64(c.clock);
        return used > MAX_CLOCK_DURATION ? MAX_CLOCK_DURATION : uint64(used);
    }

    /// @notice The bond a claim at `position` must carry.
    function getRequiredBond(uint128 position) public view returns (uint256 bond) {
        uint256 d = position.depth();
        if (d > MAX_GAME_DEPTH) revert GameDepthExceeded();
        bond = BASE_BOND;
        for (uint256 i = 0; i < d; i++) {
            bond = bond * BOND_GROWTH_WAD / WAD;
        }
    }

    /// @notice The L2 block the root claim is for (the extra data).
    function l2BlockNumber() public view returns (uint256) {
        return claimedBlock;
    }

    /// @inheritdoc IDisputeGame
    function l2SequenceNumber() external view returns (uint256) {
        return claimedBlock;
    }

    /// @inheritdoc IDisputeGame
    function extraData() public view returns (bytes memory) {
        return abi.encodePacked(claimedBlock);
    }

    /// @notice The game's type, root claim and extra data (its factory key).
    function gameData() external view returns (uint32, bytes32, bytes memory) {
        return (GAME_TYPE, rootClaim, extraData());
    }

    function gameType() public view returns (uint32) {
        return GAME_TYPE;
    }

    function claimDataLen() external view returns (uint256) {
        return claimData.length;
    }

    function startingBlockNumber() external view returns (uint256) {
        return startingOutputRoot.l2SequenceNumber;
    }

    function startingRootHash() external view returns (bytes32) {
        return startingOutputRoot.root;
    }

    function absolutePrestate() external view returns (bytes32) {
        return ABSOLUTE_PRESTATE;
    }

    function maxGameDepth() external view returns (uint256) {
        return MAX_GAME_DEPTH;
    }

    function splitDepth() external view returns (uint256) {
        return SPLIT_DEPTH;
    }

    function maxClockDuration() external view returns (uint64) {
        return MAX_CLOCK_DURATION;
    }

    function clockExtension() external view returns (uint64) {
        return CLOCK_EXTENSION;
    }

    function vm() external view returns (IBigStepper) {
        return VM;
    }

    function anchorStateRegistry() external view returns (AnchorStateRegistry) {
        return ANCHOR_STATE_REGISTRY;
    }

    function l2ChainId() external view returns (uint256) {
        return L2_CHAIN_ID;
    }

    function programConfigHash() external view returns (bytes32) {
        return PROGRAM_CONFIG_HASH;
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Checks an execution trace root's VM status: it must say the disputed output is
    ///      wrong (invalid or panic) when the disputed output is the other side's, and right
    ///      (valid) when the mover's own side made it.
    function verifyExecBisectionRoot(bytes32 claim, uint256 parentIdx, uint128 parentPos, bool isAttack)
        internal
        view
    {
        ClaimData storage disputed = findTraceAncestor(parentPos + 1, parentIdx, true);
        uint8 vmStatus = uint8(claim[0]);
        if (isAttack || disputed.position.depth() % 2 == SPLIT_DEPTH % 2) {
            if (vmStatus != VM_INVALID && vmStatus != VM_PANIC) revert UnexpectedRootClaim(claim);
        } else if (vmStatus != VM_VALID) {
            revert UnexpectedRootClaim(claim);
        }
    }

    /// @dev The claim, among `start` and its ancestors in the DAG, at the trace ancestor of
    ///      `pos` (bounded to the execution subgame unless `global`).
    function findTraceAncestor(uint128 pos, uint256 start, bool global) internal view returns (ClaimData storage c) {
        uint128 want = global ? pos.traceAncestor() : pos.traceAncestorBounded(SPLIT_DEPTH);
        if (start >= claimData.length) revert TraceAncestorNotFound();
        c = claimData[start];
        while (c.position != want) {
            uint256 up = c.parentIndex;
            if (up >= claimData.length) revert TraceAncestorNotFound();
            c = claimData[up];
        }
    }

    /// @dev For a claim below the split depth: the output root its execution subgame starts
    ///      from and the one it disputes, with their positions (position 0 and the anchor's
    ///      root when the start is the anchor).
    function findStartingAndDisputedOutputs(uint256 start)
        internal
        view
        returns (bytes32 starting, uint128 startingPos, bytes32 disputed, uint128 disputedPos)
    {
        uint256 idx = start;
        ClaimData storage c = claimData[idx];
        if (c.position.depth() <= SPLIT_DEPTH) revert ClaimAboveSplit();
        ClaimData storage execRoot = c;
        uint256 d;
        while ((d = c.position.depth()) > SPLIT_DEPTH) {
            if (d == SPLIT_DEPTH + 1) execRoot = c;
            idx = c.parentIndex;
            c = claimData[idx];
        }
        uint128 outputPos = c.position;
        if (execRoot.position >> 1 == outputPos) {
            // An attack on the output at `outputPos`: it is disputed; the start is the one before.
            if (outputPos.indexAtDepth() > 0) {
                ClaimData storage s = findTraceAncestor(outputPos - 1, idx, true);
                (starting, startingPos) = (s.claim, s.position);
            } else {
                starting = startingOutputRoot.root;
            }
            (disputed, disputedPos) = (c.claim, outputPos);
        } else {
            // A defence of it: it is the start; the disputed output is the next one.
            ClaimData storage x = findTraceAncestor(outputPos + 1, idx, true);
            (starting, startingPos) = (c.claim, outputPos);
            (disputed, disputedPos) = (x.claim, x.position);
        }
    }

    function findLocalContext(uint256 claimIndex) internal view returns (bytes32) {
        (bytes32 starting, uint128 startingPos, bytes32 disputed, uint128 disputedPos) =
            findStartingAndDisputedOutputs(claimIndex);
        return computeLocalContext(starting, startingPos, disputed, disputedPos);
    }

    function computeLocalContext(bytes32 starting, uint128 startingPos, bytes32 disputed, uint128 disputedPos)
        internal
        pure
        returns (bytes32)
    {
        return startingPos == 0
            ? keccak256(abi.encode(disputed, disputedPos))
            : keccak256(abi.encode(starting, startingPos, disputed, disputedPos));
    }
}
