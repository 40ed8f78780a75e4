//! Names that resolve across files: the Argo (Cluster)WorkflowTemplates of a run, for
//! `templateRef` and `workflowTemplateRef`.
//!
//! Rules see one file at a time. With `--strict-refs`, the command line reads every input
//! once more before linting (in parallel, no rules run), records which WorkflowTemplates
//! and ClusterWorkflowTemplates it defines and which templates each holds, and hands the
//! set to every file's [`Config`](crate::config::Config) as `known_templates`. Without the
//! flag nothing is collected, and `broken-dependency` resolves references only against the
//! documents of the same file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;

use crate::engine::Input;
use crate::formats::adapt_file;
use crate::model::{ArgoKind, Format, Pipeline, StepKind, TemplateInterface};
use crate::yaml::{parse, ParseLimits};

/// The (Cluster)WorkflowTemplates of a run, by scope and name, with their template names.
#[derive(Debug, Default, Clone)]
pub struct KnownTemplates {
    /// `(cluster_scope, metadata.name)` -> template names. Two manifests of the same name
    /// (other namespaces, say) add up.
    templates: BTreeMap<(bool, String), BTreeSet<String>>,
    /// `(cluster_scope, metadata.name, template)` -> whether the template has a deadline,
    /// for `missing-timeout` to follow `templateRef` chains.
    deadlines: BTreeMap<(bool, String, String), TemplateDeadline>,
    /// What each of those templates declares (references left out), for arguments and
    /// outputs through `templateRef`.
    interfaces: BTreeMap<(bool, String), BTreeMap<String, TemplateInterface>>,
}

/// Whether a template of a (Cluster)WorkflowTemplate is bounded in time when another
/// workflow calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateDeadline {
    /// It has a `timeout` / `activeDeadlineSeconds` (its own or from `templateDefaults`), or
    /// runs no pod that could hang (a daemon, a suspend, an HTTP call...).
    Bounded,
    /// It runs a container with no deadline.
    Unbounded,
    /// A DAG or steps template: bounded when everything it calls is.
    Calls(Vec<TemplateCall>),
}

/// A call made by a DAG or steps template: a template of the same manifest, or a
/// `templateRef` to another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateCall {
    Local(String),
    Ref {
        cluster_scope: bool,
        name: String,
        template: String,
    },
}

impl KnownTemplates {
    /// Records `pipeline` if it is a WorkflowTemplate or ClusterWorkflowTemplate.
    pub fn add(&mut self, pipeline: &Pipeline) {
        let cluster = match pipeline.format {
            Format::Argo(ArgoKind::WorkflowTemplate, _) => false,
            Format::Argo(ArgoKind::ClusterWorkflowTemplate, _) => true,
            _ => return,
        };
        let Some(name) = &pipeline.name else {
            return;
        };
        self.templates
            .entry((cluster, name.value.clone()))
            .or_default()
            .extend(pipeline.steps.iter().map(|s| s.name.to_string()));
        let interfaces = self
            .interfaces
            .entry((cluster, name.value.clone()))
            .or_default();
        for template in &pipeline.templates {
            let declared = TemplateInterface {
                references: Vec::new(),
                ..template.clone()
            };
            interfaces.insert(template.name.clone(), declared);
        }
        for step in &pipeline.steps {
            let deadline = match step.kind {
                StepKind::Group => TemplateDeadline::Calls(
                    pipeline
                        .tasks
                        .iter()
                        .filter(|t| *t.parent == *step.name)
                        .filter_map(|t| match (&t.template_ref, &t.template) {
                            (Some(r), _) => Some(TemplateCall::Ref {
                                cluster_scope: r.cluster_scope,
                                name: r.name.as_ref()?.value.clone(),
                                template: r.template.as_ref()?.value.clone(),
                            }),
                            (None, Some(local)) => Some(TemplateCall::Local(local.value.clone())),
                            (None, None) => None,
                        })
                        .collect(),
                ),
                _ if step.timeout.is_some() || !step.holds_a_pod() => TemplateDeadline::Bounded,
                _ => TemplateDeadline::Unbounded,
            };
            self.deadlines.insert(
                (cluster, name.value.clone(), step.name.to_string()),
                deadline,
            );
        }
    }

