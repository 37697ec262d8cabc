//! The honest solver against a random dishonest player, in a model of the contract's rules.

use std::collections::HashSet;

use alloy_primitives::{Address, B256, U256, keccak256};
use proptest::prelude::*;

use crate::{
    Action, Anchor, ChallengerError, Claim, Game, Position, Result, Subgame, TraceProvider,
    honest_actions, our_value,
};

const HONEST: Address = Address::repeat_byte(0x11);
const ROGUE: Address = Address::repeat_byte(0x22);
const RUN_STEPS: u128 = 5;

fn with_status(h: B256, status: u8) -> B256 {
    let mut b = h;
    b.0[0] = status;
    b
}

fn prestate() -> B256 {
    with_status(keccak256("prestate"), 3)
}

/// The honest values: outputs `keccak("out", block)`; a program that runs `RUN_STEPS` steps and
/// exits valid iff the disputed output is the honest one.
struct Honest;

impl TraceProvider for Honest {
    fn output(&mut self, block: u64) -> Result<B256> {
        Ok(keccak256(
            [b"out".as_slice(), &block.to_be_bytes()].concat(),
        ))
    }

    fn state(&mut self, subgame: &Subgame, index: u128) -> Result<B256> {
        let ctx = subgame.local_context();
        if index + 1 < RUN_STEPS {
            return Ok(with_status(
                keccak256([ctx.as_slice(), &index.to_be_bytes()].concat()),
                3,
            ));
        }
        let valid = subgame.disputed.0 == self.output(subgame.disputed_block)?;
        Ok(with_status(
            keccak256([ctx.as_slice(), b"final"].concat()),
            if valid { 0 } else { 1 },
        ))
    }
}

/// The VM as a table: the honest state after `pre`, if `pre` is one.
fn vm_step(subgame: &Subgame, pre: B256) -> Option<B256> {
    if pre == prestate() {
        return Honest.state(subgame, 0).ok();
    }
    (0..RUN_STEPS + 1).find_map(|i| {
        let s = Honest.state(subgame, i).ok()?;
        (s == pre).then(|| Honest.state(subgame, (i + 1).min(RUN_STEPS)).ok())?
    })
}

/// The contract's rules over a `Game`.
struct Model {
    game: Game,
    claims: HashSet<(B256, Position, usize)>,
}

impl Model {
    fn new(root: B256, claimed_block: u64) -> Self {
        let game = Game {
            split_depth: 3,
            max_depth: 7,
            anchor: Anchor {
                root: keccak256("anchor"),
                block: 100,
            },
            claimed_block,
            max_clock_duration: 1000,
            root_block_challenged: false,
            claims: vec![claim(None, HONEST, root, Position::ROOT)],
        };
        Self {
            game,
            claims: HashSet::new(),
        }
    }

    fn mv(&mut self, who: Address, parent: usize, value: B256, attack: bool) -> Result<(), String> {
        let g = &self.game;
        let p = g.claim(parent).map_err(|e| e.to_string())?;
        let pos = p.position.mv(attack);
        let depth = pos.depth();
        if (parent == 0 || depth == g.split_depth + 2) && !attack {
            return Err("CannotDefendRootClaim".into());
        }
        if depth > g.max_depth {
            return Err("GameDepthExceeded".into());
        }
        if depth == g.split_depth + 1 {
            let disputed = g
                .trace_ancestor(Position(p.position.0 + 1), parent, true)
                .map_err(|e| e.to_string())?;
            let status = value.0[0];
            let other_side = g
                .claim(disputed)
                .map_err(|e| e.to_string())?
                .position
                .depth()
                % 2
                == g.split_depth % 2;
            let ok = if attack || other_side {
                status == 1 || status == 2
            } else {
                status == 0
            };
            if !ok {
                return Err("UnexpectedRootClaim".into());
            }
        }
        if !self.claims.insert((value, pos, parent)) {
            return Err("ClaimAlreadyExists".into());
        }
        self.game.claims.push(claim(Some(parent), who, value, pos));
        Ok(())
    }

