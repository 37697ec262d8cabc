// The whole L1 -> L2 -> L1 cycle against a Sprout devnet, with viem's OP Stack actions only:
// deposit, initiate a withdrawal, wait to prove, prove, wait to finalize, finalize. The
// withdrawal status is checked at every stage and the L1 balance, exactly, at the end.
//
// Env: L1_RPC_URL, L2_RPC_URL, PORTAL, PRIVATE_KEY (a dev account no one else uses meanwhile),
// and L2_OUTPUT_ORACLE (`sprout up`) or DISPUTE_GAME_FACTORY (`sprout up --proofs games`: viem
// takes its fault-proof path, as the FaultProofPortal's version is 4.x); optional
// TIMEOUT_SECONDS (120), POLLING_MS (250).
// Prints one JSON line per stage; the last one is {"stage":"done","ok":true,...}. Exits 1 with
// {"stage":"error",...} on any failure.

import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  chainConfig,
  getL2TransactionHashes,
  publicActionsL1,
  publicActionsL2,
  walletActionsL1,
  walletActionsL2,
} from 'viem/op-stack'

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11'
const DEPOSIT = parseEther('1')
const WITHDRAWAL = parseEther('0.4')

const started = Date.now()
const timeoutMs = Number(process.env.TIMEOUT_SECONDS ?? 120) * 1000
const pollingInterval = Number(process.env.POLLING_MS ?? 250)
const deadline = started + timeoutMs

