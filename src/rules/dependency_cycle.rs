//! `dependency-cycle`: tasks of a DAG that wait for each other, so none of them can start.

use super::{FileContext, Rule, RuleMeta};
use crate::finding::{Finding, Severity};
use crate::model::{Pipeline, Task};
use crate::yaml::Span;

/// A cycle in the dependencies of a DAG's tasks (a task waiting for itself included).
pub struct DependencyCycle;

static META: RuleMeta = RuleMeta {
    id: "dependency-cycle",
    summary: "tasks of a DAG wait for each other in a cycle, so none of them can ever start",
    default_severity: Severity::Error,
    doc: include_str!("../../rules/dependency-cycle.md"),
    options: &[],
};

/// One DAG: its tasks in file order and, per task, `(dependency index, span of the name)`:
/// the edges of task `i` are `edges[starts[i]..starts[i + 1]]`, in one vector for the DAG.
struct Graph<'a> {
    tasks: &'a [&'a Task],
    edges: Vec<(usize, Span)>,
    starts: Vec<usize>,
}

impl Graph<'_> {
    fn edges_of(&self, task: usize) -> &[(usize, Span)] {
        &self.edges[self.starts[task]..self.starts[task + 1]]
    }
}

/// The DAG tasks of the pipeline grouped by their DAG, the DAGs in name order, the tasks of
/// each in file order (a stable sort on the DAG's name).
fn by_dag(pipeline: &Pipeline) -> Vec<&Task> {
    // `steps` entries wait for the previous group: they cannot form a cycle.
    let mut tasks: Vec<&Task> = pipeline.tasks.iter().filter(|t| !t.in_steps).collect();
    tasks.sort_by(|a, b| a.parent.cmp(&b.parent));
    tasks
}

/// The graph of one DAG's tasks. `index` is scratch: the tasks by name (the first of a
/// name), kept between DAGs so that its buffer is reused.
fn graph<'a>(tasks: &'a [&'a Task], index: &mut Vec<(&'a str, usize)>) -> Graph<'a> {
    index.clear();
    index.extend(
        tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.value.as_str(), i)),
    );
    // Stable: of a repeated name, the first task stays first and is the one found.
    index.sort_by(|a, b| a.0.cmp(b.0));
    index.dedup_by(|later, first| later.0 == first.0);
    let find = |name: &str| {
        index
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|at| index[at].1)
    };
    // The tasks a task already waits for: one set for the DAG, emptied after each task.
    let mut seen = vec![false; tasks.len()];
    let mut edges = Vec::with_capacity(tasks.iter().map(|t| t.depends.len()).sum());
    let mut starts = Vec::with_capacity(tasks.len() + 1);
    for t in tasks {
        let first = edges.len();
        starts.push(first);
        // The first edge to each task.
        for d in &t.depends {
            let Some(j) = find(d.value.as_str()) else {
                continue;
            };
            if !std::mem::replace(&mut seen[j], true) {
                edges.push((j, d.span));
            }
        }
        for &(j, _) in &edges[first..] {
            seen[j] = false;
        }
    }
    starts.push(edges.len());
    Graph {
        tasks,
        edges,
        starts,
    }
}

/// Cycles found by a depth-first walk, without recursion: for each back edge, the tasks on
/// the walk from its target to its source. A cycle that shares a task with one already
/// found is not reported again, so a knot of tasks gives one finding.
fn cycles(graph: &Graph<'_>) -> Vec<Vec<(usize, Span)>> {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let n = graph.tasks.len();
    let mut colour = vec![WHITE; n];
    let mut in_cycle = vec![false; n];
    let mut found = Vec::new();
    // (task, next edge to follow); the walk is the stack itself, emptied by each walk.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if colour[start] != WHITE {
            continue;
        }
        stack.push((start, 0));
        colour[start] = GREY;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&(to, span)) = graph.edges_of(node).get(*next) else {
                colour[node] = BLACK;
                stack.pop();
                continue;
            };
            *next += 1;
            match colour[to] {
                WHITE => {
                    colour[to] = GREY;
                    stack.push((to, 0));
                }
                GREY => {
                    // `node` waits for `to`, which is on the walk: the tasks from `to` to
                    // `node` each wait for the next, and `node` closes the cycle.
                    let from = stack.iter().position(|(t, _)| *t == to).unwrap_or(0);
                    let members = &stack[from..];
                    if members.iter().any(|(m, _)| in_cycle[*m]) {
                        continue;
                    }
                    for (m, _) in members {
                        in_cycle[*m] = true;
                    }
                    // Each member with the span of its dependency on the next one.
                    let mut cycle: Vec<(usize, Span)> = vec![(node, span)];
                    for pair in stack[from..].windows(2) {
                        let (t, followed) = pair[0];
                        cycle.push((t, graph.edges_of(t)[followed - 1].1));
                    }
                    // The dependency written last in the file closes the cycle (when the
                    // file is read top to bottom): start the list there.
                    let last = (0..cycle.len())
                        .max_by_key(|i| cycle[*i].1.start)
                        .unwrap_or(0);
                    cycle.rotate_left(last);
                    found.push(cycle);
                }
                _ => {}
            }
        }
    }
    found
}