    fn step(
        &mut self,
        who: Address,
        index: usize,
        attack: bool,
        pre: Option<B256>,
    ) -> Result<(), String> {
        let g = &self.game;
        let c = g.claim(index).map_err(|e| e.to_string())?;
        let step_pos = c.position.mv(attack);
        if step_pos.depth() != g.max_depth + 1 {
            return Err("InvalidParent".into());
        }
        let parent = c.parent.ok_or("root")?;
        let (expected_pre, post) = if attack {
            let pre = if step_pos.index_at_depth() % (1u128 << (g.max_depth - g.split_depth)) == 0 {
                prestate()
            } else {
                let a = g
                    .trace_ancestor(Position(c.position.0 - 1), parent, false)
                    .map_err(|e| e.to_string())?;
                g.claims[a].value
            };
            (pre, index)
        } else {
            let a = g
                .trace_ancestor(Position(c.position.0 + 1), parent, false)
                .map_err(|e| e.to_string())?;
            (c.value, a)
        };
        let pre = pre.unwrap_or(expected_pre);
        if pre.0[1..] != expected_pre.0[1..] {
            return Err("InvalidPrestate".into());
        }
        let subgame = g.subgame(index, step_pos).map_err(|e| e.to_string())?;
        let result = vm_step(&subgame, pre).ok_or("no state data for this pre-state")?;
        let post_claim = &g.claims[post];
        let valid = result == post_claim.value;
        let agree = (c.position.depth() - post_claim.position.depth()).is_multiple_of(2);
        if agree == valid {
            return Err("ValidStep".into());
        }
        if !c.countered_by.is_zero() {
            return Err("DuplicateStep".into());
        }
        self.game.claims[index].countered_by = who;
        Ok(())
    }

    /// Resolves every subgame, children first; true if the root stands.
    fn defender_wins(&mut self) -> bool {
        for i in (0..self.game.claims.len()).rev() {
            let children: Vec<usize> = self.game.children(i).collect();
            if children.is_empty() {
                continue;
            }
            let counter = children
                .iter()
                .map(|&j| &self.game.claims[j])
                .filter(|c| c.countered_by.is_zero())
                .min_by_key(|c| c.position)
                .map(|c| c.claimant)
                .unwrap_or(Address::ZERO);
            self.game.claims[i].countered_by = counter;
        }
        self.game.claims[0].countered_by.is_zero()
    }

    /// Applies every honest action; the contract must accept each.
    fn honest_round(&mut self) -> usize {
        let actions = honest_actions(&self.game, &mut Honest).expect("honest actions");
        for action in &actions {
            let applied = match *action {
                Action::Move {
                    parent,
                    value,
                    attack,
                    disputed,
                    ..
                } => {
                    assert_eq!(disputed, self.game.claims[parent].value);
                    self.mv(HONEST, parent, value, attack)
                }
                Action::Step {
                    claim,
                    attack,
                    ref subgame,
                    pre_index,
                } => {
                    let pre = match pre_index {
                        None => prestate(),
                        Some(i) => Honest.state(subgame, i).expect("state"),
                    };
                    self.step(HONEST, claim, attack, Some(pre))
                }
            };
            applied.unwrap_or_else(|e| panic!("the contract refuses an honest {action:?}: {e}"));
        }
        actions.len()
    }
}

fn claim(parent: Option<usize>, claimant: Address, value: B256, position: Position) -> Claim {
    Claim {
        parent,
        countered_by: Address::ZERO,
        claimant,
        bond: U256::ZERO,
        value,
        position,
        clock: 0,
    }
}

/// xorshift64*, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One random move or step by the rogue: against any claim, attack or defence, with the honest
/// value half of the time (a claim that is right but moves the wrong way) and garbage otherwise.
fn rogue_turn(model: &mut Model, rng: &mut Rng) {
    let n = model.game.claims.len();
    let parent = rng.below(n);
    let attack = rng.next().is_multiple_of(2);
    let c = model.game.claims[parent].clone();
    if c.position.depth() == model.game.max_depth {
        let _ = model.step(ROGUE, parent, attack, None);
        return;
    }
    let position = c.position.mv(attack);
    let honest = our_value(&model.game, &mut Honest, Some(parent), position);
    let mut value = match (rng.next() % 2, honest) {
        (0, Ok(v)) => v,
        _ => B256::from(U256::from(rng.next())),
    };
    if position.depth() == model.game.split_depth + 1 {
        // Any status the contract might take.
        value.0[0] = (rng.next() % 3) as u8;
    }
    let _ = model.mv(ROGUE, parent, value, attack);
}