function env(name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

function emit(stage, fields = {}) {
  const line = { stage, t: Number(((Date.now() - started) / 1000).toFixed(2)), ...fields }
  console.log(JSON.stringify(line, (_, v) => (typeof v === 'bigint' ? v.toString() : v)))
}

/** `promise`, or a rejection naming `what` once the overall deadline has passed. */
function bounded(what, promise) {
  const left = deadline - Date.now()
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out (${timeoutMs / 1000} s in all) waiting for ${what}`)),
      Math.max(left, 0),
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const isRevert = (e) =>
  e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError) !== null

async function main() {
  const l1Url = env('L1_RPC_URL')
  const l2Url = env('L2_RPC_URL')
  const portal = env('PORTAL')
  const factory = process.env.DISPUTE_GAME_FACTORY
  const l2OutputOracle = factory ? undefined : env('L2_OUTPUT_ORACLE')
  const account = privateKeyToAccount(env('PRIVATE_KEY'))

  // Chain ids as the endpoints report them (31337 and 901 on `sprout up`).
  const probe = (url) => createPublicClient({ transport: http(url) }).getChainId()
  const [l1Id, l2Id] = await bounded('the chain ids', Promise.all([probe(l1Url), probe(l2Url)]))
  const nativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 }
  const l1Chain = defineChain({
    id: l1Id,
    name: 'Sprout devnet L1',
    nativeCurrency,
    rpcUrls: { default: { http: [l1Url] } },
    contracts: { multicall3: { address: MULTICALL3 } },
  })
  // Oracle mode: a pre-fault-proof OP chain, no disputeGameFactory; the Portal's version (2.x)
  // makes viem take the L2OutputOracle path. Games mode: the factory, and a portal of version
  // 4.x: viem's fault-proof path (getGames, getTimeToNextGame, game-based proofs).
  const proofContracts = factory
    ? { disputeGameFactory: { [l1Id]: { address: factory } } }
    : { l2OutputOracle: { [l1Id]: { address: l2OutputOracle } } }
  const l2Chain = defineChain({
    ...chainConfig,
    id: l2Id,
    name: 'Sprout devnet L2',
    nativeCurrency,
    blockTime: 1_000,
    rpcUrls: { default: { http: [l2Url] } },
    sourceId: l1Id,
    contracts: {
      ...chainConfig.contracts,
      multicall3: { address: MULTICALL3 },
      portal: { [l1Id]: { address: portal } },
      ...proofContracts,
    },
  })

  const transport1 = http(l1Url)
  const transport2 = http(l2Url)
  const publicL1 = createPublicClient({ chain: l1Chain, transport: transport1, pollingInterval }).extend(
    publicActionsL1(),
  )
  const publicL2 = createPublicClient({ chain: l2Chain, transport: transport2, pollingInterval }).extend(
    publicActionsL2(),
  )
  const walletL1 = createWalletClient({
    account,
    chain: l1Chain,
    transport: transport1,
    pollingInterval,
  }).extend(walletActionsL1())
  const walletL2 = createWalletClient({
    account,
    chain: l2Chain,
    transport: transport2,
    pollingInterval,
  }).extend(walletActionsL2())

  const l1Receipt = (hash, what) =>
    bounded(what, publicL1.waitForTransactionReceipt({ hash, pollingInterval }))
  const l2Receipt = (hash, what) =>
    bounded(what, publicL2.waitForTransactionReceipt({ hash, pollingInterval }))
  const l1Gas = (r) => r.gasUsed * r.effectiveGasPrice
  const succeeded = (r, what) => {
    if (r.status !== 'success') throw new Error(`${what} ${r.transactionHash} reverted`)
  }

  const l1Before = await publicL1.getBalance({ address: account.address })
  const l2Before = await publicL2.getBalance({ address: account.address })
  emit('start', {
    account: account.address,
    l1ChainId: l1Id,
    l2ChainId: l2Id,
    portal,
    l2OutputOracle,
    disputeGameFactory: factory,
    portalVersion: await publicL1.getPortalVersion({ targetChain: l2Chain }),
    l1Balance: l1Before,
    l2Balance: l2Before,
  })

  // 1. Deposit on L1; the deposit's L2 transaction follows.
  const depositArgs = await publicL2.buildDepositTransaction({
    account,
    mint: DEPOSIT,
    to: account.address,
  })
  const depositHash = await walletL1.depositTransaction(depositArgs)
  const depositReceipt = await l1Receipt(depositHash, 'the deposit L1 receipt')
  succeeded(depositReceipt, 'the deposit')
  const [depositL2Hash] = getL2TransactionHashes(depositReceipt)
  if (!depositL2Hash) throw new Error(`deposit ${depositHash} emitted no TransactionDeposited log`)
  const depositL2Receipt = await l2Receipt(depositL2Hash, `the deposit's L2 transaction ${depositL2Hash}`)
  succeeded(depositL2Receipt, "the deposit's L2 transaction")
  const l2AfterDeposit = await publicL2.getBalance({
    address: account.address,
    blockNumber: depositL2Receipt.blockNumber,
  })
  if (l2AfterDeposit - l2Before !== DEPOSIT)
    throw new Error(
      `L2 balance moved by ${l2AfterDeposit - l2Before} wei with the deposit, expected ${DEPOSIT}`,
    )
  emit('deposited', {
    l1Tx: depositHash,
    l2Tx: depositL2Hash,
    l2Block: depositL2Receipt.blockNumber,
    amount: DEPOSIT,
  })

  // 2. Initiate the withdrawal on L2.
  const withdrawalArgs = await publicL1.buildInitiateWithdrawal({
    account,
    to: account.address,
    value: WITHDRAWAL,
  })
  const withdrawalHash = await walletL2.initiateWithdrawal(withdrawalArgs)
  const receipt = await l2Receipt(withdrawalHash, 'the withdrawal L2 receipt')
  succeeded(receipt, 'the withdrawal')
  // On L2 the withdrawal costs its value, the execution gas and the L1 data fee (OP receipts).
  if (typeof receipt.l1Fee !== 'bigint')
    throw new Error(`the withdrawal's L2 receipt has no l1Fee: ${JSON.stringify(receipt.l1Fee)}`)
  const l2AfterWithdrawal = await publicL2.getBalance({
    address: account.address,
    blockNumber: receipt.blockNumber,
  })
  const l2Cost = receipt.gasUsed * receipt.effectiveGasPrice + receipt.l1Fee
  if (l2AfterDeposit - l2AfterWithdrawal !== WITHDRAWAL + l2Cost)
    throw new Error(
      `L2 balance moved by ${l2AfterDeposit - l2AfterWithdrawal} wei with the withdrawal, expected ${WITHDRAWAL + l2Cost} (value + gasUsed * effectiveGasPrice + l1Fee)`,
    )
  const status = async (expected, stage) => {
    const got = await bounded(
      'getWithdrawalStatus',
      publicL1.getWithdrawalStatus({ receipt, targetChain: l2Chain }),
    )
    if (got !== expected)
      throw new Error(`getWithdrawalStatus at "${stage}" is "${got}", expected "${expected}"`)
    return got
  }
  emit('initiated', {
    l2Tx: withdrawalHash,
    l2Block: receipt.blockNumber,
    amount: WITHDRAWAL,
    l2Fee: l2Cost,
    status: await status('waiting-to-prove', 'initiated'),
  })

  // 3. Wait for an output (a game, in games mode) covering the withdrawal's block.
  // getTimeToNextL2Output reads the latest output, which reverts (as OP's oracle does) while
  // the oracle has none yet; getTimeToNextGame answers 0 s while the factory has no game.
  let next
  for (let polls = 0; ; polls++) {
    try {
      next = factory
        ? await publicL1.getTimeToNextGame({
            l2BlockNumber: receipt.blockNumber,
            targetChain: l2Chain,
          })
        : await publicL1.getTimeToNextL2Output({
            l2BlockNumber: receipt.blockNumber,
            targetChain: l2Chain,
          })
      break
    } catch (e) {
      if (!isRevert(e)) throw e
      if (polls === 0) emit('waiting-for-first-output', { reason: e.shortMessage })
      if (Date.now() > deadline) throw new Error('timed out waiting for the first L2 output')
      await sleep(pollingInterval)
    }
  }
  emit('time-to-next-output', { seconds: next.seconds, interval: next.interval })
  const { game, output, withdrawal } = await bounded(
    `an L2 output covering L2 block ${receipt.blockNumber} (waitToProve)`,
    publicL1.waitToProve({ receipt, targetChain: l2Chain, pollingInterval }),
  )
  emit('output-proposed', {
    gameIndex: game?.index,
    outputIndex: output.outputIndex,
    outputL2Block: output.l2BlockNumber,
    outputRoot: output.outputRoot,
    withdrawalHash: withdrawal.withdrawalHash,
    status: await status('ready-to-prove', 'output proposed'),
  })

  // A proof must come after its game's creation (OP's rule: a proof in the game's own second
  // reverts with OptimismPortal_InvalidProofTimestamp): wait for an L1 block past it.
  if (factory) {
    while ((await publicL1.getBlock()).timestamp <= game.timestamp) {
      if (Date.now() > deadline) throw new Error('timed out waiting for an L1 block after the game')
      await sleep(pollingInterval)
    }
  }

  // 4. Prove on L1.
  const proveArgs = await bounded(
    'buildProveWithdrawal',
    publicL2.buildProveWithdrawal({ account, output, withdrawal }),
  )
  const proveHash = await walletL1.proveWithdrawal(proveArgs)
  const proveReceipt = await l1Receipt(proveHash, 'the prove L1 receipt')
  succeeded(proveReceipt, 'proveWithdrawalTransaction')
  emit('proven', {
    l1Tx: proveHash,
    gasUsed: proveReceipt.gasUsed,
    status: await status('waiting-to-finalize', 'proven'),
  })

  // 5. Wait out the finalization period.
  const toFinalize = await publicL1.getTimeToFinalize({
    withdrawalHash: withdrawal.withdrawalHash,
    targetChain: l2Chain,
  })
  emit('time-to-finalize', { seconds: toFinalize.seconds, period: toFinalize.period })
  await bounded(
    'the finalization period (waitToFinalize)',
    publicL1.waitToFinalize({ withdrawalHash: withdrawal.withdrawalHash, targetChain: l2Chain }),
  )
  // In games mode the game must also have been resolved (by the proposer, once its clock ran
  // out) and be final; viem's estimate assumes resolution right at the clock's end.
  if (factory) {
    for (;;) {
      const got = await bounded(
        'getWithdrawalStatus',
        publicL1.getWithdrawalStatus({ receipt, targetChain: l2Chain }),
      )
      if (got === 'ready-to-finalize') break
      if (got !== 'waiting-to-finalize')
        throw new Error(`getWithdrawalStatus after the period is "${got}", expected "ready-to-finalize"`)
      if (Date.now() > deadline) throw new Error('timed out waiting for the game to resolve')
      await sleep(pollingInterval)
    }
  }
  emit('finalization-period-over', { status: await status('ready-to-finalize', 'period over') })

  // 6. Finalize on L1.
  const finalizeHash = await walletL1.finalizeWithdrawal({ targetChain: l2Chain, withdrawal })
  const finalizeReceipt = await l1Receipt(finalizeHash, 'the finalize L1 receipt')
  succeeded(finalizeReceipt, 'finalizeWithdrawalTransaction')
  emit('finalized', {
    l1Tx: finalizeHash,
    gasUsed: finalizeReceipt.gasUsed,
    status: await status('finalized', 'finalized'),
  })

  // 7. L1 balance: before - deposit + withdrawal - gas of the three L1 transactions, exactly.
  const l1After = await publicL1.getBalance({ address: account.address })
  const l1GasPaid = l1Gas(depositReceipt) + l1Gas(proveReceipt) + l1Gas(finalizeReceipt)
  const expected = l1Before - DEPOSIT + WITHDRAWAL - l1GasPaid
  if (l1After !== expected)
    throw new Error(
      `L1 balance is ${l1After} wei, expected ${expected} (before ${l1Before} - deposit ${DEPOSIT} + withdrawal ${WITHDRAWAL} - gas ${l1GasPaid}); off by ${l1After - expected}`,
    )
  emit('done', {
    ok: true,
    seconds: Number(((Date.now() - started) / 1000).toFixed(2)),
    l1Before,
    l1After,
    l1GasPaid,
  })
}

main().then(
  () => process.exit(0),
  (e) => {
    const message = e instanceof BaseError ? e.shortMessage : String(e?.message ?? e)
    const details = e instanceof BaseError ? e.details : undefined
    emit('error', { ok: false, error: message, details })
    console.error(`withdrawal.mjs: ${e instanceof BaseError ? e.message : (e?.stack ?? e)}`)
    process.exit(1)
  },
)