    /// Whether template `template` of the (Cluster)WorkflowTemplate `name` is bounded in
    /// time, following the DAGs and `templateRef`s it calls. `None` when the run does not
    /// define it (or a chain leaves the run). The first template found without a deadline
    /// is returned as `(scope, manifest, template)`.
    pub fn unbounded_along(
        &self,
        cluster_scope: bool,
        name: &str,
        template: &str,
    ) -> Option<Option<(bool, String, String)>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![(cluster_scope, name.to_string(), template.to_string())];
        let mut resolved_all = true;
        while let Some(key) = stack.pop() {
            if !seen.insert(key.clone()) || seen.len() > 10_000 {
                continue;
            }
            match self.deadlines.get(&key) {
                None => resolved_all = false,
                Some(TemplateDeadline::Bounded) => {}
                Some(TemplateDeadline::Unbounded) => return Some(Some(key)),
                Some(TemplateDeadline::Calls(calls)) => {
                    for call in calls {
                        stack.push(match call {
                            TemplateCall::Local(t) => (key.0, key.1.clone(), t.clone()),
                            TemplateCall::Ref {
                                cluster_scope,
                                name,
                                template,
                            } => (*cluster_scope, name.clone(), template.clone()),
                        });
                    }
                }
            }
        }
        resolved_all.then_some(None)
    }

    /// What template `template` of the (Cluster)WorkflowTemplate `name` declares.
    pub fn interface(
        &self,
        cluster_scope: bool,
        name: &str,
        template: &str,
    ) -> Option<&TemplateInterface> {
        self.interfaces
            .get(&(cluster_scope, name.to_string()))?
            .get(template)
    }

    /// The template names of the (Cluster)WorkflowTemplate `name`, if the run defines it.
    pub fn templates(&self, cluster_scope: bool, name: &str) -> Option<&BTreeSet<String>> {
        self.templates.get(&(cluster_scope, name.to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// Reads every input (files over `max_file_size`, unreadable or non-UTF-8 files are
    /// skipped: linting reports them) and collects their WorkflowTemplates.
    pub fn collect(inputs: &[Input], max_file_size: u64) -> KnownTemplates {
        inputs
            .par_iter()
            .map(|input| Self::of_file(&input.path, max_file_size))
            .reduce(KnownTemplates::default, |mut a, b| {
                for (key, names) in b.templates {
                    a.templates.entry(key).or_default().extend(names);
                }
                // Two manifests of one name: a template without a deadline in either wins.
                for (key, deadline) in b.deadlines {
                    match a.deadlines.get(&key) {
                        Some(TemplateDeadline::Unbounded) => {}
                        _ => {
                            a.deadlines.insert(key, deadline);
                        }
                    }
                }
                for (key, interfaces) in b.interfaces {
                    a.interfaces.entry(key).or_default().extend(interfaces);
                }
                a
            })
    }

    fn of_file(path: &Path, max_file_size: u64) -> KnownTemplates {
        let mut known = KnownTemplates::default();
        let Ok(text) = crate::files::read_regular_text(path, max_file_size) else {
            return known;
        };
        // Cheap pre-filter: most files of a repository are not WorkflowTemplates.
        if !text.contains("WorkflowTemplate") {
            return known;
        }
        // Metered like a linted file, so that a hostile template cannot cost unbounded work.
        let _meter = crate::limits::Meter::start(crate::limits::DEFAULT_WORK_BUDGET);
        let yaml = parse(&text, &ParseLimits::default());
        let (pipelines, _) = adapt_file(&yaml, &text);
        for pipeline in &pipelines {
            known.add(pipeline);
        }
        known
    }
}
