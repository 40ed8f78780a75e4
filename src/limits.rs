//! Bounds on what one file may cost, so that hostile input (a pull request is untrusted)
//! gives a finding instead of a hang, a crash or an out-of-memory kill.
//!
//! Four limits, each a command-line option and a `.pipelint.yaml` key (`limits:`):
//!
//! - the file size (`--max-file-size`): larger files are not read (`input-too-large`);
//! - the nesting depth of YAML collections (`--max-nesting-depth`);
//! - the nodes aliases may add when a document is read as expanded (`--max-alias-expansion`);
//! - a per-file work budget (`--file-time-budget`), counted in work units, not seconds, so
//!   that a loaded machine never changes the output: one unit is about one YAML event; a
//!   pipeline step built by an adapter costs [`STEP_COST`] (and a unit per
//!   [`COPIED_BYTES_PER_UNIT`] bytes of command line it copies), the embedded scripts a step
//!   runs cost a unit per [`SCRIPT_BYTES_PER_UNIT`] bytes and [`EVIDENCE_COST`] per piece
//!   of evidence found in them, a finding a rule makes costs
//!   [`FINDING_COST`], and suppression a unit per comment and config entry.
//!
//! The last three give `input-too-complex`. The budget is metered per thread by
//! [`Meter`]: code that may do unbounded work for a small input (expanding a KFP component
//! used by several parents, Argo step groups) calls [`charge`] and stops when it returns
//! `false`. Outside a metered run, [`charge`] always allows the work.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::engine::Settings;
use crate::yaml::{NodeRef, Resolved, Span};

/// Files above this many bytes are not read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;
/// Nested collections deeper than this abandon the document (granit-parser's own default).
pub const DEFAULT_MAX_NESTING_DEPTH: usize = 255;
/// The largest nesting depth that may be configured.
pub const MAX_NESTING_DEPTH_CAP: usize = 10_000;
/// Nodes aliases may add when a document is read as expanded.
pub const DEFAULT_MAX_ALIAS_EXPANSION: u64 = 1_000_000;
/// Work units one file may cost.
pub const DEFAULT_WORK_BUDGET: u64 = 50_000_000;
/// What building one pipeline step costs (it is read by every rule afterwards).
pub const STEP_COST: u64 = 1_000;
/// What copying one name or value into the model costs.
pub const COPY_COST: u64 = 40;
/// What one finding costs: every rule's findings are sorted, merged, matched against the
/// suppressions and rendered, so a file that makes findings without end is stopped by the
/// budget like one whose model is too large.
pub const FINDING_COST: u64 = 500;
/// Bytes of command line a KFP task copies from its executor per unit: more than reading
/// costs, since every copy is held until the file is done.
pub const COPIED_BYTES_PER_UNIT: u64 = 2;
/// What one piece of evidence the classifiers find costs (its description is kept with the
/// step and read by several rules).
pub const EVIDENCE_COST: u64 = 100;
/// Bytes of embedded script or command line the classifiers read per unit.
pub const SCRIPT_BYTES_PER_UNIT: u64 = 8;

/// The limits as set in `.pipelint.yaml` (`limits:`) or on the command line; `None` keeps
/// the value of the run's [`Settings`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Configured {
    pub max_file_size: Option<u64>,
    pub max_nesting_depth: Option<u64>,
    pub max_alias_expansion: Option<u64>,
    pub file_time_budget: Option<u64>,
}

impl Configured {
    /// Reads `limits:` (already validated against the config schema: whole numbers).
    pub fn read(node: NodeRef<'_>) -> Configured {
        let get = |key: &str| match node.get(key).and_then(|v| v.resolved()) {
            Some(Resolved::Int(i)) if i >= 0 => Some(i as u64),
            _ => None,
        };
        Configured {
            max_file_size: get("max-file-size"),
            max_nesting_depth: get("max-nesting-depth"),
            max_alias_expansion: get("max-alias-expansion"),
            file_time_budget: get("file-time-budget"),
        }
    }

    /// `self`, with every limit `over` sets replaced (command-line flags over the file).
    pub fn overridden_by(self, over: Configured) -> Configured {
        Configured {
            max_file_size: over.max_file_size.or(self.max_file_size),
            max_nesting_depth: over.max_nesting_depth.or(self.max_nesting_depth),
            max_alias_expansion: over.max_alias_expansion.or(self.max_alias_expansion),
            file_time_budget: over.file_time_budget.or(self.file_time_budget),
        }
    }

    /// The settings with these limits applied.
    pub fn apply(&self, settings: &Settings) -> Settings {
        let mut s = settings.clone();
        if let Some(v) = self.max_file_size {
            s.max_file_size = v;
        }
        if let Some(v) = self.max_nesting_depth {
            s.parse_limits.max_nesting_depth = (v as usize).min(MAX_NESTING_DEPTH_CAP);
        }
        if let Some(v) = self.max_alias_expansion {
            s.parse_limits.max_alias_expansion = v;
        }
        if let Some(v) = self.file_time_budget {
            s.work_budget = v;
        }
        s
    }
}

#[derive(Clone, Copy)]
struct State {
    remaining: u64,
    exhausted_at: Option<Span>,
}