fn play(seed: u64, honest_root: bool, blocks: u64, rogue_turns: usize) -> (bool, usize) {
    let root = if honest_root {
        Honest.output(100 + blocks).expect("output")
    } else {
        keccak256(seed.to_be_bytes())
    };
    let mut model = Model::new(root, 100 + blocks);
    let mut rng = Rng(seed | 1);
    let mut turns = 0;
    for round in 0..200 {
        let rogue_active = turns < rogue_turns;
        if rogue_active {
            for _ in 0..1 + rng.below(3) {
                rogue_turn(&mut model, &mut rng);
                turns += 1;
            }
        }
        let honest = model.honest_round();
        if !rogue_active && honest == 0 {
            break;
        }
        assert!(round < 199, "the game did not settle");
    }
    (model.defender_wins(), model.game.claims.len())
}

#[test]
fn an_unanswered_wrong_root_is_attacked_and_a_right_one_left_alone() {
    let (wins, claims) = play(7, false, 5, 0);
    assert!(!wins);
    // The honest player bisects alone only one level: its attack is the answer.
    assert_eq!(claims, 2);
    let (wins, claims) = play(7, true, 5, 0);
    assert!(wins);
    assert_eq!(claims, 1);
}

#[test]
fn the_subgame_of_an_attack_on_the_first_output_starts_from_the_anchor() {
    let mut model = Model::new(B256::repeat_byte(1), 108);
    model
        .mv(HONEST, 0, B256::repeat_byte(2), true)
        .expect("pos 2");
    model
        .mv(ROGUE, 1, B256::repeat_byte(3), true)
        .expect("pos 4");
    model
        .mv(HONEST, 2, B256::repeat_byte(4), true)
        .expect("pos 8: block 101");
    let g = &model.game;
    let sub = g.subgame(3, Position(16)).expect("subgame");
    assert_eq!(sub.starting, (g.anchor.root, Position(0)));
    assert_eq!(sub.disputed, (B256::repeat_byte(4), Position(8)));
    assert_eq!(sub.disputed_block, 101);
    assert_eq!(sub.starting_block, 100, "the anchor's block");
    assert!(matches!(
        g.subgame(2, Position(8)),
        Err(ChallengerError::AboveSplit(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the rogue does, the honest side wins: a wrong root loses, a right one stands,
    /// and the contract accepts every honest move and step.
    #[test]
    fn the_honest_player_always_wins(
        seed in any::<u64>(),
        honest_root in any::<bool>(),
        blocks in 1u64..=8,
        rogue_turns in 0usize..60,
    ) {
        let (defender_wins, _) = play(seed, honest_root, blocks, rogue_turns);
        prop_assert_eq!(defender_wins, honest_root);
    }
}

#[test]
fn resolvable_lists_children_first_and_waits_for_them() {
    let mut model = Model::new(B256::repeat_byte(1), 104);
    model
        .mv(HONEST, 0, B256::repeat_byte(2), true)
        .expect("pos 2");
    model
        .mv(ROGUE, 1, B256::repeat_byte(3), true)
        .expect("pos 4");
    let mut g = model.game.clone();
    // Root made at 0; the attack at 100; the rogue's answer at 900 (clock 1000).
    g.claims[0].clock = 0;
    g.claims[1].clock = 100;
    g.claims[2].clock = (100u128 << 64) | 900;
    let all = vec![true; 3];
    // At 1500 the clocks against the root and the attack have run out, but the one against
    // the newest claim has used only 600 s: nothing can be resolved yet.
    assert_eq!(g.challenger_duration(0, 1500).expect("root"), 1000);
    assert!(
        g.resolvable(1500, &all).expect("order").is_empty(),
        "the leaf's clock still runs"
    );
    assert_eq!(g.resolvable(2000, &all).expect("order"), vec![2, 1, 0]);
    assert_eq!(
        g.resolvable(2000, &[true, true, false]).expect("order"),
        vec![1, 0]
    );
}

#[test]
fn a_root_countered_by_its_block_header_gets_no_more_moves() {
    let mut model = Model::new(B256::repeat_byte(1), 104);
    assert_eq!(model.honest_round(), 1, "a wrong root is attacked");
    let mut fresh = Model::new(B256::repeat_byte(1), 104);
    fresh.game.root_block_challenged = true;
    let actions = honest_actions(&fresh.game, &mut Honest).expect("actions");
    assert!(actions.is_empty(), "{actions:?}");
}