impl Rule for DependencyCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_pipeline(&self, _cx: &FileContext<'_>, pipeline: &Pipeline, out: &mut Vec<Finding>) {
        // A cycle needs an edge: a pipeline whose DAG tasks wait for nothing has none.
        if !pipeline
            .tasks
            .iter()
            .any(|t| !t.in_steps && !t.depends.is_empty())
        {
            return;
        }
        let tasks = by_dag(pipeline);
        let mut index = Vec::new();
        for dag in tasks.chunk_by(|a, b| a.parent == b.parent) {
            let graph = graph(dag, &mut index);
            for cycle in cycles(&graph) {
                let name = |i: usize| graph.tasks[i].name.value.as_str();
                let (closing, span) = cycle[0];
                let mut names: Vec<&str> = cycle.iter().map(|(t, _)| name(*t)).collect();
                names.push(name(closing));
                let task = graph.tasks[closing];
                let (message, label) = if cycle.len() == 1 {
                    (
                        format!("task \"{}\" waits for itself", name(closing)),
                        format!("`{}` can never start", name(closing)),
                    )
                } else {
                    (
                        format!(
                            "task \"{}\" closes a dependency cycle: {}",
                            name(closing),
                            names.join(" → ")
                        ),
                        format!(
                            "`{}` waits for `{}`: this closes the cycle",
                            name(closing),
                            names[1]
                        ),
                    )
                };
                let mut finding = Finding::new(META.id, META.default_severity, span, message)
                    .label(label)
                    .help(if pipeline.format.is_kfp_ir() {
                        "remove one of these dependencies (`dependentTasks` or the input that reads the other task's output); in the DSL, drop the `.after()` or data edge that points back, then recompile"
                    } else {
                        "remove one of these dependencies from `dependencies`/`depends`; a DAG must run in some order, so one of these tasks has to come first"
                    });
                for (i, (t, dep_span)) in cycle.iter().enumerate().skip(1) {
                    let next = cycle.get(i + 1).map_or(closing, |(n, _)| *n);
                    finding = finding.related(
                        *dep_span,
                        format!("`{}` waits for `{}`", name(*t), name(next)),
                    );
                }
                finding.pipeline = Some(pipeline.display_name().into());
                finding.step = Some(task.name.value.as_str().into());
                finding.step_path = vec![
                    pipeline.display_name().to_string(),
                    task.parent.clone(),
                    task.name.value.clone(),
                ]
                .into();
                finding.document = Some(pipeline.document);
                out.push(finding);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArgoFlavor, ArgoKind, Format, Spanned};

    /// A DAG task named at `at`; each dependency is written at `at + 1 + its index`.
    fn task(parent: &str, name: &str, at: u32, depends: &[&str]) -> Task {
        Task::in_dag(
            Spanned::new(name.to_string(), Span::new(at, at + 1)),
            parent.to_string(),
            None,
            depends
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let at = at + 1 + i as u32;
                    Spanned::new(d.to_string(), Span::new(at, at + 1))
                })
                .collect(),
        )
    }

    #[test]
    fn dags_come_in_name_order_and_a_repeated_name_is_its_first_task() {
        let mut p = Pipeline::new(
            Format::Argo(ArgoKind::Workflow, ArgoFlavor::Plain),
            Span::new(0, 100),
            0,
        );
        p.tasks = vec![
            task("z-dag", "x", 0, &["y"]),
            task("a-dag", "a", 10, &["b", "missing"]),
            task("z-dag", "y", 20, &["x"]),
            task("a-dag", "b", 30, &["a", "a"]),
            task("a-dag", "a", 40, &[]),
        ];
        let mut steps_entry = task("a-dag", "s", 50, &["a"]);
        steps_entry.in_steps = true;
        p.tasks.push(steps_entry);
        let tasks = by_dag(&p);
        // DAGs by name, each in file order; `steps` entries left out.
        let dags: Vec<Vec<u32>> = tasks
            .chunk_by(|a, b| a.parent == b.parent)
            .map(|dag| dag.iter().map(|t| t.name.span.start).collect())
            .collect();
        assert_eq!(dags, [vec![10, 30, 40], vec![0, 20]]);

        let mut index = Vec::new();
        let a_dag = graph(&tasks[..3], &mut index);
        // `b` waits for the first `a` (once: the repeated dependency is one edge); the
        // unknown name is no edge; the second `a` waits for nothing.
        assert_eq!(a_dag.edges_of(0), [(1, Span::new(11, 12))]);
        assert_eq!(a_dag.edges_of(1), [(0, Span::new(31, 32))]);
        assert!(a_dag.edges_of(2).is_empty());
        // The dependency written last closes the cycle.
        assert_eq!(
            cycles(&a_dag),
            [vec![(1, Span::new(31, 32)), (0, Span::new(11, 12))]]
        );

        // The index is scratch: the next DAG's graph does not see the first one's names.
        let z_dag = graph(&tasks[3..], &mut index);
        assert_eq!(z_dag.edges_of(0), [(1, Span::new(1, 2))]);
        assert_eq!(
            cycles(&z_dag),
            [vec![(1, Span::new(21, 22)), (0, Span::new(1, 2))]]
        );
    }
}