thread_local! {
    static METER: Cell<Option<State>> = const { Cell::new(None) };
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// Whether `CANCEL` holds a flag: [`charge`] runs for every YAML event, and outside the
    /// language server there is never a flag to read.
    static CANCEL_SET: Cell<bool> = const { Cell::new(false) };
}

/// While alive, metered work on this thread stops as if its budget were spent once `flag`
/// is set: the language server sets it when a result is no longer wanted (the document
/// changed or closed), so a superseded lint ends at its next [`charge`].
pub struct CancelOn {
    previous: Option<Arc<AtomicBool>>,
}

impl CancelOn {
    pub fn new(flag: Arc<AtomicBool>) -> CancelOn {
        let previous = CANCEL.with(|c| c.replace(Some(flag)));
        CANCEL_SET.set(true);
        CancelOn { previous }
    }
}

impl Drop for CancelOn {
    fn drop(&mut self) {
        CANCEL_SET.set(self.previous.is_some());
        CANCEL.with(|c| *c.borrow_mut() = self.previous.take());
    }
}

fn cancelled() -> bool {
    CANCEL.with_borrow(|c| c.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)))
}

/// Charges `units` of work done at `at`. Returns `false` once the budget of the current
/// [`Meter`] is spent (the caller stops); always `true` when nothing is metered.
///
/// Called for every YAML event: the common case (metered, budget left, no cancel flag) is
/// inlined into the callers; the rest is [`charge_rarely`].
#[inline]
pub fn charge(units: u64, at: Span) -> bool {
    METER.with(|m| match m.get() {
        None => true,
        Some(State {
            remaining,
            exhausted_at: None,
        }) if units <= remaining && !CANCEL_SET.get() => {
            m.set(Some(State {
                remaining: remaining - units,
                exhausted_at: None,
            }));
            true
        }
        Some(state) => charge_rarely(m, state, units, at),
    })
}

/// [`charge`] when the budget is spent or about to be, or a cancel flag may be set.
#[cold]
#[inline(never)]
fn charge_rarely(m: &Cell<Option<State>>, mut state: State, units: u64, at: Span) -> bool {
    if state.exhausted_at.is_some() {
        return false;
    }
    if units > state.remaining || cancelled() {
        state.remaining = 0;
        state.exhausted_at = Some(at);
        m.set(Some(state));
        return false;
    }
    state.remaining -= units;
    m.set(Some(state));
    true
}

/// Runs `f` outside any meter (the current one is restored after): work that is not the
/// file's, such as reading pipelint's own built-in knowledge on first use.
pub fn unmetered<T>(f: impl FnOnce() -> T) -> T {
    let previous = METER.with(|m| m.replace(None));
    let out = f();
    METER.with(|m| m.set(previous));
    out
}

/// Whether the budget of the current [`Meter`] is spent.
pub fn exhausted() -> bool {
    METER.with(|m| m.get().is_some_and(|s| s.exhausted_at.is_some()))
}

/// Meters the work done on this thread until dropped (a previous meter is restored then).
pub struct Meter {
    budget: u64,
    previous: Option<State>,
}

impl Meter {
    pub fn start(budget: u64) -> Meter {
        let previous = METER.with(|m| {
            m.replace(Some(State {
                remaining: budget,
                exhausted_at: None,
            }))
        });
        Meter { budget, previous }
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Where the budget ran out, if it did.
    pub fn exhausted_at(&self) -> Option<Span> {
        METER.with(|m| m.get().and_then(|s| s.exhausted_at))
    }

    /// Units spent so far.
    pub fn spent(&self) -> u64 {
        METER.with(|m| m.get().map_or(0, |s| self.budget - s.remaining))
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        METER.with(|m| m.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmetered_work_is_always_allowed() {
        assert!(charge(u64::MAX, Span::default()));
        assert!(!exhausted());
    }

    #[test]
    fn a_cancelled_run_stops_at_its_next_charge() {
        let flag = Arc::new(AtomicBool::new(false));
        let meter = Meter::start(100);
        {
            let _cancel = CancelOn::new(flag.clone());
            assert!(charge(1, Span::new(1, 2)));
            flag.store(true, Ordering::Relaxed);
            assert!(!charge(1, Span::new(3, 4)));
            assert!(exhausted());
            assert_eq!(meter.exhausted_at(), Some(Span::new(3, 4)));
        }
        drop(meter);
        // Outside its scope the flag stops nothing.
        let _meter = Meter::start(100);
        assert!(charge(1, Span::default()));
    }

    #[test]
    fn the_budget_runs_out_once_and_records_where() {
        let meter = Meter::start(10);
        assert!(charge(6, Span::new(1, 2)));
        assert_eq!(meter.spent(), 6);
        assert!(!charge(5, Span::new(3, 4)));
        assert!(!charge(0, Span::new(5, 6)));
        assert!(exhausted());
        assert_eq!(meter.exhausted_at(), Some(Span::new(3, 4)));
        {
            let inner = Meter::start(100);
            assert!(charge(50, Span::default()));
            assert_eq!(inner.exhausted_at(), None);
        }
        assert_eq!(meter.exhausted_at(), Some(Span::new(3, 4)));
        drop(meter);
        assert!(!exhausted());
    }
}
