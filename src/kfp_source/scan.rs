//! One Python file, read statically: the KFP functions it defines (`@dsl.component`,
//! `@dsl.container_component`, `@dsl.pipeline`), and inside each pipeline function the calls
//! that create tasks and the calls that configure them, chained or later. Nothing is run or
//! imported; every pass is linear in the file's size.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use crate::analysis::python::{self, Call};

/// What a decorator makes of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// `@dsl.component`: the IR embeds the function's source.
    Component,
    /// `@dsl.container_component`: known by name only.
    ContainerComponent,
    /// `@dsl.pipeline`: its body creates the tasks.
    Pipeline,
}

#[derive(Clone, Debug)]
pub struct PyFunction {
    pub name: String,
    pub kind: FunctionKind,
    /// The component or pipeline name the compiler derives (`download_data` ->
    /// `download-data`; a pipeline's `name=` when given).
    pub component_name: String,
    /// The `def NAME(` line (byte range of its text, without the line break).
    pub def_line: Range<usize>,
    /// From `def` to the end of the body (byte range).
    pub body: Range<usize>,
    /// From `def` to the end of the body, dedented, trailing blank lines and spaces cut:
    /// what the compiler embeds for a lightweight component.
    pub text: String,
    /// Where the component's image is written (byte range of the string, without quotes):
    /// the decorator's `base_image=` or the module-level constant it names, or a container
    /// component's `ContainerSpec(image=...)`. `None` when neither is there (the SDK's
    /// default image) or the image is computed.
    pub image: Option<Range<usize>>,
    /// Tasks its body creates, in the order the compiler names them (pipelines only).
    pub tasks: Vec<PyTask>,
    /// Task name -> index in `tasks`.
    task_names: HashMap<String, usize>,
}

impl PyFunction {
    /// The task its body creates under the DAG key `name`.
    pub fn task(&self, name: &str) -> Option<&PyTask> {
        self.task_names.get(name).map(|&i| &self.tasks[i])
    }
}

/// A call that creates a task inside a pipeline function.
#[derive(Clone, Debug)]
pub struct PyTask {
    /// The function called, as its last name (`download_data`, `importer`).
    pub callee: String,
    /// The DAG key the compiler gives the task: the component name, made unique in the
    /// pipeline with `-2`, `-3`... in order of creation.
    pub task_name: String,
    /// The call, from its name to its closing parenthesis.
    pub call: Range<usize>,
    /// The variable the task is assigned to (`train_task = train(...)`).
    pub var: Option<String>,
    /// Calls that configure it (`set_retry`, `kfp.kubernetes.add_pod_annotation`...).
    pub config: Vec<ConfigCall>,
}

#[derive(Clone, Debug)]
pub struct ConfigCall {
    /// `set_retry`, or the resolved name of a module function (`kfp.kubernetes.add_toleration`).
    pub method: String,
    /// The call, from the start of its statement's text (the task variable or the
    /// creation call) to its closing parenthesis, on the line of its method name.
    pub call: Range<usize>,
}

/// A scanned Python file.
#[derive(Debug)]
pub struct PyFile {
    pub functions: Vec<PyFunction>,
}

