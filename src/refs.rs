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
use crate::model::{ArgoKind, Format, Pipeline, TemplateInterface};
use crate::yaml::{parse, ParseLimits};

/// The (Cluster)WorkflowTemplates of a run, by scope and name, with their template names.
#[derive(Debug, Default, Clone)]
pub struct KnownTemplates {
    /// `(cluster_scope, metadata.name)` -> template names. Two manifests of the same name
    /// (other namespaces, say) add up.
    templates: BTreeMap<(bool, String), BTreeSet<String>>,
    /// What each of those templates declares (references left out), for arguments and
    /// outputs through `templateRef`.
    interfaces: BTreeMap<(bool, String), BTreeMap<String, TemplateInterface>>,
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
            .extend(pipeline.steps.iter().map(|s| s.name.clone()));
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