/// `download_data` -> `download-data`, as the compiler names components and tasks (words
/// split at `_`, lowercased, anything but letters and digits a `-`).
pub fn component_name(function: &str) -> String {
    let mut out = String::with_capacity(function.len());
    for c in function.trim_matches('_').chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Where each line starts, and whether it starts a logical line (not inside a string, a
/// bracket or after a backslash): only there can `def` and `@` begin a statement.
fn logical_line_starts(src: &str) -> Vec<(usize, bool)> {
    let b = src.as_bytes();
    let mut lines = vec![(0usize, true)];
    let mut depth = 0i32;
    let mut i = 0;
    // The quote byte and whether it is tripled, while inside a string.
    let mut string: Option<(u8, bool)> = None;
    let mut continued = false;
    while i < b.len() {
        let c = b[i];
        match string {
            Some((q, triple)) => match c {
                b'\\' => i += 1,
                b'\n' if !triple => string = None,
                _ if c == q => {
                    if !triple {
                        string = None;
                    } else if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                        string = None;
                        i += 2;
                    }
                }
                _ => {}
            },
            None => match c {
                b'#' => {
                    while i + 1 < b.len() && b[i + 1] != b'\n' {
                        i += 1;
                    }
                }
                b'"' | b'\'' => {
                    let triple = b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
                    string = Some((c, triple));
                    if triple {
                        i += 2;
                    }
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = (depth - 1).max(0),
                b'\\' if b.get(i + 1) == Some(&b'\n') => continued = true,
                _ => {}
            },
        }
        if i < b.len() && b[i] == b'\n' {
            lines.push((i + 1, string.is_none() && depth == 0 && !continued));
            continued = false;
        }
        i += 1;
    }
    lines
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// The resolved name of a decorator (`@d.component(...)` with `from kfp import dsl as d`
/// -> `kfp.dsl.component`).
fn decorator_kind(
    line: &str,
    aliases: &HashMap<Cow<'_, str>, Cow<'_, str>>,
) -> Option<FunctionKind> {
    let rest = line.trim_start().strip_prefix('@')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    let written = &rest[..end];
    let (head, tail) = written.split_once('.').unwrap_or((written, ""));
    let resolved = match aliases.get(head) {
        Some(full) if tail.is_empty() => full.to_string(),
        Some(full) => format!("{full}.{tail}"),
        None => written.to_string(),
    };
    match resolved.as_str() {
        "kfp.dsl.component" | "kfp.components.component" => Some(FunctionKind::Component),
        "kfp.dsl.container_component" => Some(FunctionKind::ContainerComponent),
        "kfp.dsl.pipeline" => Some(FunctionKind::Pipeline),
        _ => None,
    }
}

/// The decorator call starting at `at` (`None` for a bare `@dsl.component`).
fn decorator_call<'c, 'a>(calls: &'c [Call<'a>], at: usize) -> Option<&'c Call<'a>> {
    // Calls are sorted by position: one search per decorator, not a walk.
    Some(&calls[calls.binary_search_by_key(&at, |c| c.range.start).ok()?])
}

/// The `name="..."` of a decorator call, a plain string literal.
fn decorator_name(call: &Call<'_>) -> Option<String> {
    let value = call.keyword("name")?.trim();
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(['"', '\'', '\\'])).then(|| inner.to_string())
}

/// Scans one file; `None` when it mentions no KFP decorator (most Python in a repository).
pub fn scan_file(src: &str) -> Option<PyFile> {
    if !src.contains("kfp") {
        return None;
    }
    let scan = python::scan(src);
    let lines = logical_line_starts(src);
    let line_text = |k: usize| -> &str {
        let start = lines[k].0;
        let end = lines.get(k + 1).map_or(src.len(), |l| l.0);
        src[start..end].trim_end_matches(['\n', '\r'])
    };
    let mut functions = Vec::new();
    // What the last KFP decorator makes of the next `def`: its kind, `name=` and image.
    let mut pending: Option<(FunctionKind, Option<String>, Option<Range<usize>>)> = None;
    let mut k = 0;
    while k < lines.len() {
        let (start, logical) = lines[k];
        let text = line_text(k);
        if !logical || is_blank_or_comment(text) {
            k += 1;
            continue;
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with('@') {
            if let Some(kind) = decorator_kind(text, &scan.aliases) {
                let at = start + indent_of(text) + 1;
                let at = at + (src[at..].len() - src[at..].trim_start().len());
                let call = decorator_call(&scan.calls, at);
                let image = call
                    .and_then(|c| c.keyword("base_image"))
                    .and_then(|v| image_written_at(src, &lines, &scan, v));
                pending = Some((kind, call.and_then(decorator_name), image));
            }
            k += 1;
            continue;
        }
        let def = trimmed
            .strip_prefix("def ")
            .or_else(|| trimmed.strip_prefix("async def "));
        let Some(after_def) = def else {
            pending = None;
            k += 1;
            continue;
        };
        let Some((kind, declared, image)) = pending.take() else {
            k += 1;
            continue;
        };
        let name: String = after_def
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body: every line after the `def` up to the first logical line indented no
        // deeper than it.
        let indent = indent_of(text);
        let mut end = k + 1;
        let mut last = k;
        while end < lines.len() {
            let t = line_text(end);
            if lines[end].1 && !is_blank_or_comment(t) && indent_of(t) <= indent {
                break;
            }
            if !t.trim().is_empty() {
                last = end;
            }
            end += 1;
        }
        let mut body = String::new();
        for j in k..=last {
            let t = line_text(j);
            body.push_str(t.get(indent.min(indent_of(t))..).unwrap_or("").trim_end());
            body.push('\n');
        }
        let component_name = match (&kind, declared) {
            (FunctionKind::Pipeline, Some(declared)) => declared,
            _ => component_name(&name),
        };
        let body_range = start..lines.get(last + 1).map_or(src.len(), |l| l.0);
        let image = match kind {
            FunctionKind::ContainerComponent => scan
                .calls
                .iter()
                .skip(
                    scan.calls
                        .partition_point(|c| c.range.start < body_range.start),
                )
                .take_while(|c| c.range.start < body_range.end)
                .filter(|c| c.method() == "ContainerSpec")
                .find_map(|c| c.keyword("image"))
                .and_then(|v| image_written_at(src, &lines, &scan, v)),
            _ => image,
        };
        functions.push(PyFunction {
            name,
            kind,
            component_name,
            def_line: start + indent..start + text.len(),
            body: body_range,
            text: body,
            image,
            // Filled in below, once every function's name is known.
            tasks: Vec::new(),
            task_names: HashMap::new(),
        });
        k = end;
        // Nested definitions inside a pipeline body are rare; the scan continues after it.
    }
    // Tasks of each pipeline function: calls of the file's (or any) component functions,
    // by name, in its body.
    let known: HashMap<String, String> = functions
        .iter()
        .map(|f| (f.name.clone(), f.component_name.clone()))
        .collect();
    let bodies: Vec<(usize, Range<usize>)> = functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FunctionKind::Pipeline)
        .map(|(i, f)| (i, f.body.clone()))
        .collect();
    for (i, body) in bodies {
        let tasks = tasks_in(src, &scan.calls, body, &known);
        functions[i].task_names = tasks
            .iter()
            .enumerate()
            .map(|(k, t)| (t.task_name.clone(), k))
            .collect();
        functions[i].tasks = tasks;
    }
    Some(PyFile { functions })
}

/// Where an image argument's value (`value`, a slice of `src`) is written: the string
/// itself, or the string a module-level constant of that name is assigned (the last such
/// assignment before the argument); `None` for anything else (an f-string, a call).
fn image_written_at(
    src: &str,
    lines: &[(usize, bool)],
    scan: &python::Scan<'_>,
    value: &str,
) -> Option<Range<usize>> {
    // The value is a slice of the source (`Call::keyword`): its offset is where it starts.
    let at = (value.as_ptr() as usize)
        .checked_sub(src.as_ptr() as usize)
        .filter(|at| at + value.len() <= src.len())?;
    let trimmed = value.trim();
    let at = at + (value.len() - value.trim_start().len());
    if let Some(q @ (b'"' | b'\'')) = trimmed.bytes().next() {
        let q = q as char;
        let inner = trimmed.strip_prefix(q)?.strip_suffix(q)?;
        return (!inner.contains([q, '\\', '\n'])).then(|| at + 1..at + 1 + inner.len());
    }
    if !is_identifier(trimmed) {
        return None;
    }
    // `NAME = "..."` (or `NAME: str = (\n    "..."\n)`) at the start of a logical line,
    // before the use: its first string literal.
    let assigned = |&(start, logical): &(usize, bool)| {
        let rest = src[start..].strip_prefix(trimmed)?;
        let rest = rest.trim_start_matches([' ', '\t']);
        let rest = match rest.strip_prefix(':') {
            Some(annotated) => &annotated[annotated.find('=')?..],
            None => rest,
        };
        (logical && rest.starts_with('=') && !rest.starts_with("==")).then_some(start)
    };
    let before = lines.partition_point(|l| l.0 < at);
    let (k, start) = lines[..before]
        .iter()
        .enumerate()
        .rev()
        .find_map(|(k, l)| assigned(l).map(|s| (k, s)))?;
    let end = lines[k + 1..]
        .iter()
        .find(|l| l.1)
        .map_or(src.len(), |l| l.0);
    let first = scan.strings.partition_point(|s| s.range.start < start);
    let literal = scan.strings.get(first).filter(|s| s.range.end <= end)?;
    Some(literal.range.clone())
}

/// The task variable a `kfp.kubernetes` call configures: its `task=` or first argument.
fn first_identifier_arg(src: &str, call: &Call<'_>) -> Option<String> {
    if let Some(task) = call.keyword("task") {
        let t = task.trim();
        return is_identifier(t).then(|| t.to_string());
    }
    let inside = src.get(call.args.start + 1..call.args.end)?;
    // The first argument, if it is a name: short, so only the start is read.
    let inside = inside.get(..inside.len().min(256)).unwrap_or(inside);
    let first = inside.split([',', ')']).next()?.trim();
    (is_identifier(first) && !first.contains('=')).then(|| first.to_string())
}

/// `task = (\n    create(...)\n    .set_retry(...)\n)`: the variable a call in parentheses
/// is assigned to (the tokenizer names only `task = create(...)`).
fn assigned_in_parentheses(src: &str, call_start: usize) -> Option<String> {
    let before = src[..call_start].trim_end();
    let before = before.strip_suffix('(')?.trim_end();
    let before = before.strip_suffix('=')?;
    if before.ends_with(['=', '!', '<', '>']) {
        return None;
    }
    let before = before.trim_end();
    // A variable name is short: look no further back than this on the line (a line of
    // many such calls must not be read once per call).
    let mut from = before.len().saturating_sub(256);
    while !before.is_char_boundary(from) {
        from += 1;
    }
    let tail = &before[from..];
    let line_start = tail.rfind('\n').map_or(0, |n| n + 1);
    let var = tail[line_start..].trim_start();
    is_identifier(var).then(|| var.to_string())
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// `.set_*` methods and `ignore_upstream_failure` configure a task; `after` only orders it.
fn configures(method: &str) -> bool {
    method.starts_with("set_") || method == "ignore_upstream_failure"
}

/// The end of a call: its closing parenthesis, included.
fn call_end(call: &Call<'_>) -> usize {
    call.args.end
}

fn tasks_in(
    src: &str,
    calls: &[Call<'_>],
    body: Range<usize>,
    known: &HashMap<String, String>,
) -> Vec<PyTask> {
    let mut tasks: Vec<PyTask> = Vec::new();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Which task a call's closing parenthesis ends (for chains), and which variable holds
    // which task (the latest assignment wins, as in Python).
    let mut chain_end: HashMap<usize, usize> = HashMap::new();
    let mut vars: HashMap<String, usize> = HashMap::new();
    // The body's calls: a slice of the sorted calls, so that every pipeline function
    // costs its own calls, not the file's.
    let first = calls.partition_point(|c| c.range.start < body.start);
    let last = calls.partition_point(|c| c.range.start < body.end);
    for call in &calls[first..last.max(first)] {
        let written = call.written.as_ref();
        if let Some(attrs) = call.name.strip_prefix("<expr>.") {
            // A chained call: `create(...).set_retry(...)`; the `.` before it follows the
            // closing parenthesis of the call it is chained to.
            let method = attrs.rsplit('.').next().unwrap_or(attrs);
            let before =
                src[..call.range.start].trim_end_matches(|c: char| c.is_whitespace() || c == '\\');
            let Some(before) = before.strip_suffix('.') else {
                continue;
            };
            let before = before.trim_end_matches(|c: char| c.is_whitespace() || c == '\\');
            let Some(&task) = chain_end.get(&before.len()) else {
                continue;
            };
            chain_end.insert(call_end(call), task);
            if let Some(var) = call.assigned_to {
                vars.insert(var.to_string(), task);
                tasks[task].var.get_or_insert_with(|| var.to_string());
            }
            if configures(method) {
                let line_start = src[..call.range.start].rfind('\n').map_or(0, |n| n + 1);
                let from = line_start + indent_of(&src[line_start..call.range.start]);
                tasks[task].config.push(ConfigCall {
                    method: method.to_string(),
                    call: from..call_end(call),
                });
            }
            continue;
        }
        if let Some((var, method)) = written.rsplit_once('.') {
            // A later call on a task variable: `train_task.set_retry(...)`.
            if let Some(&task) = vars.get(var) {
                chain_end.insert(call_end(call), task);
                if configures(method) {
                    tasks[task].config.push(ConfigCall {
                        method: method.to_string(),
                        call: call.range.start..call_end(call),
                    });
                }
                continue;
            }
        }
        if call.name.starts_with("kfp.kubernetes.") {
            // `kubernetes.add_pod_annotation(task, ...)` or `(task=task, ...)`.
            if let Some(&task) = first_identifier_arg(src, call).and_then(|v| vars.get(&v)) {
                tasks[task].config.push(ConfigCall {
                    method: call.name.to_string(),
                    call: call.range.start..call_end(call),
                });
            }
            continue;
        }
        // The component's name: this file's functions know theirs (a pipeline's `name=`);
        // `components.train(...)`, a function of another module, is named from its own.
        let (callee, base) = match call.name.as_ref() {
            "kfp.dsl.importer" => ("importer", "importer".to_string()),
            _ if !written.contains('.') && known.contains_key(written) => {
                (written, known[written].clone())
            }
            _ if written.contains('.') && !call.name.starts_with("kfp.") => {
                let method = call.method();
                (method, component_name(method))
            }
            _ => continue,
        };
        let mut task_name = base.clone();
        let mut n = 2;
        while taken.contains(&task_name) {
            task_name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(task_name.clone());
        let index = tasks.len();
        chain_end.insert(call_end(call), index);
        let var = call
            .assigned_to
            .map(str::to_string)
            .or_else(|| assigned_in_parentheses(src, call.range.start));
        if let Some(var) = &var {
            vars.insert(var.clone(), index);
        }
        tasks.push(PyTask {
            callee: callee.to_string(),
            task_name,
            call: call.range.start..call_end(call),
            var,
            config: Vec::new(),
        });
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_compiler() {
        assert_eq!(component_name("download_data"), "download-data");
        assert_eq!(component_name("_private__step_"), "private-step");
        assert_eq!(component_name("Train2"), "train2");
    }

    #[test]
    fn defs_inside_strings_are_not_functions() {
        let src = "from kfp import dsl\nDOC = '''\n@dsl.component\ndef fake():\n    pass\n'''\n\n@dsl.component\ndef real(x: int) -> int:\n    return x\n";
        let file = scan_file(src).unwrap();
        let names: Vec<&str> = file.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["real"]);
        assert_eq!(
            file.functions[0].text,
            "def real(x: int) -> int:\n    return x\n"
        );
    }

    #[test]
    fn tasks_chained_and_later_calls() {
        let src = "\
from kfp import dsl as d
from kfp import kubernetes

@d.component(base_image='python:3.11')
def step(x: int) -> int:
    return x

@d.pipeline(name='my-pipe')
def pipe():
    a = step(x=1).set_retry(num_retries=2).set_caching_options(False)
    b = step(x=2)
    b.set_cpu_limit('1')
    b.after(a)
    kubernetes.add_pod_annotation(b, annotation_key='k', annotation_value='v')
    with d.ParallelFor([1, 2]) as i:
        step(x=i)
";
        let file = scan_file(src).unwrap();
        let pipe = file.functions.iter().find(|f| f.name == "pipe").unwrap();
        assert_eq!(pipe.component_name, "my-pipe");
        let names: Vec<&str> = pipe.tasks.iter().map(|t| t.task_name.as_str()).collect();
        assert_eq!(names, ["step", "step-2", "step-3"]);
        let methods = |i: usize| -> Vec<&str> {
            pipe.tasks[i]
                .config
                .iter()
                .map(|c| c.method.as_str())
                .collect()
        };
        assert_eq!(methods(0), ["set_retry", "set_caching_options"]);
        assert_eq!(
            methods(1),
            ["set_cpu_limit", "kfp.kubernetes.add_pod_annotation"]
        );
        assert!(methods(2).is_empty());
        assert_eq!(
            &src[pipe.tasks[1].config[0].call.clone()],
            "b.set_cpu_limit('1')"
        );
    }

    #[test]
    fn the_image_is_where_its_string_is_written() {
        let src = "\
from kfp import dsl

BASE: str = (
    \"python:3.11\"
)
OTHER = \"alpine:3.20\"


@dsl.component(base_image=\"python:3.12\", packages_to_install=[\"pandas\"])
def literal():
    pass


@dsl.component(base_image=BASE)
def constant():
    pass


@dsl.component
def default_image():
    image = \"not:this\"


@dsl.component(base_image=f\"python:{VERSION}\")
def computed():
    pass


@dsl.container_component
def container():
    dsl.importer(artifact_uri=\"gs://x\", image=\"not:this\")
    return dsl.ContainerSpec(
        image='ghcr.io/acme/tool:1.0',
        command=[\"tool\"],
    )


@dsl.container_component
def container_constant():
    return dsl.ContainerSpec(image=OTHER, command=[\"tool\"])
";
        let file = scan_file(src).unwrap();
        let image = |name: &str| {
            let f = file.functions.iter().find(|f| f.name == name).unwrap();
            f.image.clone().map(|r| &src[r])
        };
        assert_eq!(image("literal"), Some("python:3.12"));
        assert_eq!(image("constant"), Some("python:3.11"));
        // The SDK's default image and a computed one are written nowhere in the file.
        assert_eq!(image("default_image"), None);
        assert_eq!(image("computed"), None);
        // `image=` of another call in the body is not the component's.
        assert_eq!(image("container"), Some("ghcr.io/acme/tool:1.0"));
        assert_eq!(image("container_constant"), Some("alpine:3.20"));
    }
}
